// The prediction log's accounting when processes die and things move under load (issue #17):
// inference-api killed with SIGKILL (the store keeps every row the writer had acknowledged, and
// agrees with /metrics read before the kill), and a chaos run on PostgreSQL — 100 alias moves, a
// store restart and a replica restart while two replicas take traffic — after which the accounting
// is printed and every row answered is in the store exactly once.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MlflowClient } from '@churn/mlflow-client';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the test reads the shared store through inference-api's own store class, as another replica would
import { openPredictionStore } from '../../apps/inference-api/src/app/prediction-log';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the same real model versions inference-api's own tests register
import { registerTrainedVersion, telcoCustomers } from '../../apps/inference-api/test/support/model-fixtures';
import { killGroup, MlflowServer } from './support/mlflow-server';
import { ensurePostgresInstalled, openToServerUser, PostgresCluster } from './support/postgres-cluster';
import {
  logCounts,
  postPredict,
  startInferenceReplica,
  storedKeys,
  waitUntil,
  type InferenceReplica,
  type LogCounts,
} from './support/prediction-log';
import { freePort } from './support/processes';

const MODEL = 'churn_log_chaos';
const ALIAS_MOVES = 100;

type Customer = Record<string, string | number | null>;

/**
 * Closed-loop load on whatever replicas `targets()` names at each request (one row per request,
 * ids `<prefix>-<worker>-<n>`): counts the rows answered 200 and every other outcome.
 */
function startLoad(prefix: string, customers: Customer[], targets: () => string[], workers = 3) {
  const result = { answered: 0, failures: [] as string[], versions: new Set<string>() };
  let running = true;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let n = 0; running; n++) {
      const urls = targets();
      const url = urls[n % urls.length];
      try {
        const answer = await postPredict(url, {
          ...customers[n % customers.length],
          request_id: `${prefix}-${worker}-${n}`,
        });
        if (answer.status === 200) {
          result.answered++;
          result.versions.add((answer.json['model'] as { version: string }).version);
        } else result.failures.push(`${url}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
      } catch (error) {
        result.failures.push(`${url}: ${(error as Error).message}`);
      }
    }
  });
  return {
    result,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** The replica's counts once its queue is empty (nothing is sent to it any more). */
async function drained(replica: InferenceReplica): Promise<LogCounts> {
  let counts = await logCounts(replica.internalUrl);
  await waitUntil(`${replica.url}'s queue to drain`, async () => {
    counts = await logCounts(replica.internalUrl);
    return counts.queued === 0;
  });
  return counts;
}

const balanced = (c: LogCounts) => c.written + c.rejected + c.dropped + c.queued === c.received;

