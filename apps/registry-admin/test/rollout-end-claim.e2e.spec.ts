import { END_CLAIM_PARAM, RolloutStore, type EndClaim } from '../src/app/rollouts/rollout-state';
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

  const claim = (by: string, generation = 1): EndClaim => ({
    by,
    status: 'aborted',
    because: `aborted by ${by}`,
    generation,
  });

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
    expect(await store.claimEnd(runId, { by: 'replica-b#1', status: 'failed', because: null, generation: 1 })).toEqual(
      claim('replica-a#1'),
    );
  }, 60_000);

  it("gives each later generation (replicas finishing a stopped claimer's end) to exactly one claimer too", async () => {
    const runId = await newRun();
    expect(await store.claimEnd(runId, claim('stopped#1'))).toBeNull();
    const names = ['replica-a#1', 'replica-b#1', 'replica-c#1'];
    const outcomes = await Promise.all(names.map((name) => store.claimEnd(runId, claim(name, 2))));
    const winners = names.filter((_, index) => outcomes[index] === null);
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) if (outcome !== null) expect(outcome).toEqual(claim(winners[0], 2));
    // The rollout reads as claimed by the latest generation.
    expect(await store.claimEnd(runId, claim('late#1'))).toEqual(claim(winners[0], 2));
  }, 60_000);

  it('cuts a long reason to fit a param by its escaped length, keeping the claim readable', async () => {
    const runId = await newRun();
    // Each control character takes six characters of JSON: 4000 of them would not fit in a param.
    const long: EndClaim = { by: 'replica-a#1', status: 'reverted', because: '\u0001'.repeat(4_000), generation: 1 };
    expect(await store.claimEnd(runId, long)).toBeNull();
    const standing = await store.claimEnd(runId, claim('replica-b#1'));
    expect(standing?.because?.length).toBeGreaterThan(0);
    expect(standing).toEqual({ ...long, because: '\u0001'.repeat(standing?.because?.length ?? 0) });
    expect(JSON.stringify(standing).length).toBeLessThanOrEqual(6_000);
  }, 60_000);

  it('reads a claim it cannot parse as an end that failed, so the rollout still ends', async () => {
    const runId = await newRun();
    await mlflow.runs.logParameter({ run_id: runId, key: END_CLAIM_PARAM, value: '{"by": 3' });
    expect(await store.claimEnd(runId, claim('replica-a#1'))).toEqual({
      by: 'unknown',
      status: 'failed',
      because: 'its end claim could not be read: {"by": 3',
      generation: 1,
    });
  }, 60_000);
});
