/**
 * Issue 5's inference benchmark, in one run on one machine: inference-api (the built app, as
 * deployed) beside the same model behind a bare Node `http` server (the ceiling) and behind
 * `mlflow models serve --env-manager local` (the incumbent), all driven by one load generator
 * (inference/load-generator.ts) in a process of its own; then alias moves with push and with polling
 * only, and 100 moves under load.
 *
 * Set-up (not timed): build inference-api and training-worker with Nx (so the current source is
 * measured), start a private MLflow server (SQLite, proxied artifacts, one worker) in the scratch
 * folder, train and register two versions with training-worker's CLI, point `production` at
 * version 1, download version 1's model directory for the ceiling. Every server runs in a process
 * group of its own, stopped by its process id at the end (and by tools/mlflow/watchdog.mjs if this
 * process dies first).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

import { MlflowClient } from '@churn/mlflow-client';

import { medianOf, readTimeline, switchDelays, type AliasMove } from './inference/alias-moves';
import type { LoadConfig, LoadSummary } from './inference/load-generator';
import {
  freePort,
  groupCpuSeconds,
  runOrThrow,
  startLoad,
  startServer,
  stopGroup,
  type ServerProcess,
} from './inference/processes';
import {
  startInferenceApi,
  startPrivateMlflow,
  telcoFeatureRows,
  trainVersions,
  type BenchContext,
} from './inference/serving-setup';

export const title = 'Inference: throughput, latency, hot swaps (issue 5)';

const MODEL_NAME = 'bench_churn';
const ALIAS = 'production';
const ADMIN_TOKEN = 'bench-admin-token';
const CONNECTIONS = 32;
const WARMUP_MS = 2_000;
const DURATION_MS = 10_000;
const ROUNDS = 5;
const BATCH_ROWS = 1_000;
const BATCH_CONNECTIONS = 8;
const PUSH_MOVES = 10;
const PUSH_SPACING_MS = 1_500;
const POLL_INTERVAL_MS = 1_000;
const POLL_MOVES = 8;
const POLL_SPACING_MS = 3_000;
const MOVES_UNDER_LOAD = 100;
/** One body in this many is parsed and checked by the generator. */
const CHECK_EVERY = 997;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const nowMs = () => performance.timeOrigin + performance.now();

interface Measured extends LoadSummary {
  /** CPU seconds of the server's process group per successful response, warm-up included in both. */
  serverCpuMsPerResponse: number;
}

