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

  it('reads an unmarked rollout that ran a step (started before the mark existed) as gone on', async () => {
    const model = uniqueName('went-on-before-mark');
    const state = await createOrphanedRollout(store, model, { wentOn: false, leaseHolderMs: 60_000 });
    const step = {
      index: 0,
      share: 0.1,
      started_at: new Date().toISOString(),
      ended_at: null,
      outcome: 'running' as const,
      windows: [],
    };
    await store.save({ ...state, step_results: [step] });
    expect(await wentOn(model, state.id)).toBe(true);
    await store.save({ ...state, status: 'aborted', ended_at: new Date().toISOString() });
  }, 60_000);
});