describe('the prediction log when processes die and aliases move under load', () => {
  let workDir: string;
  let mlflow: MlflowServer;
  let client: MlflowClient;
  let postgres: PostgresCluster;
  let customers: Customer[];
  let versions: string[];
  const replicas: InferenceReplica[] = [];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'churn-log-chaos-'));
    openToServerUser(workDir);
    mlflow = new MlflowServer(await freePort(), join(workDir, 'mlflow'));
    postgres = new PostgresCluster(await ensurePostgresInstalled(), join(workDir, 'postgres'));
    mkdirSync(postgres.rootDir);
    await Promise.all([mlflow.start(), postgres.start()]);
    client = new MlflowClient({ trackingUri: mlflow.url });
    versions = [];
    for (const seed of [1, 2]) versions.push((await registerTrainedVersion(client, MODEL, seed, 'log-chaos')).version);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: versions[0] });
    customers = await telcoCustomers(50);
  }, 300_000);

  afterAll(async () => {
    for (const replica of replicas) killGroup(replica.process.child.pid as number, 'SIGKILL');
    await postgres?.stop().catch(() => undefined);
    mlflow?.kill();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function start(storeUrl: string, replicaId: string): Promise<InferenceReplica> {
    const replica = await startInferenceReplica({
      mlflowUrl: mlflow.url,
      model: MODEL,
      storeUrl,
      cacheDir: join(workDir, `cache-${replicaId}`),
      replicaId,
      probe: customers[0],
      env: { POLL_INTERVAL_MS: '300', PREDICTION_LOG_FLUSH_MS: '100' },
    });
    replicas.push(replica);
    return replica;
  }

  it('SIGKILL under load: after a restart the store holds every row /metrics had counted written', async () => {
    const storeUrl = `sqlite:${join(workDir, 'kill', 'predictions.db')}`;
    const victim = await start(storeUrl, 'kill-1');
    const load = startLoad('kill', customers, () => [victim.url], 2);
    await new Promise((r) => setTimeout(r, 3_000));
    const { answered } = await load.stop();
    const beforeKill = await logCounts(victim.internalUrl);
    killGroup(victim.process.child.pid as number, 'SIGKILL');
    await victim.process.exited;

    await start(storeUrl, 'kill-2');
    const store = openPredictionStore(storeUrl);
    await store.init();
    try {
      const loadRows = [...(await storedKeys(store, MODEL))].filter((key) => key.startsWith('kill-')).length;
      console.log(
        `SIGKILL: ${answered} rows answered; before the kill ${JSON.stringify(beforeKill)}; ${loadRows} load rows stored`,
      );
      expect(answered).toBeGreaterThan(100);
      // Received counts the probe's row too; every load row was answered 200.
      expect(beforeKill.received).toBe(answered + 1);
      expect(balanced(beforeKill)).toBe(true);
      // Every row acknowledged as written is there (the probe's row aside); none beyond what was answered.
      expect(loadRows).toBeGreaterThanOrEqual(beforeKill.written - 1);
      expect(loadRows).toBeLessThanOrEqual(answered);
    } finally {
      await store.close();
    }
  }, 120_000);

  it(`a chaos run: ${ALIAS_MOVES} alias moves, a store restart and a replica restart under load; the accounting adds up`, async () => {
    await postgres.createDatabase('log_chaos');
    const storeUrl = `postgresql://postgres:unused@127.0.0.1:${postgres.port}/log_chaos`;
    const steady = await start(storeUrl, 'steady');
    let restarted = await start(storeUrl, 'restarted-1');
    let targets = [steady.url, restarted.url];
    const load = startLoad('chaos', customers, () => targets);

    // 100 alias moves, with the store restarted half way through.
    for (let move = 1; move <= ALIAS_MOVES; move++) {
      await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: versions[move % 2] });
      if (move === ALIAS_MOVES / 2) await postgres.restart();
      await new Promise((r) => setTimeout(r, 50));
    }
    // The replica restart: out of the load, drained, stopped as an orchestrator stops it, started again.
    targets = [steady.url];
    await new Promise((r) => setTimeout(r, 500));
    const firstLife = await drained(restarted);
    killGroup(restarted.process.child.pid as number, 'SIGTERM');
    await restarted.process.exited;
    restarted = await start(storeUrl, 'restarted-2');
    targets = [steady.url, restarted.url];
    await new Promise((r) => setTimeout(r, 3_000));
    const { answered, failures, versions: served } = await load.stop();

    const steadyCounts = await drained(steady);
    const secondLife = await drained(restarted);
    const store = openPredictionStore(storeUrl);
    await store.init();
    let loadRows: number;
    try {
      loadRows = [...(await storedKeys(store, MODEL))].filter((key) => key.startsWith('chaos-')).length;
    } finally {
      await store.close();
    }
    const lives = { steady: steadyCounts, 'restarted (first life)': firstLife, 'restarted (second life)': secondLife };
    console.log(
      [
        `chaos run: ${ALIAS_MOVES} alias moves, PostgreSQL restarted, one replica restarted`,
        `  requests answered 200: ${answered}; failed: ${failures.length}; load rows in the store: ${loadRows}`,
        ...Object.entries(lives).map(
          ([name, c]) =>
            `  ${name}: received ${c.received} = written ${c.written} + rejected ${c.rejected} + dropped ${c.dropped} + queued ${c.queued}`,
        ),
      ].join('\n'),
    );

    expect(failures.slice(0, 5)).toEqual([]);
    expect(answered).toBeGreaterThan(200);
    // The moves reached the replicas: both versions answered.
    expect([...served].sort()).toEqual([...versions].sort());
    for (const [name, counts] of Object.entries(lives)) {
      expect({ name, balanced: balanced(counts), dropped: counts.dropped, rejected: counts.rejected }).toEqual({
        name,
        balanced: true,
        dropped: 0,
        rejected: 0,
      });
    }
    // Each life logged its probe row besides the load; every load row answered is stored, once.
    const written = steadyCounts.written + firstLife.written + secondLife.written;
    expect({ loadRows, writtenLoadRows: written - 3 }).toEqual({ loadRows: answered, writtenLoadRows: answered });
  }, 240_000);
});
