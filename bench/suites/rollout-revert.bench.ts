/**
 * Issue 19's benchmark: how fast a staged rollout reverts a bad candidate. From the moment the
 * guard window that breaches closes to every inference-api replica serving 0 % candidate, with the
 * push (registry-admin's `POST /admin/reload` to every replica); target ≤ 1 s, median of 10.
 *
 * Real processes, built from the current source: a private MLflow, two inference-api replicas
 * sharing one SQLite prediction log (polling MLflow only every 10 minutes, so only the push can
 * bring the change in time), registry-admin driving the rollouts, and this process sending steady
 * /predict traffic to both replicas (half of it with a user id). The candidate is trained on the
 * Telco data with its labels flipped, so its scores are about 1 − p and the score guards breach at
 * the first window.
 *
 * The statistic, chosen before any run: the median over rounds of the rollout's `revert_ms`, which
 * registry-admin measures on its monotonic clock from the breached window's close (as it starts
 * reading the window's figures) to the last replica's push answer (each replica answers once it applies the traffic
 * change). As a cross-check from the users' side, each round also reports the time from the window's
 * close to the last /predict answer the candidate gave (wall clocks of the same machine).
 *
 * Set-up (not timed): build the apps with Nx, start MLflow, train and register the champion and the
 * candidate with training-worker's CLI, start the three servers.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';

import type { BenchContext, SuiteOutcome } from '../support/suite';
import { waitUntil } from './ab-logging/replica-probes';
import { medianOf } from './inference/alias-moves';
import { freePort, runOrThrow, startServer, type ServerProcess } from './inference/processes';
import {
  buildServingApps,
  startInferenceApi,
  startPrivateMlflow,
  telcoFeatureRows,
  trainVersions,
  type InferenceApiProcess,
} from './inference/serving-setup';

export const title = 'Rollout revert: a breached guard window to every replica serving 0 % candidate (issue 19)';

const MODEL_NAME = 'bench_rollout';
const SETTINGS = { full: { rounds: 10 }, quick: { rounds: 1 } };
/** Issue 19: from the breached window's close to 0 % candidate on every replica, with push. */
const REVERT_LIMIT_MS = 1_000;
const LOAD_WORKERS = 4;

interface RolloutJson {
  id: string;
  status: string;
  ended_because: string | null;
  revert_ms: number | null;
  step_results: { outcome: string; windows: { closed_at: string; decision: string }[] }[];
}

interface RoundResult {
  round: number;
  revertMs: number;
  lastCandidateAnswerMs: number | null;
  because: string;
}

const range = (values: number[], digits = 0) =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

/** Steady /predict traffic on every replica, remembering when each version last answered (wall clock). */
class SteadyLoad {
  readonly lastAnswer = new Map<string, number>();
  failures = 0;
  sent = 0;
  private running = true;
  private readonly workers: Promise<void>[];

