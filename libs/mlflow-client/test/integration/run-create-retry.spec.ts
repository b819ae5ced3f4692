// runs.create with `retrySafely` against the suite's real MLflow server, with the connection broken
// on purpose: the wrapper below forwards (or not) the first runs/create to the real server and then
// fails it the way Node's fetch does when the server closes the socket under a request.
import {
  CREATE_KEY_TAG,
  MlflowConnectionError,
  MlflowTimeoutError,
  tagsToRecord,
  type MlflowClient,
  type Run,
} from '../../src';
import { testClient, uniqueName } from '../support';

type Breakage = 'after-server' | 'before-server' | 'hang' | 'after-server-and-search';

/**
 * A client whose first runs/create breaks as `breakage` says (and, for 'after-server-and-search',
 * every run search too); every other request goes through.
 */
function breakingClient(
  breakage: Breakage,
  retrySleeps: number[],
  options: { maxRetries?: number } = {},
): { client: MlflowClient; creates: () => number } {
  let creates = 0;
  const closed = () => new TypeError('fetch failed', { cause: new Error('other side closed') });
  const breakingFetch: typeof fetch = async (input, init) => {
    if (breakage === 'after-server-and-search' && String(input).endsWith('/api/2.0/mlflow/runs/search')) throw closed();
    if (!String(input).endsWith('/api/2.0/mlflow/runs/create')) return fetch(input, init);
    creates++;
    if (creates > 1) return fetch(input, init);
    if (breakage === 'before-server') throw closed();
    if (breakage === 'hang')
      return new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    await (await fetch(input, init)).text();
    throw closed();
  };
  const client = testClient({
    ...options,
    fetch: breakingFetch,
    timeoutMs: breakage === 'hang' ? 300 : 60_000,
    sleep: async (ms) => {
      retrySleeps.push(ms);
    },
  });
  return { client, creates: () => creates };
}

/** A plain client for the set-up and the checks, so the broken one's short timeout covers only the create. */
const plain = testClient();

async function runsIn(experimentId: string): Promise<Run[]> {
  return plain.runs.search({ experiment_ids: [experimentId] }).toArray();
}

async function newExperiment(prefix: string): Promise<string> {
  return plain.experiments.create({ name: uniqueName(prefix) });
}

describe('runs.create with retrySafely, when the connection breaks under it', () => {
  it('finds the run the server made before the answer was lost, and makes no second one', async () => {
    const sleeps: number[] = [];
    const { client, creates } = breakingClient('after-server', sleeps);
    const experimentId = await newExperiment('create-lost-answer');
    // Another run made with retrySafely and a later start (searches list the newest first), so only
    // a search by the key finds the right one.
    const decoy = await plain.runs.create(
      { experiment_id: experimentId, run_name: 'decoy', start_time: Date.now() + 60_000 },
      { retrySafely: true },
    );
    const run = await client.runs.create(
      { experiment_id: experimentId, run_name: 'kept', tags: { team: 'churn' } },
      { retrySafely: true },
    );
    expect(creates()).toBe(1);
    expect(sleeps).toHaveLength(1);
    const stored = await runsIn(experimentId);
    expect(stored.map((r) => r.info.run_id).sort()).toEqual([run.info.run_id, decoy.info.run_id].sort());
    expect(run.info.run_name).toBe('kept');
    expect(tagsToRecord(run.data.tags ?? [])).toMatchObject({ team: 'churn', [CREATE_KEY_TAG]: expect.any(String) });
  });

  it('sends the create again when the first never reached the server, and makes one run', async () => {
    const sleeps: number[] = [];
    const { client, creates } = breakingClient('before-server', sleeps);
    const experimentId = await newExperiment('create-never-sent');
    const run = await client.runs.create({ experiment_id: experimentId, run_name: 'retried' }, { retrySafely: true });
    expect(creates()).toBe(2);
    expect(sleeps).toHaveLength(1);
    expect((await runsIn(experimentId)).map((r) => r.info.run_id)).toEqual([run.info.run_id]);
  });

  it('looks for the run after the last attempt too: with no retries left it still finds the run the server made', async () => {
    const { client, creates } = breakingClient('after-server', [], { maxRetries: 0 });
    const experimentId = await newExperiment('create-no-retries');
    const run = await client.runs.create({ experiment_id: experimentId }, { retrySafely: true });
    expect(creates()).toBe(1);
    expect((await runsIn(experimentId)).map((r) => r.info.run_id)).toEqual([run.info.run_id]);
  });

  it('sends nothing again when the search for the run fails, and says both failed', async () => {
    const { client, creates } = breakingClient('after-server-and-search', [], { maxRetries: 1 });
    const experimentId = await newExperiment('create-search-fails');
    const error = await client.runs.create({ experiment_id: experimentId }, { retrySafely: true }).catch((e) => e);
    expect(error).toBeInstanceOf(MlflowConnectionError);
    expect((error as Error).message).toMatch(
      /runs\/create: fetch failed .*the search for the run it may have made failed too/,
    );
    expect(creates()).toBe(1);
    expect(await runsIn(experimentId)).toHaveLength(1);
  });

  it('without retrySafely, a lost answer is an MlflowConnectionError and is not sent again', async () => {
    const { client, creates } = breakingClient('before-server', []);
    const experimentId = await newExperiment('create-plain');
    const error = await client.runs.create({ experiment_id: experimentId }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowConnectionError);
    expect((error as Error).message).toContain('other side closed');
    expect(creates()).toBe(1);
    expect(await runsIn(experimentId)).toEqual([]);
  });

  it('never repeats a timed-out create: the server may still be making that run', async () => {
    const { client, creates } = breakingClient('hang', []);
    const experimentId = await newExperiment('create-timeout');
    const error = await client.runs.create({ experiment_id: experimentId }, { retrySafely: true }).catch((e) => e);
    expect(error).toBeInstanceOf(MlflowTimeoutError);
    expect(creates()).toBe(1);
  });
});