export async function run(context: BenchContext) {
  const root = context.workspaceRoot;
  const scratch = context.scratchDir;
  const logDir = join(scratch, 'logs');
  mkdirSync(logDir, { recursive: true });
  const python = context.python();
  const telcoCsv = resolve(root, 'libs/churn-pipeline/data/telco-customer-churn.csv');
  const servers: ServerProcess[] = [];

  context.log('building inference-api and training-worker (not timed)');
  runOrThrow(
    'nx build',
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', 'inference-api,training-worker', '--outputStyle=static'],
    {
      cwd: root,
      env: { ...process.env, NX_DAEMON: 'false' },
      timeoutMs: 900_000,
    },
  );

  try {
    const mlflow = await startPrivateMlflow({ python, scratchDir: scratch, logDir, workspaceRoot: root });
    servers.push(mlflow);
    const client = new MlflowClient({ trackingUri: mlflow.url });
    const mlflowEnv = { ...process.env, MLFLOW_TRACKING_URI: mlflow.url };

    const versions = await trainVersions({
      workspaceRoot: root,
      trainerBundle: join(root, 'dist/apps/training-worker/main.js'),
      telcoCsv,
      client,
      env: mlflowEnv,
      modelName: MODEL_NAME,
      experiment: 'bench-inference',
      seeds: [42, 7],
      log: context.log,
    });
    const [first, second] = versions;
    await client.registeredModels.setAlias({ name: MODEL_NAME, alias: ALIAS, version: first });
    const ceilingModelDir = join(scratch, 'ceiling-model');
    await client.artifacts.downloadDirectory(
      await client.modelVersions.getDownloadUri({ name: MODEL_NAME, version: first }),
      ceilingModelDir,
    );

    const { columns, rows } = await telcoFeatureRows(telcoCsv, BATCH_ROWS);
    const customer = Object.fromEntries(columns.map((name, index) => [name, rows[0][index]]));
    const writeBody = (name: string, body: unknown) => {
      const file = join(scratch, `${name}.json`);
      writeFileSync(file, JSON.stringify(body));
      return file;
    };
    const predictBody = writeBody('predict-body', customer);
    const oneRowSplit = writeBody('one-row-split', { dataframe_split: { columns, data: [rows[0]] } });
    const batchSplit = writeBody('batch-split', { dataframe_split: { columns, data: rows } });

    const startApi = async (name: string, settings: Record<string, string>) => {
      // A prediction store of its own (the default file in the system's temp folder outlives runs and grows).
      const store = { INFERENCE_STORE_URL: `sqlite:${join(scratch, `store-${name}`, 'predictions.db')}` };
      const api = await startInferenceApi({
        name,
        workspaceRoot: root,
        logDir,
        env: mlflowEnv,
        modelName: MODEL_NAME,
        modelAlias: ALIAS,
        modelCacheDir: join(scratch, `cache-${name}`),
        settings: { ...store, ...settings },
      });
      servers.push(api);
      return api;
    };

    context.log('starting inference-api (push only), the bare onnxruntime server and mlflow models serve');
    const api = await startApi('inference-api-push', { POLL_INTERVAL_MS: '0', INFERENCE_ADMIN_TOKEN: ADMIN_TOKEN });
    const ceilingPort = await freePort();
    const ceiling = await startServer({
      name: 'bare-onnx-server',
      command: process.execPath,
      args: [
        '--require',
        join(root, 'bench/support/register-typescript.cjs'),
        join(root, 'bench/suites/inference/reference-server.ts'),
        'per-request',
        String(ceilingPort),
        ceilingModelDir,
      ],
      env: process.env,
      port: ceilingPort,
      readyPath: '/',
      logDir,
      workspaceRoot: root,
    });
    servers.push(ceiling);
    const incumbentPort = await freePort();
    const incumbent = await startServer({
      name: 'mlflow-models-serve',
      command: python,
      args: [
        '-m',
        'mlflow',
        'models',
        'serve',
        '-m',
        `models:/${MODEL_NAME}/${first}`,
        '--env-manager',
        'local',
        '--port',
        String(incumbentPort),
        '--host',
        '127.0.0.1',
      ],
      // `mlflow models serve` starts `uvicorn` by name: the venv's bin folder goes first on PATH.
      env: { ...mlflowEnv, PATH: `${dirname(python)}${delimiter}${process.env['PATH'] ?? ''}`, PYTHONUNBUFFERED: '1' },
      port: incumbentPort,
      readyPath: '/ping',
      logDir,
      workspaceRoot: root,
    });
    servers.push(incumbent);

    const loadConfig = (
      server: ServerProcess,
      path: string,
      bodyFile: string,
      overrides: Partial<LoadConfig> = {},
    ): LoadConfig => ({
      host: '127.0.0.1',
      port: server.port,
      path,
      contentType: 'application/json',
      bodyFile,
      connections: CONNECTIONS,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
      expectRows: 1,
      checkEvery: CHECK_EVERY,
      ...overrides,
    });
    const measure = async (label: string, server: ServerProcess, config: LoadConfig): Promise<Measured> => {
      const cpuBefore = groupCpuSeconds(server.pid);
      const summary = await startLoad(root, config).done;
      const cpuSeconds = groupCpuSeconds(server.pid) - cpuBefore;
      context.log(
        `${label}: ${summary.requestsPerSecond.toFixed(0)} req/s, p50 ${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms, ${summary.errors} errors`,
      );
      return { ...summary, serverCpuMsPerResponse: (cpuSeconds * 1000) / Math.max(1, summary.responses) };
    };

    // Rounds interleave the three servers so a burst of load from elsewhere on the machine hits all of them.
    const rounds: { api: Measured; ceiling: Measured; incumbent: Measured }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      rounds.push({
        api: await measure(`round ${round}, inference-api /predict`, api, loadConfig(api, '/predict', predictBody)),
        ceiling: await measure(
          `round ${round}, bare onnxruntime server`,
          ceiling,
          loadConfig(ceiling, '/', predictBody),
        ),
        incumbent: await measure(
          `round ${round}, mlflow models serve /invocations`,
          incumbent,
          loadConfig(incumbent, '/invocations', oneRowSplit),
        ),
      });
    }
    const medianRound = (pick: (round: (typeof rounds)[number]) => Measured): Measured => {
      const sorted = rounds.map(pick).sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
      return sorted[(sorted.length - 1) >> 1];
    };
    const apiRun = medianRound((round) => round.api);
    const ceilingRun = medianRound((round) => round.ceiling);
    const incumbentRun = medianRound((round) => round.incumbent);
    const single = { connections: 1, checkEvery: 101 };
    const apiAlone = await measure(
      'inference-api /predict, 1 connection',
      api,
      loadConfig(api, '/predict', predictBody, single),
    );
    const ceilingAlone = await measure(
      'bare onnxruntime server, 1 connection',
      ceiling,
      loadConfig(ceiling, '/', predictBody, single),
    );
    await incumbent.stop();
    await ceiling.stop();

    const batch = await measure(
      `inference-api /invocations, ${BATCH_ROWS}-row dataframe_split`,
      api,
      loadConfig(api, '/invocations', batchSplit, {
        connections: BATCH_CONNECTIONS,
        expectRows: BATCH_ROWS,
        checkEvery: 50,
      }),
    );

    const moveAlias = async (version: string, push: boolean): Promise<AliasMove> => {
      const at = nowMs();
      await client.registeredModels.setAlias({ name: MODEL_NAME, alias: ALIAS, version });
      if (!push) return { at, toVersion: version, callsMs: nowMs() - at };
      // What registry-admin does after a move: push, and wait for the answer.
      const response = await fetch(`${api.url}/admin/reload`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ name: MODEL_NAME, alias: ALIAS }),
      });
      if (response.status !== 200)
        throw new Error(`POST /admin/reload answered ${response.status}: ${await response.text()}`);
      const answer = (await response.json()) as { slots: { version: string | null }[] };
      return { at, toVersion: version, callsMs: nowMs() - at, servedAfterPush: answer.slots[0]?.version ?? null };
    };

    const timedMoves = async (
      label: string,
      server: ServerProcess,
      push: boolean,
      count: number,
      spacingMs: number,
    ) => {
      const timelineFile = join(scratch, `${label}.timeline`);
      const load = startLoad(root, loadConfig(server, '/predict', predictBody, { durationMs: 0, timelineFile }));
      await sleep(WARMUP_MS + 500);
      const moves: AliasMove[] = [];
      for (let move = 0; move < count; move++) {
        moves.push(await moveAlias(move % 2 === 0 ? second : first, push));
        // At least a second after the calls returned, so responses already queued on the old version drain before the next move.
        await sleep(Math.max(spacingMs - (nowMs() - moves[moves.length - 1].at), 1000));
      }
      const summary = await load.stop();
      const delays = switchDelays(readTimeline(timelineFile), moves);
      context.log(
        `${label}: switch delays ${delays.map((delay) => (delay === null ? 'never' : delay.toFixed(0))).join(', ')} ms; ${summary.errors} errors`,
      );
      return { summary, moves, delays };
    };

    context.log(`${PUSH_MOVES} alias moves with push, ${PUSH_SPACING_MS} ms apart, under load`);
    const pushed = await timedMoves('push', api, true, PUSH_MOVES, PUSH_SPACING_MS);

    context.log(`${MOVES_UNDER_LOAD} alias moves with push, back to back, under load`);
    await moveAlias(first, true);
    const stressTimeline = join(scratch, 'stress.timeline');
    const stressLoad = startLoad(
      root,
      loadConfig(api, '/predict', predictBody, { durationMs: 0, timelineFile: stressTimeline }),
    );
    await sleep(WARMUP_MS + 500);
    const stressStarted = nowMs();
    const stressMoves: AliasMove[] = [];
    for (let move = 0; move < MOVES_UNDER_LOAD; move++)
      stressMoves.push(await moveAlias(move % 2 === 0 ? second : first, true));
    const stressMovesMs = nowMs() - stressStarted;
    await sleep(500);
    const stress = await stressLoad.stop();
    const stressTimelineEntries = readTimeline(stressTimeline);
    const stressVersions = new Set(
      stressTimelineEntries.filter((entry) => entry.status === 200).map((entry) => String(entry.version)),
    );
    const lastServed = String(stressTimelineEntries[stressTimelineEntries.length - 1]?.version);
    await api.stop();

    context.log('starting inference-api with polling only (no push)');
    await client.registeredModels.setAlias({ name: MODEL_NAME, alias: ALIAS, version: first });
    const polling = await startApi('inference-api-poll', { POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) });
    const polled = await timedMoves('poll', polling, false, POLL_MOVES, POLL_SPACING_MS);
    await polling.stop();

    const pushMedian = medianOf(pushed.delays);
    const pollMedian = medianOf(polled.delays);
    const pushMax = Math.max(...pushed.delays.map((delay) => delay ?? Number.POSITIVE_INFINITY));
    const finiteOr = (value: number, fallback: number) => (Number.isFinite(value) ? value : fallback);
    const batchRowsPerSecond = batch.requestsPerSecond * BATCH_ROWS;
    const moveErrors = stress.errors;
    const movesConfirmed = stressMoves.filter((move) => move.servedAfterPush === move.toVersion).length;

    const results = [
      {
        id: 'predict.throughput',
        label: `/predict, one customer, ${CONNECTIONS} connections: throughput`,
        value: apiRun.requestsPerSecond,
        unit: 'req/s',
        reference: 'ceiling.throughput',
      },
      {
        id: 'predict.throughput-vs-incumbent',
        label: `/predict, one customer, ${CONNECTIONS} connections: throughput`,
        value: apiRun.requestsPerSecond,
        unit: 'req/s',
        reference: 'incumbent.throughput',
      },
      { id: 'predict.p50', label: '/predict: p50 latency', value: apiRun.p50Ms, unit: 'ms', reference: 'ceiling.p50' },
      { id: 'predict.p99', label: '/predict: p99 latency', value: apiRun.p99Ms, unit: 'ms', reference: 'ceiling.p99' },
      {
        id: 'predict.p99-vs-incumbent',
        label: '/predict: p99 latency',
        value: apiRun.p99Ms,
        unit: 'ms',
        reference: 'incumbent.p99',
      },
      {
        id: 'predict.p50-1conn',
        label: '/predict, 1 connection: p50 latency',
        value: apiAlone.p50Ms,
        unit: 'ms',
        reference: 'ceiling.p50-1conn',
      },
      {
        id: 'predict.p99-1conn',
        label: '/predict, 1 connection: p99 latency',
        value: apiAlone.p99Ms,
        unit: 'ms',
        reference: 'ceiling.p99-1conn',
      },
      {
        id: 'predict.server-cpu',
        label: '/predict: server CPU per response',
        value: apiRun.serverCpuMsPerResponse,
        unit: 'ms',
        reference: 'ceiling.server-cpu',
      },
      { id: 'predict.errors', label: '/predict: errors in the measured window', value: apiRun.errors, unit: '' },
      {
        id: 'batch.rows',
        label: `/invocations, ${BATCH_ROWS}-row dataframe_split, ${BATCH_CONNECTIONS} connections: rows per second`,
        value: batchRowsPerSecond,
        unit: 'rows/s',
      },
      {
        id: 'batch.p50',
        label: `/invocations, ${BATCH_ROWS} rows: p50 latency per request`,
        value: batch.p50Ms,
        unit: 'ms',
      },
      {
        id: 'batch.p99',
        label: `/invocations, ${BATCH_ROWS} rows: p99 latency per request`,
        value: batch.p99Ms,
        unit: 'ms',
      },
      {
        id: 'swap.push-median',
        label: `alias move → every response on the new version, push (median of ${PUSH_MOVES})`,
        value: finiteOr(pushMedian, PUSH_SPACING_MS),
        unit: 'ms',
        reference: 'swap.poll-median',
      },
      {
        id: 'swap.push-max',
        label: `alias move → every response on the new version, push (slowest of ${PUSH_MOVES})`,
        value: finiteOr(pushMax, PUSH_SPACING_MS),
        unit: 'ms',
      },
      {
        id: 'swap.push-calls',
        label: 'set-alias call + /admin/reload answered (median)',
        value: medianOf(pushed.moves.map((move) => move.callsMs)),
        unit: 'ms',
      },
      {
        id: 'moves.errors',
        label: `non-200 responses or broken connections during ${MOVES_UNDER_LOAD} moves under load`,
        value: moveErrors,
        unit: '',
      },
      {
        id: 'moves.responses',
        label: `responses during the ${MOVES_UNDER_LOAD} moves (all checked for status)`,
        value: stress.responses,
        unit: '',
      },
      {
        id: 'moves.throughput',
        label: `/predict throughput while moving the alias ${MOVES_UNDER_LOAD} times`,
        value: stress.requestsPerSecond,
        unit: 'req/s',
      },
      {
        id: 'moves.duration',
        label: `${MOVES_UNDER_LOAD} moves, each set-alias + /admin/reload awaited`,
        value: stressMovesMs,
        unit: 'ms',
      },
    ];
    const references = [
      {
        id: 'ceiling.throughput',
        label: 'bare Node http + onnxruntime-node',
        value: ceilingRun.requestsPerSecond,
        unit: 'req/s',
      },
      { id: 'ceiling.p50', label: 'bare Node http + onnxruntime-node', value: ceilingRun.p50Ms, unit: 'ms' },
      { id: 'ceiling.p99', label: 'bare Node http + onnxruntime-node', value: ceilingRun.p99Ms, unit: 'ms' },
      {
        id: 'ceiling.server-cpu',
        label: 'bare Node http + onnxruntime-node',
        value: ceilingRun.serverCpuMsPerResponse,
        unit: 'ms',
      },
      {
        id: 'ceiling.p50-1conn',
        label: 'bare Node http + onnxruntime-node, 1 connection',
        value: ceilingAlone.p50Ms,
        unit: 'ms',
      },
      {
        id: 'ceiling.p99-1conn',
        label: 'bare Node http + onnxruntime-node, 1 connection',
        value: ceilingAlone.p99Ms,
        unit: 'ms',
      },
      {
        id: 'incumbent.throughput',
        label: 'mlflow models serve, one-row dataframe_split',
        value: incumbentRun.requestsPerSecond,
        unit: 'req/s',
      },
      { id: 'incumbent.p50', label: 'mlflow models serve', value: incumbentRun.p50Ms, unit: 'ms' },
      { id: 'incumbent.p99', label: 'mlflow models serve', value: incumbentRun.p99Ms, unit: 'ms' },
      {
        id: 'swap.poll-median',
        label: `polling only, every ${POLL_INTERVAL_MS} ms (median of ${POLL_MOVES})`,
        value: finiteOr(pollMedian, POLL_SPACING_MS),
        unit: 'ms',
      },
    ];
    const targets = [
      {
        id: 'predict.half-ceiling',
        description: "/predict throughput at least half the bare onnxruntime server's",
        value: apiRun.requestsPerSecond,
        limit: 0.5 * ceilingRun.requestsPerSecond,
        unit: 'req/s',
        pass: apiRun.requestsPerSecond >= 0.5 * ceilingRun.requestsPerSecond,
      },
      {
        id: 'predict.5x-incumbent',
        description: "/predict throughput at least 5× mlflow models serve's",
        value: apiRun.requestsPerSecond,
        limit: 5 * incumbentRun.requestsPerSecond,
        unit: 'req/s',
        pass: apiRun.requestsPerSecond >= 5 * incumbentRun.requestsPerSecond,
      },
      {
        id: 'predict.p99',
        description: `/predict p99 latency at ${CONNECTIONS} connections at most 10 ms`,
        value: apiRun.p99Ms,
        limit: 10,
        unit: 'ms',
        pass: apiRun.p99Ms <= 10,
      },
      {
        id: 'batch.200k',
        description: 'batch scoring through /invocations at least 200 k rows/s',
        value: batchRowsPerSecond,
        limit: 200_000,
        unit: 'rows/s',
        pass: batchRowsPerSecond >= 200_000,
      },
      {
        id: 'swap.push-under-1s',
        description: 'alias move → every response on the new version under 1 s with push (median)',
        value: finiteOr(pushMedian, PUSH_SPACING_MS),
        limit: 1000,
        unit: 'ms',
        pass: pushMedian < 1000,
      },
      {
        id: 'moves.zero-errors',
        description: `no failed request during ${MOVES_UNDER_LOAD} alias moves under load`,
        value: moveErrors,
        limit: 0,
        unit: 'errors',
        pass: moveErrors === 0 && movesConfirmed === MOVES_UNDER_LOAD,
      },
    ];
    const describe = (run: Measured) => `${run.requestsPerSecond.toFixed(0)} req/s (p99 ${run.p99Ms.toFixed(1)} ms)`;
    return {
      timed:
        `a closed-loop load generator (bench/suites/inference/load-generator.ts: raw keep-alive sockets, one request outstanding per connection, ` +
        `request bytes serialised once, responses parsed only for status, length, x-model-version and x-model-variant, one body in ${CHECK_EVERY} parsed and checked) ` +
        `runs in its own process with ${CONNECTIONS} connections: ${WARMUP_MS / 1000} s warm-up, then ${DURATION_MS / 1000} s measured; throughput counts ` +
        'successful responses received in the window, latency is from writing a request to reading its whole response. The generator shares the ' +
        `machine's ${cpus().length} cores with the server it measures (and with other work on the host: see the load average), so every figure is lower than on a ` +
        `dedicated server; its own CPU use is in the raw JSON. Servers: inference-api built with Nx and run with node dist/apps/inference-api/main.js ` +
        '(NODE_ENV=production, JSON logs, default limits: the prediction log and drift monitoring on, the log in a SQLite file of its own); the ceiling is the same model.onnx behind a bare Node http server (JSON.parse → one tensor ' +
        "per input → session.run → JSON.stringify); the incumbent is mlflow models serve --env-manager local on the same registered version (MLflow's " +
        'default of one uvicorn worker; inference-api is one Node process too), sent one-row dataframe_split bodies. ' +
        `Single-row figures are the median-throughput round of ${ROUNDS} interleaved rounds. Batch: ${BATCH_ROWS}-row dataframe_split bodies on ` +
        `${BATCH_CONNECTIONS} connections. Alias moves: the clock starts just before the set-alias request to MLflow and stops at the first response ` +
        'on the new version received after the last response on the old one (requests already running may finish on the old version), with ' +
        `${CONNECTIONS} connections of /predict running throughout; push = set alias, then POST /admin/reload and wait for its answer, as ` +
        `registry-admin does (polling off), moves ${PUSH_SPACING_MS} ms apart and at least 1 s after the calls returned (the first move to version 2 includes its download); polling = POLL_INTERVAL_MS ${POLL_INTERVAL_MS}, no push, moves ${POLL_SPACING_MS} ms apart. ${MOVES_UNDER_LOAD} moves: back to back, alternating ` +
        'between two versions, under the same load.',
      results,
      references,
      targets,
      notes: [
        `Rounds (inference-api / ceiling / incumbent): ${rounds.map((round) => `${describe(round.api)} / ${describe(round.ceiling)} / ${describe(round.incumbent)}`).join('; ')}.`,
        `Push switch delays (ms, in move order): ${pushed.delays.map((delay) => (delay === null ? 'never' : delay.toFixed(0))).join(', ')}; polling: ${polled.delays.map((delay) => (delay === null ? 'never' : delay.toFixed(0))).join(', ')}.`,
        `${MOVES_UNDER_LOAD} moves under load: /admin/reload answered with the new version serving after ${movesConfirmed} of ${MOVES_UNDER_LOAD} moves; versions named by responses: ${[...stressVersions].sort().join(', ')} (registered: ${versions.join(', ')}); last response on version ${lastServed}, the alias's last target ${stressMoves[stressMoves.length - 1].toVersion}; errors by kind: ${JSON.stringify(stress.errorsByKind)}.`,
        `Server CPU per response (ms, whole process group, warm-up included): inference-api ${apiRun.serverCpuMsPerResponse.toFixed(3)}, ceiling ${ceilingRun.serverCpuMsPerResponse.toFixed(3)}, incumbent ${incumbentRun.serverCpuMsPerResponse.toFixed(3)}; generator CPU in the measured window: ${(apiRun.generatorCpuMs / 1000).toFixed(1)} s of ${(DURATION_MS / 1000).toFixed(0)} s against inference-api.`,
        `The load is closed-loop, so mean latency = connections ÷ throughput (Little's law): at ${CONNECTIONS} connections a p99 of 10 ms needs well over ${(CONNECTIONS / 0.01).toFixed(0)} req/s of throughput; the bare onnxruntime server reached ${ceilingRun.requestsPerSecond.toFixed(0)} req/s on this machine in this run. The 1-connection figures show the time one request takes when nothing waits in front of it.`,
        'Ratios beside throughput figures are ours ÷ reference, so above 1 is faster there (RESULTS.md\'s "below 1 is faster" holds for times).',
      ],
      raw: {
        rounds,
        apiAlone,
        ceilingAlone,
        batch,
        pushed,
        polled: { summary: polled.summary, moves: polled.moves, delays: polled.delays },
        stress: { summary: stress, movesMs: stressMovesMs, moves: stressMoves },
      },
    };
  } finally {
    for (const server of servers.reverse()) await stopGroup(server.pid);
  }
}
