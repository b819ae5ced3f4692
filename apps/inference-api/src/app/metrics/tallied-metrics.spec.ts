import { Counter, Histogram, Registry, type RegistryContentType } from 'prom-client';

import { MetricDefinitionError, MetricUpdateError, TalliedCounter, TalliedHistogram } from './tallied-metrics';

const LABELS = ['route', 'alias', 'version', 'status'] as const;
const BOUNDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** A reproducible stream of updates over a few series, with values on, between and beyond the bounds. */
function updates(count: number): { labels: string[]; value: number }[] {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(options: readonly T[]) => options[Math.floor(next() * options.length)];
  return Array.from({ length: count }, () => ({
    labels: [
      pick(['predict', 'invocations']),
      pick(['production', 'staging', '']),
      pick(['1', '2', '']),
      pick(['200', '400', '422']),
    ],
    value: next() < 0.2 ? pick([...BOUNDS, 0, 3, 10]) : next() ** 3 * 3,
  }));
}

/** The same metrics as the service keeps, tallied in one registry and as prom-client's own in another. */
function twinRegistries(contentType: RegistryContentType, defaultLabels: Record<string, string>) {
  const [ours, theirs] = [new Registry<RegistryContentType>(), new Registry<RegistryContentType>()];
  for (const registry of [ours, theirs]) {
    registry.setContentType(contentType);
    registry.setDefaultLabels(defaultLabels);
  }
  const histogram = new TalliedHistogram('duration_seconds', 'Duration.', LABELS, BOUNDS, ours);
  histogram.countAs('requests_total', 'Requests.');
  const rows = new TalliedCounter('rows_total', 'Rows.', LABELS, ours);
  const theirHistogram = new Histogram({
    name: 'duration_seconds',
    help: 'Duration.',
    labelNames: LABELS,
    buckets: BOUNDS,
    registers: [theirs],
  });
  const theirRequests = new Counter({
    name: 'requests_total',
    help: 'Requests.',
    labelNames: LABELS,
    registers: [theirs],
  });
  const theirRows = new Counter({ name: 'rows_total', help: 'Rows.', labelNames: LABELS, registers: [theirs] });
  const update = (labels: string[], value: number) => {
    const named = Object.fromEntries(LABELS.map((label, index) => [label, labels[index]]));
    histogram.observe(labels, value);
    rows.inc(labels, 3);
    theirHistogram.observe(named, value);
    theirRequests.inc(named);
    theirRows.inc(named, 3);
  };
  return { ours, theirs, update, histogram, rows, theirHistogram, theirRows };
}

/** prom-client's JSON samples also carry `exemplar` (exemplars are off); nothing else may differ. */
async function jsonWithoutExemplars(registry: Registry<RegistryContentType>): Promise<unknown> {
  return (await registry.getMetricsAsJSON()).map((metric) => ({
    ...metric,
    values: metric.values.map((sample) => {
      const { exemplar: _exemplar, ...rest } = sample as typeof sample & { exemplar?: unknown };
      return rest;
    }),
  }));
}

describe('tallied metrics', () => {
  it.each([
    ['Prometheus text', Registry.PROMETHEUS_CONTENT_TYPE, {}],
    ['Prometheus text with default labels', Registry.PROMETHEUS_CONTENT_TYPE, { region: 'eu', status: 'ignored' }],
    ['OpenMetrics', Registry.OPENMETRICS_CONTENT_TYPE, {}],
    ['OpenMetrics with default labels', Registry.OPENMETRICS_CONTENT_TYPE, { region: 'eu' }],
  ])('render what prom-client renders for the same updates: %s', async (_format, contentType, defaultLabels) => {
    const { ours, theirs, update } = twinRegistries(contentType, defaultLabels);
    for (const { labels, value } of updates(5_000)) update(labels, value);

    const rendered = await ours.metrics();
    expect(rendered).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await jsonWithoutExemplars(theirs));
    expect(rendered).toMatch(/^duration_seconds_bucket\{le="\+Inf",.*route="predict"/m);
    // OpenMetrics names a counter's samples `requests_total` while its family is `requests`.
    const family = contentType === Registry.OPENMETRICS_CONTENT_TYPE ? 'requests' : 'requests_total';
    expect(rendered).toContain(`# TYPE ${family} counter\nrequests_total{`);
    expect(rendered).not.toContain('_total_total');
  });

  it('refuse what prom-client refuses, before any series changes', async () => {
    const { ours, histogram, rows, theirHistogram, theirRows } = twinRegistries(Registry.PROMETHEUS_CONTENT_TYPE, {});
    const labels = ['predict', 'production', '1', '200'];
    const named = Object.fromEntries(LABELS.map((label, index) => [label, labels[index]]));
    const refusal = (update: () => void): unknown => {
      try {
        update();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    for (const value of [NaN, Infinity, -Infinity]) {
      const error = refusal(() => histogram.observe(labels, value));
      expect(error).toBeInstanceOf(MetricUpdateError);
      expect(error).toHaveProperty('message', `duration_seconds cannot observe ${value}`);
      expect(refusal(() => theirHistogram.observe(named, value))).toHaveProperty(
        'message',
        `Value is not a valid number: ${value}`,
      );
    }
    for (const amount of [-1, Infinity]) {
      expect(refusal(() => rows.inc(labels, amount))).toEqual(
        new MetricUpdateError(`rows_total cannot be increased by ${amount}`),
      );
      expect(refusal(() => theirRows.inc(named, amount))).toBeInstanceOf(Error);
    }
    // prom-client adds NaN to a counter, which then reads NaN for good; it is refused here.
    const nan = refusal(() => rows.inc(labels, NaN));
    expect(nan).toBeInstanceOf(MetricUpdateError);
    expect(nan).toHaveProperty('message', 'rows_total cannot be increased by NaN');
    const fewer = refusal(() => rows.inc(labels.slice(1)));
    expect(fewer).toBeInstanceOf(MetricUpdateError);
    expect(fewer).toHaveProperty('message', 'rows_total takes 4 label values, got 3');
    expect(refusal(() => histogram.observe(labels.slice(1), 1))).toBeInstanceOf(MetricUpdateError);
    expect(await ours.metrics()).not.toMatch(/\{/);
    expect(() => new TalliedCounter('bare_total', 'No labels.', [], ours)).toThrow(MetricDefinitionError);
  });

  it('forget their series on reset, the counter read from the histogram included', async () => {
    const { ours, theirs, update } = twinRegistries(Registry.PROMETHEUS_CONTENT_TYPE, {});
    for (const { labels, value } of updates(50)) update(labels, value);
    expect(await ours.metrics()).toMatch(/^requests_total\{/m);
    ours.resetMetrics();
    theirs.resetMetrics();
    const rendered = await ours.metrics();
    expect(rendered).not.toMatch(/\{/);
    expect(rendered).toBe(await theirs.metrics());
    update(['predict', 'production', '1', '200'], 0.001);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
