/**
 * A counter and a histogram for the series every scored request updates, kept as plain numbers per
 * label set and turned into Prometheus samples only when the registry is read. prom-client's own
 * `inc` and `observe` check and hash a label object on every call, a cost the request thread felt
 * (PERFORMANCE.md). Both render exactly what prom-client's Counter and Histogram render for the same
 * updates (tallied-metrics.spec.ts compares them).
 */
import type { Metric, Registry } from 'prom-client';

/** One series: its labels by name and its state. */
interface Series<State> {
  labels: Record<string, string>;
  state: State;
}

/** A sample as prom-client's registry reads it from a metric's `get()`. */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface MetricJson {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

/** The series of one metric, found by their label values in label-name order. */
abstract class TalliedMetric<State> {
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series<State>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    // prom-client's registry reads a metric through `name` and `get()` only (and `reset()` on resetMetrics).
    registry.registerMetric(this as unknown as Metric);
  }

  abstract get(): Promise<MetricJson>;

  /** The state of a series before its first update. */
  protected abstract newState(): State;

  /** Forgets every series, as prom-client's `reset()` does. */
  reset(): void {
    this.series.clear();
  }

  /** The state of the series with these label values, created on first use. */
  protected stateOf(values: readonly string[]): State {
    // NUL cannot be part of a label value we are given (route, alias, version, status), so keys cannot collide.
    let key = values[0];
    for (let index = 1; index < values.length; index++) key += '\u0000' + values[index];
    let series = this.series.get(key);
    if (series === undefined) {
      if (values.length !== this.labelNames.length)
        throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`);
      const labels: Record<string, string> = {};
      this.labelNames.forEach((label, index) => (labels[label] = values[index]));
      series = { labels, state: this.newState() };
      this.series.set(key, series);
    }
    return series.state;
  }

  protected allSeries(): IterableIterator<Series<State>> {
    return this.series.values();
  }
}

export class TalliedCounter extends TalliedMetric<{ value: number }> {
  /** Adds `amount` to the series named by `values`, one per label name in order. */
  inc(values: readonly string[], amount = 1): void {
    this.stateOf(values).value += amount;
  }

  protected newState(): { value: number } {
    return { value: 0 };
  }

  async get(): Promise<MetricJson> {
    const values = [...this.allSeries()].map(({ labels, state }) => ({ value: state.value, labels: { ...labels } }));
    return { name: this.name, help: this.help, type: 'counter', aggregator: this.aggregator, values };
  }
}

interface HistogramState {
  /** Per upper bound, the observations at most it and above the one before (not cumulative). */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class TalliedHistogram extends TalliedMetric<HistogramState> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  /** Records `value` in the series named by `values`; a value above every bound counts in `+Inf` only. */
  observe(values: readonly string[], value: number): void {
    const state = this.stateOf(values);
    const bounds = this.upperBounds;
    for (let bucket = 0; bucket < bounds.length; bucket++) {
      if (value <= bounds[bucket]) {
        state.counts[bucket]++;
        break;
      }
    }
    state.sum += value;
    state.count++;
  }

  protected newState(): HistogramState {
    return { counts: new Float64Array(this.upperBounds.length), sum: 0, count: 0 };
  }

  async get(): Promise<MetricJson> {
    const values: Sample[] = [];
    for (const { labels, state } of this.allSeries()) {
      let cumulative = 0;
      this.upperBounds.forEach((bound, index) => {
        cumulative += state.counts[index];
        values.push({ value: cumulative, labels: { le: bound, ...labels }, metricName: `${this.name}_bucket` });
      });
      values.push(
        { value: state.count, labels: { le: '+Inf', ...labels }, metricName: `${this.name}_bucket` },
        { value: state.sum, labels: { ...labels }, metricName: `${this.name}_sum` },
        { value: state.count, labels: { ...labels }, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: this.aggregator, values };
  }
}
