/**
 * What a rollout step reads from every inference-api replica's Prometheus `/metrics`: requests,
 * failed requests and the latency histogram of the champion and the challenger, as deltas since
 * the step began that survive a replica restart.
 */

/** One arm's figures over a window, summed over replicas. */
export interface ArmTraffic {
  requests: number;
  /** Answers the model caused: 5xx, and 422 for an output that is not a probability. */
  errors: number;
  /** Cumulative latency histogram: upper bound in seconds → requests at or below it. */
  latencyBuckets: Map<number, number>;
}

export interface TrafficFigures {
  champion: ArmTraffic;
  challenger: ArmTraffic;
  /** Replicas read for this window, and those that could not be (their figures are missing). */
  replicas: number;
  unreachable: string[];
}

/** The counters of one replica at one moment: series key → value, and the process's start time. */
export interface MetricsSnapshot {
  startTime: number | null;
  series: Map<string, number>;
}

const REQUESTS = 'inference_requests_total';
const BUCKETS = 'inference_request_duration_seconds_bucket';
const START = 'process_start_time_seconds';
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Keeps the samples a rollout needs from Prometheus text format: request counters and latency
 * buckets of the scoring routes, and the process start time.
 * @example parseMetrics('inference_requests_total{route="/predict",alias="champion",version="1",status="200"} 7')
 *   // { startTime: null, series: Map { 'inference_requests_total|/predict|champion|1|200|' => 7 } }
 */
export function parseMetrics(text: string): MetricsSnapshot {
  const series = new Map<string, number>();
  let startTime: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name, , labelText = '', valueText] = match;
    const value = Number(valueText);
    if (name === START) {
      startTime = value;
      continue;
    }
    if (name !== REQUESTS && name !== BUCKETS) continue;
    const labels = new Map<string, string>();
    for (const [, key, labelValue] of labelText.matchAll(LABEL)) labels.set(key, labelValue);
    const route = labels.get('route') ?? '';
    if (route !== '/predict' && route !== '/invocations') continue;
    series.set(
      [name, route, labels.get('alias'), labels.get('version'), labels.get('status'), labels.get('le') ?? ''].join('|'),
      value,
    );
  }
  return { startTime, series };
}

/**
 * Counts since `before` as Prometheus's `increase()` reads them: a replica that restarted since
 * (another start time, or any counter lower than before) counts everything it has now; a replica
 * first seen now counts nothing (its earlier requests are not this window's).
 */
export function delta(before: MetricsSnapshot | undefined, now: MetricsSnapshot): Map<string, number> {
  if (before === undefined) return new Map();
  let restarted = before.startTime !== now.startTime;
  for (const [key, value] of now.series) if (value < (before.series.get(key) ?? 0)) restarted = true;
  const counts = new Map<string, number>();
  for (const [key, value] of now.series) counts.set(key, restarted ? value : value - (before.series.get(key) ?? 0));
  return counts;
}

/** Sums replicas' deltas into the two arms; only the given versions count (a stale slot's answers do not). */
export function armTraffic(
  deltas: ReadonlyArray<Map<string, number>>,
  versions: { champion: string; challenger: string },
): Pick<TrafficFigures, 'champion' | 'challenger'> {
  const arms = { champion: emptyArm(), challenger: emptyArm() };
  for (const counts of deltas) {
    for (const [key, value] of counts) {
      const [name, , alias, version, status, le] = key.split('|');
      if (alias !== 'champion' && alias !== 'challenger') continue;
      if (version !== versions[alias]) continue;
      const arm = arms[alias];
      if (name === REQUESTS) {
        arm.requests += value;
        const code = Number(status);
        if (code >= 500 || code === 422) arm.errors += value;
      } else {
        const bound = le === '+Inf' ? Infinity : Number(le);
        arm.latencyBuckets.set(bound, (arm.latencyBuckets.get(bound) ?? 0) + value);
      }
    }
  }
  return arms;
}

/**
 * The q-quantile of a cumulative histogram, as the upper bound of the bucket it falls in (the
 * conservative reading: the true quantile is at most this); null without observations.
 * @example latencyQuantile(new Map([[0.01, 90], [0.05, 100], [Infinity, 100]]), 0.99) // 0.05
 */
export function latencyQuantile(buckets: ReadonlyMap<number, number>, q: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? (bounds.length > 0 ? (buckets.get(bounds.at(-1) as number) ?? 0) : 0);
  if (total <= 0) return null;
  const rank = q * total;
  for (const bound of bounds) if ((buckets.get(bound) ?? 0) >= rank) return bound;
  return Infinity;
}

function emptyArm(): ArmTraffic {
  return { requests: 0, errors: 0, latencyBuckets: new Map() };
}
