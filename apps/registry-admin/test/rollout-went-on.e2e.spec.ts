import { LEASE_TAG } from '../src/app/rollouts/rollout-lease';
import { RolloutStore } from '../src/app/rollouts/rollout-state';
import { createOrphanedRollout, testClient, uniqueName } from './support/registry-fixtures';

/**
 * Whether a stored rollout's start went on past the race with other starts (only such a rollout is
 * ever reverted or driven), on a real MLflow run.
 */
describe('a rollout start that went on, as the store reads it', () => {
  const mlflow = testClient();
  const store = new RolloutStore(mlflow);

  // Each rollout is leased to a stopped replica for the test's length, so no registry-admin of a
  // test running beside this one adopts and ends it meanwhile.
  async function wentOn(model: string, id: string): Promise<boolean | undefined> {
    return (await store.read(model, id))?.wentOn;
  }

  it('reads a rollout as gone on once marked, and not before', async () => {
    const model = uniqueName('went-on');
    const state = await createOrphanedRollout(store, model, { wentOn: false, leaseHolderMs: 60_000 });
    expect(await wentOn(model, state.id)).toBe(false);
    expect((await store.active(model)).map((entry) => entry.wentOn)).toEqual([false]);
    await store.markWentOn(state.id);
    expect(await wentOn(model, state.id)).toBe(true);
    expect((await store.active(model)).map((entry) => entry.wentOn)).toEqual([true]);
    await store.save({ ...state, status: 'aborted', ended_at: new Date().toISOString() });
  }, 60_000);

  it('reads a rollout with no mark at all (created before the mark existed) as gone on', async () => {
    const model = uniqueName('went-on-before-mark');
    const marked = await createOrphanedRollout(store, model, { wentOn: false, leaseHolderMs: 60_000 });
    // What an older registry-admin wrote: the run and its state, with no mark.
    const { experiment_id } = await mlflow.experiments.getOrCreate(RolloutStore.experimentName(model));
    const run = await mlflow.runs.create({ experiment_id });
    const legacy = { ...marked, id: run.info.run_id };
    await store.save(legacy, {
      [LEASE_TAG]: JSON.stringify({ holder: 'stopped-replica', expires_at: Date.now() + 60_000 }),
    });
    expect(await wentOn(model, legacy.id)).toBe(true);
    for (const state of [marked, legacy])
      await store.save({ ...state, status: 'aborted', ended_at: new Date().toISOString() });
  }, 60_000);
});
