import { RolloutStore, type EndClaim } from '../src/app/rollouts/rollout-state';
import { testClient, uniqueName } from './support/registry-fixtures';

/**
 * The end claim (#19: several replicas never end one rollout twice) on a real MLflow run: replicas
 * are RolloutStores claiming with different names.
 */
describe('rollout end claims on a real MLflow run', () => {
  const mlflow = testClient();
  const store = new RolloutStore(mlflow);

  async function newRun(): Promise<string> {
    const { experiment_id } = await mlflow.experiments.getOrCreate(uniqueName('end-claim'));
    return (await mlflow.runs.create({ experiment_id })).info.run_id;
  }

  const claim = (by: string): EndClaim => ({ by, status: 'aborted', because: `aborted by ${by}` });

  it('gives the end to exactly one of several replicas claiming it at the same moment, and tells the others whose it is', async () => {
    for (let round = 0; round < 5; round++) {
      const runId = await newRun();
      const names = ['replica-a#1', 'replica-b#1', 'replica-c#1', 'replica-a#2'];
      const outcomes = await Promise.all(names.map((name) => store.claimEnd(runId, claim(name))));
      const winners = names.filter((_, index) => outcomes[index] === null);
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) if (outcome !== null) expect(outcome).toEqual(claim(winners[0]));
    }
  }, 60_000);

  it('takes the same claim sent again (a retry) as this one, and a later one as refused', async () => {
    const runId = await newRun();
    expect(await store.claimEnd(runId, claim('replica-a#1'))).toBeNull();
    expect(await store.claimEnd(runId, claim('replica-a#1'))).toBeNull();
    expect(await store.claimEnd(runId, { by: 'replica-b#1', status: 'failed', because: null })).toEqual(
      claim('replica-a#1'),
    );
  }, 60_000);

  it('cuts a long reason to fit a param, keeping the claim readable', async () => {
    const runId = await newRun();
    const long = { by: 'replica-a#1', status: 'reverted' as const, because: 'x'.repeat(7_000) };
    expect(await store.claimEnd(runId, long)).toBeNull();
    const standing = await store.claimEnd(runId, claim('replica-b#1'));
    expect(standing).toEqual({ ...long, because: 'x'.repeat(4_000) });
  }, 60_000);
});
