/**
 * Issues 5 and 15's inference benchmark, in one run on one machine, every server driven by one load
 * generator (inference/load-generator.ts) in a process of its own with the same body:
 *   inference-api (the built app, as deployed) on its default settings (prediction log on, SQLite)
 *     and with the prediction log off;
 *   the HTTP floor: a bare Node `http` server that parses the body and answers a constant of the
 *     same size (inference/reference-server.ts `floor`), the most any Node server can do here;
 *   the fair ceiling: a bare server grouping a turn's requests into one onnxruntime call with the
 *     app's own ScoreCoalescer and session options (`grouped`), answering the app's fields and headers;
 *   the per-request bare server: one call per request, the app's session options (`per-request`);
 *   the tuned Python server: FastAPI + uvicorn, 2 workers, onnxruntime on the same model.onnx
 *     (bench/python-server);
 *   `mlflow models serve --env-manager local` (the incumbent);
 * then batch scoring, alias moves with push and with polling only, and 100 moves under load.
 *
 * Set-up (not timed): build inference-api and training-worker with Nx (so the current source is
 * measured), start a private MLflow server (SQLite, proxied artifacts, one worker) in the scratch
 * folder, train and register two versions with training-worker's CLI, point `production` at
 * version 1, download version 1's model directory for the references. Every server runs in a process
 * group of its own, stopped by its process id at the end (and by tools/mlflow/watchdog.mjs if this
 * process dies first).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

import type { BenchContext, Figure, SuiteOutcome, Target } from '../support/suite';
import { logCounters, waitUntil, type LogCounters } from './ab-logging/replica-probes';
import { medianOf, readTimeline, switchDelays, type AliasMove } from './inference/alias-moves';
import type { LoadConfig, LoadSummary } from './inference/load-generator';
import { freePort, runOrThrow, startLoad, startServer, stopGroup, type ServerProcess } from './inference/processes';
import type { ReferenceMode, ServingCopy } from './inference/reference-server';
import { readServerCost, requestThreadNote, threadCpuMs, threadWaitMs, type ServerCost } from './inference/server-cost';
import {
  buildServingApps,
  startInferenceApi,
  startPrivateMlflow,
  telcoFeatureRows,
  trainVersions,
} from './inference/serving-setup';

export const title = 'Inference: throughput, latency, hot swaps (issues 5 and 15)';

const MODEL_NAME = 'bench_churn';
const ALIAS = 'production';
const ADMIN_TOKEN = 'bench-admin-token';
const CONNECTIONS = 32;
const BATCH_ROWS = 1_000;
const BATCH_CONNECTIONS = 8;
const ONE_PREDICT = `/predict, one customer, ${CONNECTIONS} connections`;
const POLL_INTERVAL_MS = 1_000;
/** One body in this many is parsed and checked by the generator. */
const CHECK_EVERY = 997;
const P99_LIMIT_MS = 10;
/** Issue 15's ratios, each read as the median over rounds of the ratio within a round. */
const LOG_OFF_VS_FAIR_CEILING = 0.9;
const VS_HTTP_FLOOR = 0.5;
const VS_TUNED_PYTHON = 3;
const VS_MLFLOW_SERVE = 50;

