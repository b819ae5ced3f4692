// What the system tests read of a running inference-api's prediction log: its /metrics accounting,
// /predict answers, and the rows a store holds.
import { join } from 'node:path';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the tests read the shared store through inference-api's own store class, as another replica would
import type { PredictionStore } from '../../../apps/inference-api/src/app/prediction-log';
import { stopWithThisProcess } from './mlflow-server';
import { answers, freePort, startProcess, workspaceRoot, type TestProcess } from './processes';

/** The prediction log's accounting on /metrics: received = written + rejected + dropped + queued. */
export interface LogCounts {
  received: number;
  written: number;
  rejected: number;
  dropped: number;
  queued: number;
}

/** Polls `check` every 100 ms until it is true; throws (with its last error) after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError})` : ''}`);
}

/** The accounting as the replica at `url` reports it now. */
export async function logCounts(url: string): Promise<LogCounts> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const value = (pattern: RegExp) => {
    const found = pattern.exec(metrics);
    if (!found) throw new Error(`/metrics has no ${pattern.source}`);
    return Number(found[1]);
  };
  return {
    received: value(/^inference_prediction_log_received_rows_total (\d+)$/m),
    written: value(/^inference_prediction_log_rows_total\{outcome="written"\} (\d+)$/m),
    rejected: value(/^inference_prediction_log_rows_total\{outcome="rejected"\} (\d+)$/m),
    dropped: value(/^inference_prediction_log_rows_total\{outcome="dropped"\} (\d+)$/m),
    queued: value(/^inference_prediction_log_queued_rows (\d+)$/m),
  };
}

/** One JSON POST /predict; the status and the parsed answer. */
export async function postPredict(
  url: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** `requestId/row` of every row of `model` the store holds. */
export async function storedKeys(store: PredictionStore, model: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const row of store.predictions({ modelName: model })) keys.add(`${row.requestId}/${row.row}`);
  return keys;
}

/** One running inference-api process of a test, with the URLs of its two listeners. */
export interface InferenceReplica {
  /** The public listener: scoring and probes. */
  url: string;
  /** The internal listener: metrics, feedback, the A/B report, the reload push. */
  internalUrl: string;
  process: TestProcess;
}

/**
 * Starts the built inference-api on a free port against `store`, and resolves once it answers a
 * prediction of `probe` (one row logged under a generated request id).
 */
export async function startInferenceReplica(options: {
  mlflowUrl: string;
  model: string;
  storeUrl: string;
  cacheDir: string;
  replicaId: string;
  probe: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}): Promise<InferenceReplica> {
  const port = await freePort();
  const internalPort = await freePort();
  const app = startProcess(process.execPath, [join(workspaceRoot, 'dist/apps/inference-api/main.js')], {
    MLFLOW_TRACKING_URI: options.mlflowUrl,
    MODEL_NAME: options.model,
    PORT: String(port),
    INTERNAL_PORT: String(internalPort),
    HOST: '127.0.0.1',
    MODEL_CACHE_DIR: options.cacheDir,
    INFERENCE_STORE_URL: options.storeUrl,
    REPLICA_ID: options.replicaId,
    ...options.env,
  });
  stopWithThisProcess(app.child.pid as number);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(`inference-api ${options.replicaId} to serve the model`, async () => {
    if (app.child.exitCode !== null) throw new Error(`exited (${app.child.exitCode}):\n${app.output}`);
    if (!(await answers(url))) return false;
    return (await postPredict(url, options.probe)).status === 200;
  });
  return { url, internalUrl: `http://127.0.0.1:${internalPort}`, process: app };
}
