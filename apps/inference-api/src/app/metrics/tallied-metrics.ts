/**
 * A counter and a histogram for the series every scored request updates, kept as plain numbers per
 * label set and turned into Prometheus samples only when the registry is read. prom-client's own
 * `inc` and `observe` check and hash a label object on every call, a cost the request thread felt
 * (PERFORMANCE.md). For the same updates they render what prom-client's Counter and Histogram
 * render, in both exposition formats and with default labels (tallied-metrics.spec.ts compares them).
 */
import type { Metric, Registry as PromRegistry, RegistryContentType } from 'prom-client';

/** A registry of either exposition format. */
type Registry = PromRegistry<RegistryContentType>;

/** A refused update: a value that is not a finite number, a negative increment, or the wrong number of label values. */
export class MetricUpdateError extends TypeError {
  override readonly name = 'MetricUpdateError';
}

/** A tallied metric defined without labels: prom-client renders those from the start, these only once updated. */
export class MetricDefinitionError extends TypeError {
  override readonly name = 'MetricDefinitionError';
}

/** One series: its labels by name (the same object for its whole life) and its state. */
interface Series<State> {
  labels: Record<string, string>;
  state: State;
}

/**
 * A sample as prom-client's registry reads it. Labels in `sharedLabels` are printed after the
 * registry's default labels, as prom-client's histogram prints a series' labels.
 */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  metricName?: string;
}

interface MetricJson {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

/**
 * What prom-client's registry reads of a metric: `name`, `help`, `type` (it drops a counter's
 * `_total` for OpenMetrics by it), `aggregator`, `get()` or `getForPromString()`, and `reset()`.
 */
abstract class RegisteredMetric {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';

  /** The name as registered, for messages: `name` itself may be renamed by the registry. */
  protected readonly registeredName: string;

  constructor(
    // Not readonly: prom-client's registry renames a counter without `_total` for OpenMetrics.
    public name: string,
    readonly help: string,
    protected readonly registry: Registry,
  ) {
    this.registeredName = name;
    registry.registerMetric(this as unknown as Metric);
  }

  abstract get(): Promise<MetricJson>;

  abstract reset(): void;

  protected json(values: Sample[]): MetricJson {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** The series of one metric, found by their label values in label-name order. */
abstract class TalliedMetric<State> extends RegisteredMetric {
  private readonly series = new Map<string, Series<State>>();

  constructor(
    name: string,
    help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    if (labelNames.length === 0) throw new MetricDefinitionError(`${name} needs at least one label name`);
    super(name, help, registry);
  }

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
        throw new MetricUpdateError(
          `${this.registeredName} takes ${this.labelNames.length} label values, got ${values.length}`,
        );
      const labels: Record<string, string> = {};
      this.labelNames.forEach((label, index) => (labels[label] = values[index]));
      series = { labels, state: this.newState() };
      this.series.set(key, series);
    }
    return series.state;
  }

  /** Every series, in the order of first update (prom-client's order too). */
  allSeries(): IterableIterator<Readonly<Series<State>>> {
    return this.series.values();
  }
}

export class TalliedCounter extends TalliedMetric<{ value: number }> {
  readonly type = 'counter';

  /** Adds `amount` (finite, not negative) to the series named by `values`, one per label name in order. */
  inc(values: readonly string[], amount = 1): void {
    if (!(amount >= 0 && amount !== Infinity))
      throw new MetricUpdateError(`${this.registeredName} cannot be increased by ${amount}`);
    this.stateOf(values).value += amount;
  }

  protected newState(): { value: number } {
    return { value: 0 };
  }

  async get(): Promise<MetricJson> {
    return this.json([...this.allSeries()].map(({ labels, state }) => ({ value: state.value, labels: { ...labels } })));
  }
}

interface HistogramState {
  /** Per upper bound, the observations at most it and above the one before (not cumulative). */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class TalliedHistogram extends TalliedMetric<HistogramState> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  /** Records a finite `value` in the series named by `values`; a value above every bound counts in `+Inf` only. */
  observe(values: readonly string[], value: number): void {
    if (!Number.isFinite(value)) throw new MetricUpdateError(`${this.registeredName} cannot observe ${value}`);
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

  /**
   * Registers, in this histogram's registry, a counter of its observations per series, for a count
   * that would otherwise be kept twice. It renders what a prom-client Counter incremented once per
   * `observe` renders, and forgets its series when this histogram does (on the same registry's reset).
   */
  countAs(name: string, help: string): ObservationCounter {
    return new ObservationCounter(name, help, this, this.registry);
  }

  protected newState(): HistogramState {
    return { counts: new Float64Array(this.upperBounds.length), sum: 0, count: 0 };
  }

  /** The samples for the text exposition, a series' labels kept apart as prom-client's histogram keeps them. */
  async getForPromString(): Promise<MetricJson> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, state } of this.allSeries()) {
      let cumulative = 0;
      this.upperBounds.forEach((bound, index) => {
        cumulative += state.counts[index];
        values.push({ value: cumulative, labels: { le: bound }, sharedLabels: labels, metricName: bucket });
      });
      values.push(
        { value: state.count, labels: { le: '+Inf' }, sharedLabels: labels, metricName: bucket },
        { value: state.sum, labels: {}, sharedLabels: labels, metricName: `${this.name}_sum` },
        { value: state.count, labels: {}, sharedLabels: labels, metricName: `${this.name}_count` },
      );
    }
    return this.json(values);
  }

  /** The samples for JSON, each with its series' labels after `le`. */
  async get(): Promise<MetricJson> {
    const forText = await this.getForPromString();
    return {
      ...forText,
      values: forText.values.map(({ sharedLabels, labels, ...sample }) => ({
        ...sample,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }
}

/** A counter read from a tallied histogram's per-series observation counts (`TalliedHistogram.countAs`). */
export class ObservationCounter extends RegisteredMetric {
  readonly type = 'counter';

  constructor(
    name: string,
    help: string,
    private readonly histogram: TalliedHistogram,
    registry: Registry,
  ) {
    super(name, help, registry);
  }

  async get(): Promise<MetricJson> {
    const series = [...this.histogram.allSeries()];
    return this.json(series.map(({ labels, state }) => ({ value: state.count, labels: { ...labels } })));
  }

  reset(): void {
    // Nothing of its own to forget: the histogram's reset clears the counts it reads.
  }
}