  constructor(replicas: string[], customers: Record<string, unknown>[]) {
    this.workers = Array.from({ length: LOAD_WORKERS }, async (_, worker) => {
      while (this.running) {
        const index = this.sent++;
        const body = { ...customers[index % customers.length] };
        if (index % 2 === 0) body['user_id'] = `user-${index % 50_000}`;
        try {
          const response = await fetch(`${replicas[(index + worker) % replicas.length]}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          await response.arrayBuffer();
          const version = response.headers.get('x-model-version');
          if (response.status === 200 && version !== null) this.lastAnswer.set(version, Date.now());
          else this.failures++;
        } catch {
          this.failures++;
        }
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }
}

/** The Telco CSV with every label flipped: a model trained on it scores about 1 − p. */
function writeFlippedCsv(source: string, target: string): void {
  const [header, ...rows] = readFileSync(source, 'utf8').trim().split('\n');
  const flip = (row: string) => row.replace(/,(Yes|No)\s*$/, (_, label: string) => (label === 'Yes' ? ',No' : ',Yes'));
  writeFileSync(target, `${[header, ...rows.map(flip)].join('\n')}\n`);
}

export async function run(context: BenchContext): Promise<SuiteOutcome> {
  const { rounds: ROUNDS } = context.quick ? SETTINGS.quick : SETTINGS.full;
  const root = context.workspaceRoot;
  const scratch = context.scratchDir;
  const logDir = join(scratch, 'logs');
  mkdirSync(logDir, { recursive: true });
  const telcoCsv = resolve(root, 'libs/churn-pipeline/data/telco-customer-churn.csv');
  const servers: ServerProcess[] = [];
  context.log('building inference-api, training-worker and registry-admin (not timed)');
  const { trainerBundle } = buildServingApps(root);
  runOrThrow('nx build registry-admin', 'npx', ['nx', 'run', 'registry-admin:build', '--outputStyle=static'], {
    cwd: root,
    env: { ...process.env, NX_DAEMON: 'false' },
    timeoutMs: 900_000,
  });
  let load: SteadyLoad | undefined;

  try {
    const mlflow = await startPrivateMlflow({
      python: context.python(),
      scratchDir: scratch,
      logDir,
      workspaceRoot: root,
    });
    servers.push(mlflow);
    const { client, env: mlflowEnv } = mlflow;
    const training = { workspaceRoot: root, trainerBundle, mlflow, modelName: MODEL_NAME };
    const [champion] = await trainVersions({
      ...training,
      telcoCsv,
      experiment: 'bench-rollout',
      seeds: [42],
      log: context.log,
    });
    const flipped = join(scratch, 'flipped.csv');
    writeFlippedCsv(telcoCsv, flipped);
    const [candidate] = await trainVersions({
      ...training,
      telcoCsv: flipped,
      experiment: 'bench-rollout',
      seeds: [7],
      log: context.log,
    });
    await client.registeredModels.setAlias({ name: MODEL_NAME, alias: 'production', version: champion });

    const adminToken = 'bench-admin-token-0123456789';
    const deployerToken = 'bench-deployer-token-0123456789';
    const store = `sqlite:${join(scratch, 'store', 'predictions.db')}`;
    mkdirSync(join(scratch, 'store'), { recursive: true });
    const replicas: InferenceApiProcess[] = [];
    for (const index of [0, 1]) {
      const replica = await startInferenceApi({
        name: `replica-${index}`,
        workspaceRoot: root,
        logDir,
        env: mlflowEnv,
        modelName: MODEL_NAME,
        modelAlias: 'production',
        modelCacheDir: join(scratch, `model-cache-${index}`),
        settings: {
          REPLICA_ID: `replica-${index}`,
          INFERENCE_STORE_URL: store,
          INFERENCE_ADMIN_TOKEN: adminToken,
          PREDICTION_LOG_FLUSH_MS: '50',
          // Only the push can bring a change within the measured second.
          POLL_INTERVAL_MS: '600000',
        },
      });
      servers.push(replica);
      replicas.push(replica);
    }
    const adminPort = await freePort();
    const registryAdmin = await startServer({
      name: 'registry-admin',
      command: process.execPath,
      args: [join(root, 'dist/apps/registry-admin/main.js')],
      env: {
        ...mlflowEnv,
        NODE_ENV: 'production',
        PORT: String(adminPort),
        HOST: '127.0.0.1',
        LOG_FORMAT: 'json',
        MODEL_NAME,
        MODEL_ALIAS: 'production',
        INFERENCE_URLS: replicas.map((replica) => replica.internalUrl).join(','),
        INFERENCE_ADMIN_TOKEN: adminToken,
        API_TOKENS: `bench:viewer+deployer:${deployerToken}`,
      },
      port: adminPort,
      readyPath: '/health',
      logDir,
      workspaceRoot: root,
    });
    servers.push(registryAdmin);

    const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
      const response = await fetch(`${registryAdmin.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${deployerToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as T };
    };

    const { columns, rows } = await telcoFeatureRows(telcoCsv, 1_000);
    const customers = rows.map((row) => Object.fromEntries(columns.map((name, index) => [name, row[index]])));
    load = new SteadyLoad(
      replicas.map((replica) => replica.url),
      customers,
    );
    const loadAverageAtStart = loadavg();
    const rounds: RoundResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const started = await api<RolloutJson>('POST', `/models/${MODEL_NAME}/rollouts`, {
        to: candidate,
        steps: [0.5],
        step_seconds: 2,
        min_requests: 20,
        max_holds: 3,
        guards: { min_scores: 20 },
        reason: `bench round ${round}`,
      });
      if (started.status !== 201)
        throw new Error(`POST rollouts answered ${started.status}: ${JSON.stringify(started.json)}`);
      let ended: RolloutJson | undefined;
      await waitUntil(`rollout ${started.json.id} to end`, async () => {
        ended = (await api<RolloutJson>('GET', `/models/${MODEL_NAME}/rollouts/${started.json.id}`)).json;
        return ended.status !== 'running';
      });
      const state = ended as RolloutJson;
      if (state.status !== 'reverted' || state.revert_ms === null)
        throw new Error(`round ${round}: the rollout ended ${state.status} (${state.ended_because}), not reverted`);
      const closedAt = Date.parse(state.step_results.at(-1)?.windows.at(-1)?.closed_at ?? '');
      // Answers still in flight at the revert land within a few milliseconds; wait them out.
      await new Promise((r) => setTimeout(r, 500));
      const last = load.lastAnswer.get(candidate);
      rounds.push({
        round,
        revertMs: state.revert_ms,
        lastCandidateAnswerMs: last === undefined || last < closedAt ? null : last - closedAt,
        because: state.ended_because ?? '',
      });
      context.log(
        `round ${round}: revert_ms ${state.revert_ms}; last candidate answer ${rounds.at(-1)?.lastCandidateAnswerMs ?? '(none after the close)'} ms after the close`,
      );
    }
    const loadAverageAtEnd = loadavg();
    await load.stop();
    const { failures, sent } = load;
    load = undefined;

    const revert = rounds.map((r) => r.revertMs);
    // Rounds where the candidate answered nothing after the close have no figure here, not a zero.
    const lastAnswers = rounds.flatMap((r) => (r.lastCandidateAnswerMs === null ? [] : [r.lastCandidateAnswerMs]));
    const median = medianOf(revert);
    return {
      timed:
        `Each of ${ROUNDS} rounds starts a rollout (one 50 % step, 2 s windows, 20 requests and 20 logged scores per arm) of a candidate trained on flipped labels against the champion, across two built inference-api replicas (shared SQLite prediction log, MLflow polled only every 10 minutes) under steady /predict load from ${LOAD_WORKERS} closed-loop clients in this process; the score guards breach at the first window. ` +
        `Timed by registry-admin (revert_ms, monotonic clock): from the breached window's close (as registry-admin starts reading every replica's /metrics and the report, so the reads count) to the last replica's answer to the push that sets the share to 0 (each replica answers after applying it). ` +
        `Statistic (chosen before any run): the median over rounds. Cross-check: the last /predict answer from the candidate after the window's close, as the load saw it (median over the rounds with such an answer).`,
      results: [
        {
          id: 'revert-ms',
          label: 'breached window closed → every replica at 0 % candidate, with push (median of rounds)',
          value: median,
          rounds: revert,
          unit: 'ms',
        },
        // Left out when no round had a candidate answer after the close (the note says so).
        ...(lastAnswers.length === 0
          ? []
          : [
              {
                id: 'last-candidate-answer-ms',
                label: 'breached window closed → last /predict answer from the candidate (median of rounds with one)',
                value: medianOf(lastAnswers),
                rounds: lastAnswers,
                unit: 'ms',
              },
            ]),
      ],
      references: [],
      targets: [
        {
          id: 'revert-under-1s',
          description: `a breached rollout serves 0 % candidate on every replica within 1 s of its window's close, with push: median of ${ROUNDS} rounds (range ${range(revert)} ms)`,
          value: median,
          limit: REVERT_LIMIT_MS,
          unit: 'ms',
          pass: median <= REVERT_LIMIT_MS,
        },
      ],
      notes: [
        `Per round, revert_ms: ${revert.join(', ')}; last candidate answer after the close (ms): ${rounds.map((r) => r.lastCandidateAnswerMs ?? '–').join(', ')} (– : none after the close; ${rounds.length - lastAnswers.length} of ${rounds.length} rounds).`,
        `Guards named in the reverts: ${[...new Set(rounds.map((r) => /guard ([a-z_, ]+) breached/.exec(r.because)?.[1] ?? r.because))].join('; ')}.`,
        `/predict requests that were not answered 200 during the run: ${failures} of ${sent}.`,
        `Load average (1/5/15 min) at the start: ${loadAverageAtStart.map((x) => x.toFixed(2)).join(' / ')}; at the end: ${loadAverageAtEnd.map((x) => x.toFixed(2)).join(' / ')}.`,
      ],
      raw: { rounds },
    };
  } finally {
    await load?.stop();
    for (const server of servers.reverse()) await server.stop();
  }
}
