import { Counter, Histogram, Registry } from 'prom-client';

import { TalliedCounter, TalliedHistogram } from './tallied-metrics';

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

describe('tallied metrics', () => {
  it('render what prom-client renders for the same updates, counters and histogram alike', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const counter = new TalliedCounter('requests_total', 'Requests.', LABELS, ours);
    const histogram = new TalliedHistogram('duration_seconds', 'Duration.', LABELS, BOUNDS, ours);
    const promCounter = new Counter({
      name: 'requests_total',
      help: 'Requests.',
      labelNames: LABELS,
      registers: [theirs],
    });
    const promHistogram = new Histogram({
      name: 'duration_seconds',
      help: 'Duration.',
      labelNames: LABELS,
      buckets: BOUNDS,
      registers: [theirs],
    });
    for (const { labels, value } of updates(5_000)) {
      const named = Object.fromEntries(LABELS.map((label, index) => [label, labels[index]]));
      counter.inc(labels, 3);
      promCounter.inc(named, 3);
      histogram.observe(labels, value);
      promHistogram.observe(named, value);
    }

    const rendered = await ours.metrics();
    expect(rendered).toBe(await theirs.metrics());
    expect(rendered).toContain('duration_seconds_bucket{le="+Inf",route="predict"');
    // prom-client's samples also carry `exemplar: null` (exemplars are off); nothing else may differ.
    const withoutExemplars = (await theirs.getMetricsAsJSON()).map((metric) => ({
      ...metric,
      values: metric.values.map((sample) => {
        const { exemplar: _exemplar, ...rest } = sample as typeof sample & { exemplar?: unknown };
        return rest;
      }),
    }));
    expect(await ours.getMetricsAsJSON()).toEqual(withoutExemplars);
  });

  it('forget their series on reset and refuse label values of the wrong count', async () => {
    const registry = new Registry();
    const counter = new TalliedCounter('rows_total', 'Rows.', ['route', 'version'], registry);
    counter.inc(['predict', '1'], 4);
    expect(await registry.metrics()).toContain('rows_total{route="predict",version="1"} 4');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('rows_total{');
    expect(() => counter.inc(['predict'])).toThrow('rows_total takes 2 label values, got 1');
  });
});
