/**
 * What the A/B logging benchmark asks of an inference-api process and of its prediction store,
 * outside the timed window: readiness of the champion/challenger split, the prediction log and
 * shadow counters from `/metrics`, and the rows the store actually holds.
 */
// eslint-disable-next-line @nx/enforce-module-boundaries -- the store is read through inference-api's own store class, as a second replica would read it
import { openPredictionStore } from '../../../apps/inference-api/src/app/prediction-log';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls `check` every 200 ms until it holds; the error names what was awaited and the last failure. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      lastProblem = '';
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastProblem ? ` (last error: ${lastProblem})` : ''}`,
  );
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200)
    throw new Error(`${url} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
  return (await response.json()) as T;
}

export interface ExpectedSplit {
  championVersion: string;
  challengerVersion: string;
  share: number;
  /** The `traffic.shadow` the replica must have read; undefined when the log is off (then /ab/report answers 503 and only /ready is checked). */
  shadow?: boolean;
}

/** True once /ready shows both arms loaded on the expected versions and, with the log on, /ab/report shows the expected traffic settings. */
export async function splitApplied(
  { url, internalUrl }: { url: string; internalUrl: string },
  expected: ExpectedSplit,
): Promise<boolean> {
  const ready = await getJson<{ slots: { alias: string; version: string | null; state: string }[] }>(`${url}/ready`);
  const slot = (alias: string) => ready.slots.find((entry) => entry.alias === alias);
  const loaded = (alias: string, version: string) => slot(alias)?.state === 'ready' && slot(alias)?.version === version;
  if (!loaded('champion', expected.championVersion) || !loaded('challenger', expected.challengerVersion)) return false;
  if (expected.shadow === undefined) return true;
  const report = await getJson<{ traffic: { challenger_share: number | null; shadow: boolean } }>(
    `${internalUrl}/ab/report`,
  );
  return report.traffic.challenger_share === expected.share && report.traffic.shadow === expected.shadow;
}

/** Counter and gauge values of a Prometheus text exposition, keyed by `name{labels}` exactly as written. */
export function parsePrometheusText(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

export interface LogCounters {
  written: number;
  dropped: number;
  queued: number;
  failedWrites: number;
  shadowScored: number;
  shadowDropped: number;
  shadowFailed: number;
}

/** The prediction log's and the shadow queue's counters from `/metrics` (0 for a series not exported). */
export async function logCounters(url: string): Promise<LogCounters> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`${url}/metrics answered ${response.status}`);
  const values = parsePrometheusText(await response.text());
  const value = (key: string) => values.get(key) ?? 0;
  return {
    written: value('inference_prediction_log_rows_total{outcome="written"}'),
    dropped: value('inference_prediction_log_rows_total{outcome="dropped"}'),
    queued: value('inference_prediction_log_queued_rows'),
    failedWrites: value('inference_prediction_log_failed_writes_total'),
    shadowScored: value('inference_shadow_requests_total{outcome="scored"}'),
    shadowDropped: value('inference_shadow_requests_total{outcome="dropped"}'),
    shadowFailed: value('inference_shadow_requests_total{outcome="failed"}'),
  };
}

/**
 * Waits until nothing is left for the writer: `written + dropped` has stopped growing and reached
 * `answered` rows (shadowed rows join the queue only once the challenger has scored them), and the
 * queue is empty. Returns the counters as they then stand.
 */
export async function settledLogCounters(url: string, answered: number, timeoutMs = 30_000): Promise<LogCounters> {
  let counters = await logCounters(url);
  await waitUntil(
    `${url}'s prediction log to account for ${answered} answered rows`,
    async () => {
      counters = await logCounters(url);
      return counters.queued === 0 && counters.written + counters.dropped >= answered;
    },
    timeoutMs,
  );
  return counters;
}

export interface StoredRows {
  rows: number;
  withShadow: number;
  byVariant: Record<string, number>;
}

/** Reads every prediction of `modelName` back from the store at `storeUrl` (opened here, closed after). */
export async function storedRows(storeUrl: string, modelName: string): Promise<StoredRows> {
  const store = openPredictionStore(storeUrl);
  await store.init();
  try {
    const counted: StoredRows = { rows: 0, withShadow: 0, byVariant: {} };
    for await (const record of store.predictions({ modelName }, 5000)) {
      counted.rows++;
      if (record.shadow !== null) counted.withShadow++;
      counted.byVariant[record.variant] = (counted.byVariant[record.variant] ?? 0) + 1;
    }
    return counted;
  } finally {
    await store.close();
  }
}
