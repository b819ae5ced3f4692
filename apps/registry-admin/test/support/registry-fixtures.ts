// Test fixtures: real model versions in the test run's MLflow server, made the way training-worker
// makes them (train, export ONNX, write an MLflow Model directory, log it to a run, register it with
// the wiring table's version tags) but without depending on training-worker's code; a version
// "registered elsewhere" without metrics or tags; and a version whose signature lacks a column.
// Also rollouts written straight to the store, and real HTTP servers standing in for inference-api
// replicas (one that only takes pushes, one whose figures pass every rollout guard that applies).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import {
  defaultChurnSchema,
  exportPipelineToOnnx,
  syntheticChurnRecords,
  trainChurnModel,
  writeMlflowModelDirectory,
  type TrainedChurnModel,
} from '@churn/churn-pipeline';
import {
  MlflowClient,
  ResourceAlreadyExistsError,
  tagsToRecord,
  TRAFFIC_TAGS,
  type ModelVersion,
} from '@churn/mlflow-client';
import { waitFor } from '@churn/service-kit/testing';

import { LEASE_TAG } from '../../src/app/rollouts/rollout-lease';
import { planOf } from '../../src/app/rollouts/rollout-plan';
import { WENT_ON_TAG, type RolloutState, type RolloutStore } from '../../src/app/rollouts/rollout-state';
import { PER_REQUEST_TAG } from '../../src/app/rollouts/rollouts.service';

const execFileAsync = promisify(execFile);

export function trackingUri(): string {
  const uri = process.env['MLFLOW_TRACKING_URI'];
  if (!uri) throw new Error('MLFLOW_TRACKING_URI is not set: the Jest global setup should have started MLflow');
  return uri;
}

export function testClient(uri = trackingUri()): MlflowClient {
  return new MlflowClient({ trackingUri: uri });
}

/** A model name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface TrainingVariant {
  /** Probability threshold of the label; a high one gives a real, much lower F1. */
  threshold?: number;
  /** Leave this categorical column out of the schema, so the signature lacks it. */
  dropColumn?: string;
}

const trained = new Map<string, Promise<TrainedChurnModel>>();

/** Trains once per variant per test file on 1500 seeded synthetic customers (fast and deterministic). */
function trainVariant(variant: TrainingVariant): Promise<TrainedChurnModel> {
  const key = JSON.stringify(variant);
  let model = trained.get(key);
  if (model === undefined) {
    const schema = defaultChurnSchema();
    const categorical = schema.categorical.filter((column) => column !== variant.dropColumn);
    const identifiers =
      variant.dropColumn === undefined ? schema.identifiers : [...schema.identifiers, variant.dropColumn];
    model = trainChurnModel({
      rows: syntheticChurnRecords({ rows: 1500, seed: 11 }),
      schema: { ...schema, categorical, identifiers },
      threshold: variant.threshold ?? 0.5,
    });
    trained.set(key, model);
  }
  return model;
}

export interface RegisterOptions extends TrainingVariant {
  /** F1 the training gate requires; `gate_passed` is whether the model reached it. Default 0.3. */
  gateF1?: number;
}

export interface RegisteredFixture {
  version: string;
  f1: number;
  gatePassed: boolean;
  runId: string;
}

async function ensureRegisteredModel(mlflow: MlflowClient, name: string): Promise<void> {
  try {
    await mlflow.registeredModels.create({ name });
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsError)) throw error;
  }
}