/** Full settings, and the `--quick` ones that only check the suite runs. */
const SETTINGS = {
  full: {
    warmupMs: 2_000,
    durationMs: 10_000,
    rounds: 5,
    pushMoves: 10,
    pushSpacingMs: 1_500,
    pollMoves: 8,
    pollSpacingMs: 3_000,
    movesUnderLoad: 100,
  },
  quick: {
    warmupMs: 500,
    durationMs: 1_000,
    rounds: 1,
    pushMoves: 2,
    pushSpacingMs: 1_500,
    pollMoves: 0,
    pollSpacingMs: 3_000,
    movesUnderLoad: 3,
  },
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const nowMs = () => performance.timeOrigin + performance.now();

type Measured = LoadSummary & ServerCost;

/** The servers measured in every round, in the order of the first round. */
const SERVERS = ['api', 'apiOff', 'floor', 'grouped', 'perRequest', 'python', 'incumbent'] as const;
type ServerId = (typeof SERVERS)[number];
/** The servers whose requests all run on one Node thread, whose CPU and run-queue wait are read per answered request. */
const NODE_SERVERS = ['api', 'apiOff', 'floor', 'grouped', 'perRequest'] as const satisfies readonly ServerId[];

const SERVER_LABELS: Record<ServerId, string> = {
  api: 'inference-api /predict, default settings (prediction log on, SQLite)',
  apiOff: 'inference-api /predict, prediction log off',
  floor: 'HTTP floor: bare Node http, JSON.parse, constant answer of the same size',
  grouped:
    "fair ceiling: bare Node http + onnxruntime-node, a turn's requests in one call (the app's coalescer and session options)",
  perRequest: "bare Node http + onnxruntime-node, one call per request (the app's session options)",
  python: 'tuned Python: FastAPI + uvicorn, 2 workers, onnxruntime',
  incumbent: 'mlflow models serve, one-row dataframe_split',
};

/** Polls the prediction log's counters until its queue is empty and they stop changing. */
async function quietLogCounters(url: string): Promise<LogCounters> {
  let previous = await logCounters(url);
  await waitUntil(`${url}'s prediction log to go quiet`, async () => {
    const current = await logCounters(url);
    const quiet = current.queued === 0 && current.written === previous.written && current.dropped === previous.dropped;
    previous = current;
    return quiet;
  });
  return previous;
}

/**
 * What `/model` says of the graph run (serving_copy, less its notes) or a reference's `/serving-copy`
 * answers, when it names both lists of inputs: a server that does not say which graph it runs cannot
 * be compared.
 */
function requireServingCopy(url: string, copy: Partial<ServingCopy> | undefined): ServingCopy {
  if (!Array.isArray(copy?.integer_coded_inputs) || !Array.isArray(copy?.packed_inputs))
    throw new Error(`${url} does not say which graph it runs (no integer_coded_inputs and packed_inputs lists)`);
  return { integer_coded_inputs: copy.integer_coded_inputs, packed_inputs: copy.packed_inputs };
}

/**
 * Stops the run unless every inference-api server and every model reference runs the same graph (the
 * same inputs as codes and packed, by `/model`'s serving_copy): the app swaps a copy in only once it
 * scores as the original, and a server on another graph would measure something else.
 */
async function requireSameServingCopy(
  apiInternalUrls: readonly string[],
  referenceUrls: readonly string[],
): Promise<void> {
  const read = async (url: string): Promise<string> => {
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as Partial<ServingCopy> & { serving_copy?: Partial<ServingCopy> };
    return JSON.stringify(requireServingCopy(url, url.endsWith('/model') ? body.serving_copy : body));
  };
  const [first, ...others] = [
    ...apiInternalUrls.map((url) => `${url}/model`),
    ...referenceUrls.map((url) => `${url}/serving-copy`),
  ];
  const expected = await read(first);
  for (const url of others) {
    const graph = await read(url);
    if (graph !== expected) throw new Error(`${url} runs another graph than ${first}: ${graph} against ${expected}`);
  }
}

/**
 * inference-api's request-thread figures (CPU, then run-queue wait, per answered request; default
 * settings and log off) beside the fair ceiling's, and the per-round ratio of the log-off server's
 * CPU to the ceiling's: how much of the throughput gap is work on the thread and how much is waiting
 * for a core.
 */
function requestThreadFigures(
  overRounds: (id: ServerId, pick: (run: Measured) => number) => { value: number; rounds: number[] },
  cpuRatios: number[],
): Figure[] {
  return [
    {
      id: 'predict.thread-cpu',
      label: `${ONE_PREDICT}: request thread CPU per answered request`,
      unit: 'ms',
      reference: 'grouped.thread-cpu',
      ...overRounds('api', threadCpuMs),
    },
    {
      id: 'predict-log-off.thread-cpu',
      label: `${ONE_PREDICT}, prediction log off: request thread CPU per answered request`,
      unit: 'ms',
      reference: 'grouped.thread-cpu',
      ...overRounds('apiOff', threadCpuMs),
    },
    {
      id: 'ratio.log-off-thread-cpu-vs-fair-ceiling',
      label: 'per round: inference-api (log off) ÷ fair ceiling request thread CPU per answered request',
      unit: '×',
      value: medianOf(cpuRatios),
      rounds: cpuRatios,
    },
    {
      id: 'predict.thread-wait',
      label: `${ONE_PREDICT}: request thread run-queue wait per answered request`,
      unit: 'ms',
      reference: 'grouped.thread-wait',
      ...overRounds('api', threadWaitMs),
    },
    {
      id: 'predict-log-off.thread-wait',
      label: `${ONE_PREDICT}, prediction log off: request thread run-queue wait per answered request`,
      unit: 'ms',
      reference: 'grouped.thread-wait',
      ...overRounds('apiOff', threadWaitMs),
    },
  ];
}

export async function run(context: BenchContext): Promise<SuiteOutcome> {
  const settings = context.quick ? SETTINGS.quick : SETTINGS.full;
  const { warmupMs, durationMs, rounds: ROUNDS } = settings;
  const root = context.workspaceRoot;
  const scratch = context.scratchDir;
  const logDir = join(scratch, 'logs');
  mkdirSync(logDir, { recursive: true });
  const python = context.python();
  const telcoCsv = resolve(root, 'libs/churn-pipeline/data/telco-customer-churn.csv');
  const servers: ServerProcess[] = [];

  context.log('building inference-api and training-worker (not timed)');
  const { trainerBundle } = buildServingApps(root);
  context.log("installing the tuned Python server's pinned environment (first run only, not timed)");
  const serverPython = runOrThrow(
    'bench/python-server/venv.mjs',
    process.execPath,
    [join(root, 'bench/python-server/venv.mjs')],
    { cwd: root, timeoutMs: 1_200_000 },
  ).trim();

  try {
    const mlflow = await startPrivateMlflow({ python, scratchDir: scratch, logDir, workspaceRoot: root });
    servers.push(mlflow);
    const { client, env: mlflowEnv } = mlflow;

    const versions = await trainVersions({
      workspaceRoot: root,
      trainerBundle,
      telcoCsv,
      mlflow,
      modelName: MODEL_NAME,
      experiment: 'bench-inference',
      seeds: [42, 7],
      log: context.log,
    });
    const [first, second] = versions;
    await client.registeredModels.setAlias({ name: MODEL_NAME, alias: ALIAS, version: first });
    const referenceModelDir = join(scratch, 'reference-model');
    await client.artifacts.downloadDirectory(
      await client.modelVersions.getDownloadUri({ name: MODEL_NAME, version: first }),
      referenceModelDir,
    );

    const { columns, rows } = await telcoFeatureRows(telcoCsv, BATCH_ROWS);
    const customer = Object.fromEntries(columns.map((name, index) => [name, rows[0][index]]));
    const writeBody = (name: string, body: unknown) => {
      const file = join(scratch, `${name}.json`);
      writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
      return file;
    };
    const predictBody = writeBody('predict-body', customer);
    const oneRowSplit = writeBody('one-row-split', { dataframe_split: { columns, data: [rows[0]] } });
    const batchSplit = writeBody('batch-split', { dataframe_split: { columns, data: rows } });

    const startApi = async (name: string, apiSettings: Record<string, string>) => {
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
        settings: { ...store, ...apiSettings },
      });
      servers.push(api);
      return api;
    };
    const startReference = async (mode: ReferenceMode, ...argumentsOfMode: string[]) => {
      const port = await freePort();
      const server = await startServer({
        name: `reference-${mode}`,
        command: process.execPath,
        args: [
          '--require',
          join(root, 'bench/support/register-typescript.cjs'),
          join(root, 'bench/suites/inference/reference-server.ts'),
          mode,
          String(port),
          ...argumentsOfMode,
        ],
        env: process.env,
        port,
        readyPath: '/',
        logDir,
        workspaceRoot: root,
      });
      servers.push(server);
      return server;
    };

    context.log('starting inference-api (log on, log off), the reference servers and mlflow models serve');
    const api = await startApi('inference-api-push', { POLL_INTERVAL_MS: '0', INFERENCE_ADMIN_TOKEN: ADMIN_TOKEN });
    const apiOff = await startApi('inference-api-log-off', { POLL_INTERVAL_MS: '0', PREDICTION_LOG_ENABLED: 'false' });
    // The floor answers inference-api's own answer to the same body, with its content type and x-
    // headers, so its responses are as long.
    const apiAnswer = await fetch(`${api.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(customer),
    });
    if (apiAnswer.status !== 200)
      throw new Error(`inference-api answered ${apiAnswer.status} to the benchmark's body: ${await apiAnswer.text()}`);
    const floorHeaders = writeBody(
      'floor-headers',
      Object.fromEntries(
        [...apiAnswer.headers].filter(([header]) => header === 'content-type' || header.startsWith('x-')),
      ),
    );
    const floorAnswer = writeBody('floor-answer', await apiAnswer.text());
    const floor = await startReference('floor', floorAnswer, floorHeaders);
    // The model references answer as inference-api does (the same fields and headers), naming the version it serves.
    const served = [referenceModelDir, MODEL_NAME, ALIAS, first];
    const grouped = await startReference('grouped', ...served);
    const perRequest = await startReference('per-request', ...served);
    await requireSameServingCopy([api.internalUrl, apiOff.internalUrl], [grouped.url, perRequest.url]);
    const pythonPort = await freePort();
    const tunedPython = await startServer({
      name: 'python-fastapi',
      command: serverPython,
      // Two workers, each on its own SO_REUSEPORT socket (serve.py): uvicorn's --workers share one
      // socket and left most rounds' 32 connections on one worker.
      args: [
        join(root, 'bench/python-server/serve.py'),
        '--workers',
        '2',
        '--host',
        '127.0.0.1',
        '--port',
        String(pythonPort),
      ],
      env: { ...process.env, MODEL_DIR: referenceModelDir, PYTHONUNBUFFERED: '1' },
      port: pythonPort,
      readyPath: '/ping',
      logDir,
      workspaceRoot: root,
    });
    servers.push(tunedPython);
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
      warmupMs,
      durationMs,
      expectRows: 1,
      checkEvery: CHECK_EVERY,
      ...overrides,
    });
    /** One load run; `requestThread` for the Node servers, whose main thread serves every request. */
    const measure = async (
      label: string,
      server: ServerProcess,
      config: LoadConfig,
      { requestThread = false } = {},
    ): Promise<Measured> => {
      const cost = readServerCost(server.pid, { requestThread });
      const summary = await startLoad(root, config).done;
      const measured = { ...summary, ...cost.finish(summary.answered) };
      context.log(
        `${label}: ${summary.requestsPerSecond.toFixed(0)} req/s, p50 ${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms, ${summary.errors} errors`,
      );
      return measured;
    };
    const roundConfigs: Record<ServerId, [ServerProcess, LoadConfig]> = {
      api: [api, loadConfig(api, '/predict', predictBody)],
      apiOff: [apiOff, loadConfig(apiOff, '/predict', predictBody)],
      floor: [floor, loadConfig(floor, '/', predictBody)],
      grouped: [grouped, loadConfig(grouped, '/', predictBody)],
      perRequest: [perRequest, loadConfig(perRequest, '/', predictBody)],
      python: [tunedPython, loadConfig(tunedPython, '/predict', predictBody)],
      incumbent: [incumbent, loadConfig(incumbent, '/invocations', oneRowSplit)],
    };

    // Every server in every round, the order rotating so that none always follows the same one.
    const rounds: Record<ServerId, Measured>[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const measured: Partial<Record<ServerId, Measured>> = {};
      for (let step = 0; step < SERVERS.length; step++) {
        const id = SERVERS[(round - 1 + step) % SERVERS.length];
        const [server, config] = roundConfigs[id];
        measured[id] = await measure(`round ${round}, ${SERVER_LABELS[id]}`, server, config, {
          requestThread: (NODE_SERVERS as readonly ServerId[]).includes(id),
        });
      }
      rounds.push(measured as Record<ServerId, Measured>);
    }
    const perRound = (id: ServerId, pick: (run: Measured) => number) => rounds.map((round) => pick(round[id]));
    const overRounds = (id: ServerId, pick: (run: Measured) => number) => {
      const values = perRound(id, pick);
      return { value: medianOf(values), rounds: values };
    };
    const throughputOf = (id: ServerId) => overRounds(id, (run) => run.requestsPerSecond);
    /** Within each round, ours ÷ reference throughput; quoted as the median over rounds. */
    const ratioOver = (ours: ServerId, reference: ServerId) => {
      const values = rounds.map((round) => round[ours].requestsPerSecond / round[reference].requestsPerSecond);
      return { value: medianOf(values), rounds: values };
    };

    const single = { connections: 1, checkEvery: 101 };
    const apiAlone = await measure(
      'inference-api /predict, 1 connection',
      api,
      loadConfig(api, '/predict', predictBody, single),
    );
    const ceilingAlone = await measure(
      'fair ceiling, 1 connection',
      grouped,
      loadConfig(grouped, '/', predictBody, single),
    );
    for (const reference of [incumbent, tunedPython, perRequest, grouped, floor, apiOff]) await reference.stop();

    const logBeforeBatch = await quietLogCounters(api.internalUrl);
    const batch = await measure(
      `inference-api /invocations, ${BATCH_ROWS}-row dataframe_split`,
      api,
      loadConfig(api, '/invocations', batchSplit, {
        connections: BATCH_CONNECTIONS,
        expectRows: BATCH_ROWS,
        checkEvery: 50,
      }),
    );
    const logAfterBatch = await quietLogCounters(api.internalUrl);
    const batchDropped = logAfterBatch.dropped - logBeforeBatch.dropped;
    const batchLogged = logAfterBatch.written - logBeforeBatch.written;

    const moveAlias = async (version: string, push: boolean): Promise<AliasMove> => {
      const at = nowMs();
      await client.registeredModels.setAlias({ name: MODEL_NAME, alias: ALIAS, version });
      if (!push) return { at, toVersion: version, callsMs: nowMs() - at };
      // What registry-admin does after a move: push, and wait for the answer.
      const response = await fetch(`${api.internalUrl}/admin/reload`, {
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
      await sleep(warmupMs + 500);
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

    context.log(`${settings.pushMoves} alias moves with push, ${settings.pushSpacingMs} ms apart, under load`);
    const pushed = await timedMoves('push', api, true, settings.pushMoves, settings.pushSpacingMs);

    context.log(`${settings.movesUnderLoad} alias moves with push, back to back, under load`);
    await moveAlias(first, true);
    const stressTimeline = join(scratch, 'stress.timeline');
    const stressLoad = startLoad(
      root,
      loadConfig(api, '/predict', predictBody, { durationMs: 0, timelineFile: stressTimeline }),
    );
    await sleep(warmupMs + 500);
    const stressStarted = nowMs();
    const stressMoves: AliasMove[] = [];
    for (let move = 0; move < settings.movesUnderLoad; move++)
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

    // --quick leaves polling out: a process start and a poll-spaced move are most of a quick run's time.
    const measurePolling = async () => {
      context.log('starting inference-api with polling only (no push)');
      await client.registeredModels.setAlias({ name: MODEL_NAME, alias: ALIAS, version: first });
      const polling = await startApi('inference-api-poll', { POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) });
      const measured = await timedMoves('poll', polling, false, settings.pollMoves, settings.pollSpacingMs);
      await polling.stop();
      return measured;
    };
    const polled = settings.pollMoves > 0 ? await measurePolling() : { summary: null, moves: [], delays: [] };

    const pushMedian = medianOf(pushed.delays);
    const pollMedian = medianOf(polled.delays);
    const pushMax = Math.max(...pushed.delays.map((delay) => delay ?? Number.POSITIVE_INFINITY));
    const finiteOr = (value: number, fallback: number) => (Number.isFinite(value) ? value : fallback);
    /** Said beside a delay figure when some move was never seen complete: it then stands for the spacing, a lower bound. */
    const unseen = (delays: readonly (number | null)[], spacingMs: number) => {
      const missed = delays.filter((delay) => delay === null).length;
      return missed === 0
        ? ''
        : `; ${missed} of ${delays.length} never complete before the next move or the end, counted as ${spacingMs} ms (a lower bound)`;
    };
    const batchRowsPerSecond = batch.requestsPerSecond * BATCH_ROWS;
    const moveErrors = stress.errors;
    const movesConfirmed = stressMoves.filter((move) => move.servedAfterPush === move.toVersion).length;

    const ratios = {
      offVsFairCeiling: ratioOver('apiOff', 'grouped'),
      vsFloor: ratioOver('api', 'floor'),
      vsPython: ratioOver('api', 'python'),
      vsIncumbent: ratioOver('api', 'incumbent'),
      vsPerRequest: ratioOver('api', 'perRequest'),
    };
    const p99Rounds = perRound('api', (run) => run.p99Ms);
    const p99RoundsMet = p99Rounds.filter((p99) => p99 <= P99_LIMIT_MS).length;
    const p99RoundsNeeded = Math.ceil(0.8 * ROUNDS);

    const references: Figure[] = [];
    for (const id of SERVERS.filter((server) => server !== 'api')) {
      references.push(
        { id: `${id}.throughput`, label: SERVER_LABELS[id], unit: 'req/s', ...throughputOf(id) },
        { id: `${id}.p50`, label: SERVER_LABELS[id], unit: 'ms', ...overRounds(id, (run) => run.p50Ms) },
        { id: `${id}.p99`, label: SERVER_LABELS[id], unit: 'ms', ...overRounds(id, (run) => run.p99Ms) },
        {
          id: `${id}.server-cpu`,
          label: SERVER_LABELS[id],
          unit: 'ms',
          ...overRounds(id, (run) => run.serverCpuMsPerResponse),
        },
      );
    }
    // Where the kernel keeps no schedstat (not Linux, or built without it) these figures are left out, and a note says so.
    const threadsRead = rounds.every((round) => NODE_SERVERS.every((id) => round[id].requestThread !== undefined));
    const threadCpuRatios = rounds.map((round) => threadCpuMs(round.apiOff) / threadCpuMs(round.grouped));
    if (threadsRead)
      for (const id of NODE_SERVERS.filter((server) => server !== 'api')) {
        references.push(
          { id: `${id}.thread-cpu`, label: SERVER_LABELS[id], unit: 'ms', ...overRounds(id, threadCpuMs) },
          { id: `${id}.thread-wait`, label: SERVER_LABELS[id], unit: 'ms', ...overRounds(id, threadWaitMs) },
        );
      }
    references.push(
      { id: 'grouped.p50-1conn', label: 'fair ceiling, 1 connection', value: ceilingAlone.p50Ms, unit: 'ms' },
      { id: 'grouped.p99-1conn', label: 'fair ceiling, 1 connection', value: ceilingAlone.p99Ms, unit: 'ms' },
    );
    // --quick measures no polling move: then there is no polling figure to print push beside.
    const pollingMeasured = polled.delays.length > 0;
    if (pollingMeasured)
      references.push({
        id: 'swap.poll-median',
        label: `polling only, every ${POLL_INTERVAL_MS} ms (median of ${settings.pollMoves}${unseen(polled.delays, settings.pollSpacingMs)})`,
        value: finiteOr(pollMedian, settings.pollSpacingMs),
        unit: 'ms',
      });
    const results: Figure[] = [
      ...(['floor', 'grouped', 'perRequest', 'python', 'incumbent'] as const).map((reference) => ({
        id: `predict.throughput-vs-${reference}`,
        label: `${ONE_PREDICT}: throughput`,
        unit: 'req/s',
        reference: `${reference}.throughput`,
        ...throughputOf('api'),
      })),
      {
        id: 'predict-log-off.throughput',
        label: `${ONE_PREDICT}, prediction log off: throughput`,
        unit: 'req/s',
        reference: 'grouped.throughput',
        ...throughputOf('apiOff'),
      },
      {
        id: 'ratio.log-off-vs-fair-ceiling',
        label: 'per round: inference-api (log off) ÷ fair ceiling throughput',
        unit: '×',
        ...ratios.offVsFairCeiling,
      },
      {
        id: 'ratio.vs-http-floor',
        label: 'per round: inference-api (default) ÷ HTTP floor throughput',
        unit: '×',
        ...ratios.vsFloor,
      },
      {
        id: 'ratio.vs-tuned-python',
        label: 'per round: inference-api (default) ÷ tuned Python throughput',
        unit: '×',
        ...ratios.vsPython,
      },
      {
        id: 'ratio.vs-mlflow-serve',
        label: 'per round: inference-api (default) ÷ mlflow models serve throughput',
        unit: '×',
        ...ratios.vsIncumbent,
      },
      {
        id: 'ratio.vs-per-request',
        label: 'per round: inference-api (default) ÷ per-request bare server throughput',
        unit: '×',
        ...ratios.vsPerRequest,
      },
      {
        id: 'predict.p50',
        label: '/predict: p50 latency',
        unit: 'ms',
        reference: 'grouped.p50',
        ...overRounds('api', (run) => run.p50Ms),
      },
      {
        id: 'predict.p99',
        label: '/predict: p99 latency',
        unit: 'ms',
        reference: 'grouped.p99',
        ...overRounds('api', (run) => run.p99Ms),
      },
      {
        id: 'predict.p99-vs-python',
        label: '/predict: p99 latency',
        unit: 'ms',
        reference: 'python.p99',
        ...overRounds('api', (run) => run.p99Ms),
      },
      {
        id: 'predict-log-off.p99',
        label: '/predict, prediction log off: p99 latency',
        unit: 'ms',
        reference: 'grouped.p99',
        ...overRounds('apiOff', (run) => run.p99Ms),
      },
      {
        id: 'predict.p50-1conn',
        label: '/predict, 1 connection: p50 latency',
        value: apiAlone.p50Ms,
        unit: 'ms',
        reference: 'grouped.p50-1conn',
      },
      {
        id: 'predict.p99-1conn',
        label: '/predict, 1 connection: p99 latency',
        value: apiAlone.p99Ms,
        unit: 'ms',
        reference: 'grouped.p99-1conn',
      },
      {
        id: 'predict.server-cpu',
        label: '/predict: server CPU per answered request',
        unit: 'ms',
        reference: 'grouped.server-cpu',
        ...overRounds('api', (run) => run.serverCpuMsPerResponse),
      },
      ...(threadsRead ? requestThreadFigures(overRounds, threadCpuRatios) : []),
      {
        id: 'predict.errors',
        label: '/predict: errors in the measured windows, every round',
        value: perRound('api', (run) => run.errors).reduce((sum, errors) => sum + errors, 0),
        unit: '',
      },
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
        id: 'batch.log-dropped',
        label: `/invocations batch run: rows the prediction log dropped (its drop counter on /metrics), of ${(
          batch.answered * BATCH_ROWS
        ).toLocaleString('en-US')} rows answered`,
        value: batchDropped,
        unit: 'rows',
      },
      {
        id: 'batch.log-written',
        label: '/invocations batch run: rows the prediction log wrote',
        value: batchLogged,
        unit: 'rows',
      },
      {
        id: 'swap.push-median',
        label: `alias move → every response on the new version, push (median of ${settings.pushMoves}${unseen(pushed.delays, settings.pushSpacingMs)})`,
        value: finiteOr(pushMedian, settings.pushSpacingMs),
        unit: 'ms',
        ...(pollingMeasured ? { reference: 'swap.poll-median' } : {}),
      },
      {
        id: 'swap.push-max',
        label: `alias move → every response on the new version, push (slowest of ${settings.pushMoves}${unseen(pushed.delays, settings.pushSpacingMs)})`,
        value: finiteOr(pushMax, settings.pushSpacingMs),
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
        label: `non-200 responses or broken connections during ${settings.movesUnderLoad} moves under load`,
        value: moveErrors,
        unit: '',
      },
      {
        id: 'moves.responses',
        label: `responses during the ${settings.movesUnderLoad} moves (all checked for status)`,
        value: stress.responses,
        unit: '',
      },
      {
        id: 'moves.throughput',
        label: `/predict throughput while moving the alias ${settings.movesUnderLoad} times (the window opens about 0.5 s before the first move and closes 0.5 s after the last)`,
        value: stress.requestsPerSecond,
        unit: 'req/s',
      },
      {
        id: 'moves.duration',
        label: `${settings.movesUnderLoad} moves, each set-alias + /admin/reload awaited`,
        value: stressMovesMs,
        unit: 'ms',
      },
    ];
    const ratioTarget = (id: string, description: string, ratio: { value: number }, limit: number): Target => ({
      id,
      description,
      value: ratio.value,
      limit,
      unit: '×',
      pass: ratio.value >= limit,
    });
    const targets: Target[] = [
      ratioTarget(
        'predict.log-off-vs-fair-ceiling',
        `/predict with the prediction log off at least ${LOG_OFF_VS_FAIR_CEILING}× the fair ceiling's throughput (median of per-round ratios)`,
        ratios.offVsFairCeiling,
        LOG_OFF_VS_FAIR_CEILING,
      ),
      ratioTarget(
        'predict.vs-http-floor',
        `/predict on default settings at least ${VS_HTTP_FLOOR}× the HTTP floor's throughput (median of per-round ratios)`,
        ratios.vsFloor,
        VS_HTTP_FLOOR,
      ),
      ratioTarget(
        'predict.vs-tuned-python',
        `/predict on default settings at least ${VS_TUNED_PYTHON}× the tuned Python server's throughput (median of per-round ratios)`,
        ratios.vsPython,
        VS_TUNED_PYTHON,
      ),
      ratioTarget(
        'predict.vs-mlflow-serve',
        `/predict on default settings at least ${VS_MLFLOW_SERVE}× mlflow models serve's throughput (median of per-round ratios)`,
        ratios.vsIncumbent,
        VS_MLFLOW_SERVE,
      ),
      {
        id: 'predict.p99-rounds',
        description: `/predict on default settings: p99 latency at ${CONNECTIONS} connections at most ${P99_LIMIT_MS} ms in at least ${p99RoundsNeeded} of ${ROUNDS} rounds (counts rounds)`,
        value: p99RoundsMet,
        limit: p99RoundsNeeded,
        unit: 'rounds',
        pass: p99RoundsMet >= p99RoundsNeeded,
      },
      {
        id: 'batch.200k',
        description: `batch scoring through /invocations at least 200 k rows/s (rows answered; the prediction log wrote ${batchLogged.toLocaleString('en-US')} of them and dropped ${batchDropped.toLocaleString('en-US')} as its queue filled)`,
        value: batchRowsPerSecond,
        limit: 200_000,
        unit: 'rows/s',
        pass: batchRowsPerSecond >= 200_000,
      },
      {
        id: 'swap.push-under-1s',
        description: 'alias move → every response on the new version under 1 s with push (median)',
        value: finiteOr(pushMedian, settings.pushSpacingMs),
        limit: 1000,
        unit: 'ms',
        pass: pushMedian < 1000,
      },
      {
        id: 'moves.zero-errors',
        description: `no failed request during ${settings.movesUnderLoad} alias moves under load`,
        value: moveErrors,
        limit: 0,
        unit: 'errors',
        pass: moveErrors === 0 && movesConfirmed === settings.movesUnderLoad,
      },
    ];
    const describe = (run: Measured) => `${run.requestsPerSecond.toFixed(0)} req/s (p99 ${run.p99Ms.toFixed(1)} ms)`;
    return {
      timed:
        `a closed-loop load generator (bench/suites/inference/load-generator.ts: raw keep-alive sockets, one request outstanding per connection, ` +
        `request bytes serialised once, responses parsed only for status, length, x-model-version and x-model-variant, one body in ${CHECK_EVERY} parsed and checked) ` +
        `runs in its own process with ${CONNECTIONS} connections: ${warmupMs / 1000} s warm-up, then ${durationMs / 1000} s measured; throughput counts ` +
        'successful responses received in the window, latency is from writing a request to reading its whole response. The generator shares the ' +
        `machine's ${cpus().length} cores with the server it measures (and with other work on the host: see the load average), so every figure is lower than on a ` +
        'dedicated server; its own CPU use is in the raw JSON. Every single-customer server gets the same body (one Telco customer as a JSON object; ' +
        'mlflow models serve the same customer as a one-row dataframe_split, the body it takes). inference-api is built with Nx and run with node ' +
        'dist/apps/inference-api/main.js (NODE_ENV=production, JSON logs, default limits: the prediction log and drift monitoring on, the log in a SQLite ' +
        'file of its own), and a second process with PREDICTION_LOG_ENABLED=false. References (bench/suites/inference/reference-server.ts, ' +
        'bench/python-server/server.py) on the same model.onnx of the same version: the HTTP floor reads the body, JSON.parse, and answers a constant ' +
        "JSON (inference-api's own answer to that body, with its content type and x- headers, so the same size), no model; the fair ceiling runs inference-api's ScoreCoalescer (a turn's " +
        "requests in one session.run) with inference-api's session options (graph optimisation all, 1 intra-op and 1 inter-op thread); the per-request " +
        "bare server makes one session.run per request with the same options; both run inference-api's serving copy of the graph (categories as int64 codes, column inputs packed into one tensor per type), " +
        "build its tensors with inference-api's own functions and answer with inference-api's fields and headers " +
        '(model, variant, a request id from its own function, warnings), so the generator reads as many bytes from them as from inference-api; the tuned Python server is FastAPI + uvicorn (uvloop, httptools, 2 worker processes each listening on its own SO_REUSEPORT socket so the kernel spreads the connections, ' +
        "access log off), orjson, one onnxruntime session per worker with 1 intra-op and 1 inter-op thread, answering { prediction, probability } only (no model, variant, request id or warnings, and none of inference-api's headers); mlflow models serve --env-manager local " +
        `runs MLflow's default of one uvicorn worker. ${ROUNDS} rounds; each measures every server once, the order rotating by one server per round; ` +
        'each figure is the median over rounds with every round beside it (min–max), and each ratio target reads the median of the per-round ratios. ' +
        `The 1-connection figures follow the rounds. Batch: ${BATCH_ROWS}-row dataframe_split bodies on ${BATCH_CONNECTIONS} connections against ` +
        'inference-api on default settings; the rows its prediction log dropped are the change of its drop counter on /metrics, read once its queue ' +
        `is empty before and after. Alias moves: the clock starts just before the set-alias request to MLflow and stops at the first response ` +
        'on the new version received after the last response on the old one (requests already running may finish on the old version), with ' +
        `${CONNECTIONS} connections of /predict running throughout; push = set alias, then POST /admin/reload and wait for its answer, as ` +
        `registry-admin does (polling off), moves ${settings.pushSpacingMs} ms apart and at least 1 s after the calls returned (the first move to version 2 includes its download); polling = POLL_INTERVAL_MS ${POLL_INTERVAL_MS}, no push, moves ${settings.pollSpacingMs} ms apart. ${settings.movesUnderLoad} moves: back to back, alternating ` +
        'between two versions, under the same load.',
      results,
      references,
      targets,
      notes: [
        `Rounds (${SERVERS.join(' / ')}): ${rounds.map((round, index) => `round ${index + 1}: ${SERVERS.map((id) => describe(round[id])).join(' / ')}`).join('; ')}.`,
        `/predict p99 per round on default settings (ms): ${p99Rounds.map((p99) => p99.toFixed(2)).join(', ')}; ${p99RoundsMet} of ${ROUNDS} at most ${P99_LIMIT_MS} ms.`,
        `Push switch delays (ms, in move order): ${pushed.delays.map((delay) => (delay === null ? 'never' : delay.toFixed(0))).join(', ')}; polling: ${polled.delays.map((delay) => (delay === null ? 'never' : delay.toFixed(0))).join(', ')}.`,
        `${settings.movesUnderLoad} moves under load: /admin/reload answered with the new version serving after ${movesConfirmed} of ${settings.movesUnderLoad} moves; versions named by responses: ${[...stressVersions].sort().join(', ')} (registered: ${versions.join(', ')}); last response on version ${lastServed}, the alias's last target ${stressMoves[stressMoves.length - 1].toVersion}; errors by kind: ${JSON.stringify(stress.errorsByKind)}.`,
        `Batch run, prediction log counters before → after: written ${logBeforeBatch.written} → ${logAfterBatch.written}, dropped ${logBeforeBatch.dropped} → ${logAfterBatch.dropped}, failed writes ${logBeforeBatch.failedWrites} → ${logAfterBatch.failedWrites}.`,
        `The load is closed-loop, so mean latency = connections ÷ throughput (Little's law): at ${CONNECTIONS} connections a p99 of ${P99_LIMIT_MS} ms needs well over ${(CONNECTIONS / (P99_LIMIT_MS / 1000)).toFixed(0)} req/s of throughput. The 1-connection figures show the time one request takes when nothing waits in front of it.`,
        'Ratios beside throughput figures are ours ÷ reference, so above 1 is faster there (RESULTS.md\'s "below 1 is faster" holds for times).',
        `${requestThreadNote(threadsRead)}${threadsRead ? ` Per round, inference-api (log off) ÷ fair ceiling request-thread CPU: ${threadCpuRatios.map((ratio) => ratio.toFixed(2)).join(', ')}.` : ''}`,
      ],
      raw: {
        rounds,
        apiAlone,
        ceilingAlone,
        batch,
        batchLog: { before: logBeforeBatch, after: logAfterBatch },
        pushed,
        polled: { summary: polled.summary, moves: polled.moves, delays: polled.delays },
        stress: { summary: stress, movesMs: stressMovesMs, moves: stressMoves },
      },
    };
  } finally {
    for (const server of servers.reverse()) await stopGroup(server.pid);
  }
}
