import { heldByAnother, LEASE_TAG, leaseOf, RolloutLeases } from '../src/app/rollouts/rollout-lease';
import { testClient, uniqueName } from './support/registry-fixtures';

/**
 * The rollout lease (#19: several registry-admin replicas never drive one rollout twice), on the
 * tags of a real MLflow run: replicas are RolloutLeases with different names on one run.
 */
describe('rollout leases on a real MLflow run', () => {
  const mlflow = testClient();
  const TTL_MS = 1_500;

  async function newRun(): Promise<string> {
    const { experiment_id } = await mlflow.experiments.getOrCreate(uniqueName('lease'));
    return (await mlflow.runs.create({ experiment_id })).info.run_id;
  }

  const leaseNow = async (runId: string) => leaseOf(await mlflow.runs.get(runId));

  it('keeps a live lease to its holder, and lets another take it once it lapses', async () => {
    const runId = await newRun();
    const first = new RolloutLeases(mlflow, 'replica-a', TTL_MS);
    const second = new RolloutLeases(mlflow, 'replica-b', TTL_MS);
    expect(await first.acquire(runId)).toBeNull();
    expect(await leaseNow(runId)).toMatchObject({ holder: 'replica-a' });
    expect(await second.acquire(runId)).toBe(false);
    expect(await first.renew(runId)).toBe(true);

    await new Promise((r) => setTimeout(r, TTL_MS + 100));
    const taken = await second.acquire(runId);
    expect(taken).toMatchObject({ holder: 'replica-a' });
    expect(await leaseNow(runId)).toMatchObject({ holder: 'replica-b' });
    // The old holder learns it lost the lease at its next renewal, and does not take it back.
    expect(await first.renew(runId)).toBe(false);
    expect(await leaseNow(runId)).toMatchObject({ holder: 'replica-b' });
  }, 60_000);

  it('hands a released lease over at once', async () => {
    const runId = await newRun();
    const first = new RolloutLeases(mlflow, 'replica-a', 60_000);
    const second = new RolloutLeases(mlflow, 'replica-b', 60_000);
    expect(await first.acquire(runId)).toBeNull();
    expect(await second.acquire(runId)).toBe(false);
    await first.release(runId);
    expect(await second.acquire(runId)).toMatchObject({ holder: 'replica-a', expires_at: 0 });
    // Releasing a lease one no longer holds leaves the holder's alone.
    await first.release(runId);
    expect(await leaseNow(runId)).toMatchObject({ holder: 'replica-b' });
  }, 60_000);

  it('gives a lapsed lease to exactly one of several replicas taking it at the same moment', async () => {
    const runId = await newRun();
    await mlflow.runs.logBatch({
      run_id: runId,
      tags: { [LEASE_TAG]: JSON.stringify({ holder: 'dead-replica', expires_at: Date.now() - 1 }) },
    });
    const replicas = ['replica-a', 'replica-b', 'replica-c'].map((name) => new RolloutLeases(mlflow, name, 60_000));
    const outcomes = await Promise.all(replicas.map((replica) => replica.acquire(runId)));
    const winners = replicas.filter((_, index) => outcomes[index] !== false).map((replica) => replica.self);
    expect(winners).toHaveLength(1);
    expect(await leaseNow(runId)).toMatchObject({ holder: winners[0] });
  }, 60_000);

  it('reads a missing or malformed lease as none, so a replica may take it', async () => {
    const runId = await newRun();
    expect(await leaseNow(runId)).toBeNull();
    await mlflow.runs.logBatch({ run_id: runId, tags: { [LEASE_TAG]: '{"holder": 3}' } });
    expect(await leaseNow(runId)).toBeNull();
    expect(heldByAnother(null, 'replica-a', Date.now())).toBe(false);
    expect(heldByAnother({ holder: 'replica-b', expires_at: Date.now() + 1_000 }, 'replica-a', Date.now())).toBe(true);
    expect(heldByAnother({ holder: 'replica-a', expires_at: Date.now() + 1_000 }, 'replica-a', Date.now())).toBe(false);
  }, 60_000);
});