/** Logs the MLflow Model directory of a trained model to a new run and returns the run id and model URI. */
async function logModelRun(
  mlflow: MlflowClient,
  model: TrainedChurnModel,
  metrics: Record<string, number>,
): Promise<{ runId: string; source: string }> {
  const experiment = await mlflow.experiments.getOrCreate('registry-admin-tests');
  const run = await mlflow.runs.create({ experiment_id: experiment.experiment_id, run_name: 'fixture' });
  const runId = run.info.run_id;
  await mlflow.runs.logBatch({
    run_id: runId,
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value })),
  });
  const dir = await mkdtemp(join(tmpdir(), 'registry-admin-model-'));
  try {
    const examples = [...syntheticChurnRecords({ rows: 3, seed: 5 })];
    await writeMlflowModelDirectory(join(dir, 'model'), {
      fitted: model.pipeline,
      onnxBytes: exportPipelineToOnnx(model.pipeline),
      inputExample: examples,
    });
    await mlflow.artifacts.logDirectory({ run_id: runId, local_dir: join(dir, 'model'), artifact_path: 'model' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await mlflow.runs.update({ run_id: runId, status: 'FINISHED', end_time: Date.now() });
  return { runId, source: await mlflow.artifacts.runArtifactUri(runId, 'model') };
}

async function register(
  mlflow: MlflowClient,
  params: Parameters<MlflowClient['modelVersions']['create']>[0],
): Promise<ModelVersion> {
  await ensureRegisteredModel(mlflow, params.name);
  const created = await mlflow.modelVersions.create(params);
  return mlflow.modelVersions.waitUntilReady(
    { name: params.name, version: created.version },
    { pollIntervalMs: 100, timeoutMs: 30_000 },
  );
}

/** A trained, logged and registered version with the wiring table's tags (f1, roc_auc, gate_f1, gate_passed, data_sha256, run_id). */
export async function registerTrainedVersion(
  mlflow: MlflowClient,
  name: string,
  options: RegisterOptions = {},
): Promise<RegisteredFixture> {
  const model = await trainVariant(options);
  const gateF1 = options.gateF1 ?? 0.3;
  const { f1, rocAuc } = model.metrics;
  const gatePassed = f1 >= gateF1;
  const { runId, source } = await logModelRun(mlflow, model, { f1, roc_auc: rocAuc });
  const version = await register(mlflow, {
    name,
    source,
    run_id: runId,
    tags: {
      f1: String(f1),
      roc_auc: String(rocAuc),
      gate_f1: String(gateF1),
      gate_passed: String(gatePassed),
      data_sha256: model.data.sha256,
      run_id: runId,
    },
  });
  return { version: version.version, f1, gatePassed, runId };
}

/** A model with v1 in production and v2 registered: what a rollout starts from. @returns its name */
export async function modelWithTwoVersions(mlflow: MlflowClient, prefix: string): Promise<string> {
  const model = uniqueName(prefix);
  await registerTrainedVersion(mlflow, model);
  await registerTrainedVersion(mlflow, model);
  await mlflow.registeredModels.setAlias({ name: model, alias: 'production', version: '1' });
  return model;
}

/** What a started rollout of v2 against v1 leaves in the registry: champion, challenger and the per-request split. */
export async function setStartedRollout(mlflow: MlflowClient, model: string): Promise<void> {
  await mlflow.registeredModels.setAlias({ name: model, alias: 'champion', version: '1' });
  await mlflow.registeredModels.setAlias({ name: model, alias: 'challenger', version: '2' });
  await mlflow.registeredModels.setTag({ name: model, key: PER_REQUEST_TAG, value: 'true' });
}

/**
 * A running one-step rollout of v2 against v1 written straight to the store, as a stopped replica
 * leaves it: by default one whose start went on (so it may hold traffic) and with no lease.
 * @param options.wentOn false: a start that never went on (it lost the race, or stopped before it)
 * @param options.leaseHolderMs a lease held by a replica that stopped, for this many ms from now
 * @param options.stepResults the steps it had taken (none by default), written with it
 */
export async function createOrphanedRollout(
  store: RolloutStore,
  model: string,
  options: {
    wentOn?: boolean;
    /** A lease on it for this long, held by `leaseHolder` ('stopped-replica' unless given). */
    leaseHolderMs?: number;
    leaseHolder?: string;
    stepResults?: RolloutState['step_results'];
  } = {},
): Promise<RolloutState> {
  const holder = options.leaseHolder ?? 'stopped-replica';
  const lease: Record<string, string> =
    options.leaseHolderMs === undefined
      ? {}
      : { [LEASE_TAG]: JSON.stringify({ holder, expires_at: Date.now() + options.leaseHolderMs }) };
  return store.create(
    {
      ...planOf({ steps: [0.1], step_seconds: 60, min_requests: 1 }),
      model,
      candidate_version: '2',
      champion_version: '1',
      actor: 'alice',
      reason: 'orphaned',
      status: 'running',
      ended_because: null,
      created_at: new Date().toISOString(),
      ended_at: null,
      revert_ms: null,
      step_results: options.stepResults ?? [],
    },
    // Not gone on is the store's own default (create() marks it so), so only gone on is written.
    { ...lease, ...(options.wentOn === false ? {} : { [WENT_ON_TAG]: 'true' }) },
  );
}

/**
 * A version "registered elsewhere" (say `mlflow.onnx.log_model(..., registered_model_name=...)` from
 * a notebook): a real model directory in a run that logged no metrics, registered without tags.
 */
export async function registerForeignVersion(mlflow: MlflowClient, name: string): Promise<string> {
  const { runId, source } = await logModelRun(mlflow, await trainVariant({}), {});
  return (await register(mlflow, { name, source, run_id: runId })).version;
}

/** Moves (or with `none` deletes) an alias with MLflow's own Python client: a move registry-admin did not make. */
export async function moveAliasWithPython(
  name: string,
  alias: string,
  version: string,
  uri = trackingUri(),
): Promise<void> {
  const python = process.env['CHURN_PYTHON'];
  if (!python) throw new Error('CHURN_PYTHON is not set: the Jest global setup should point it at the pinned venv');
  await execFileAsync(python, [join(__dirname, 'set_alias.py'), name, alias, version], {
    env: { ...process.env, MLFLOW_TRACKING_URI: uri },
  });
}

/** What a stand-in inference-api replica received. */
export interface ReceivedPush {
  headers: IncomingHttpHeaders;
  body: unknown;
  url: string;
}

/** A real HTTP server standing in for one inference-api replica's `POST /admin/reload`. */
export async function startReloadReceiver(
  status = 200,
): Promise<{ url: string; received: ReceivedPush[]; close: () => Promise<void> }> {
  const received: ReceivedPush[] = [];
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ headers: request.headers, body: text === '' ? null : JSON.parse(text), url: request.url ?? '' });
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify(status === 200 ? { reloaded: true } : { error: 'broken replica' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A real HTTP server standing in for one healthy inference-api replica under steady load, so that a
 * rollout's windows pass without running inference-api (F1, with no labels, does not apply): each
 * `GET /metrics` counts 1,000 more fast `/predict` answers, split between champion v1 and
 * challenger v2 by `model`'s challenger share as MLflow holds it at that read; `GET /ab/report`
 * shows 500 logged scores per arm with the same histogram and no labels; a push is answered 200.
 */
export async function startServingReplica(
  mlflow: MlflowClient,
  model: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const answered = { champion: 0, challenger: 0 };
  const arm = (alias: string, version: string, count: number) =>
    [
      `inference_requests_total{route="/predict",alias="${alias}",version="${version}",status="200"} ${count}`,
      `inference_request_duration_seconds_bucket{route="/predict",alias="${alias}",version="${version}",le="0.005"} ${count}`,
      `inference_request_duration_seconds_bucket{route="/predict",alias="${alias}",version="${version}",le="+Inf"} ${count}`,
    ].join('\n');
  const scores = { count: 500, positives: 100, counts: Array.from({ length: 20 }, () => 25) };
  const report = {
    score_distributions: { bins: 20, champion: scores, challenger: scores },
    comparison: { champion: { labelled: 0 }, challenger: { labelled: 0 }, differences: [] },
  };
  const answer = async (url: string): Promise<[number, string, string]> => {
    if (url === '/metrics') {
      const registered = await mlflow.registeredModels.get(model);
      const share = Number(tagsToRecord(registered.tags)[TRAFFIC_TAGS.challengerShare] ?? 0);
      answered.challenger += Math.round(1000 * share);
      answered.champion += 1000 - Math.round(1000 * share);
      const text = [
        'process_start_time_seconds 1',
        arm('champion', '1', answered.champion),
        arm('challenger', '2', answered.challenger),
      ];
      return [200, 'text/plain', `${text.join('\n')}\n`];
    }
    if (url.startsWith('/ab/report')) return [200, 'application/json', JSON.stringify(report)];
    return [200, 'application/json', JSON.stringify({ reloaded: true })];
  };
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      answer(request.url ?? '').then(
        ([status, type, body]) => response.writeHead(status, { 'content-type': type }).end(body),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What another replica's end of the rollout leaves in MLflow: its end claim, the state ended, the lease its own. */
export async function endElsewhere(store: RolloutStore, state: RolloutState): Promise<void> {
  const because = 'ended by another replica';
  const standing = await store.claimEnd(state.id, {
    by: 'adopting-replica#1',
    status: 'aborted',
    because,
    generation: 1,
  });
  if (standing !== null) throw new Error(`rollout ${state.id}: ${standing.by} claimed its end first`);
  await store.save(
    { ...state, status: 'aborted', ended_because: because, ended_at: new Date().toISOString() },
    { [LEASE_TAG]: JSON.stringify({ holder: 'adopting-replica', expires_at: Date.now() + 60_000 }) },
  );
}

/** Waits until rollout `id`'s driver has logged that it stopped (read from the `warn` spy); returns the lines warned so far. */
export async function driverStopped(warn: jest.SpyInstance, id: string): Promise<string[]> {
  await waitFor(
    `the driver of rollout ${id} to stop`,
    async () =>
      warn.mock.calls.some(([line]) => String(line).includes(`rollout ${id}: no longer driven here`))
        ? true
        : undefined,
    10_000,
    100,
  );
  return warn.mock.calls.map(([line]) => String(line));
}
