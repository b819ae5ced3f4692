import { armTraffic, delta, latencyQuantile, parseMetrics } from './replica-figures';

const text = (start: number, championOk: number, challengerFailed: number) => `# HELP process_start_time_seconds x
process_start_time_seconds ${start}
inference_requests_total{route="/predict",alias="champion",version="1",status="200"} ${championOk}
inference_requests_total{route="/predict",alias="challenger",version="2",status="422"} ${challengerFailed}
inference_requests_total{route="/predict",alias="challenger",version="2",status="200"} 10
inference_requests_total{route="/health",alias="",version="",status="200"} 99
inference_request_duration_seconds_bucket{le="0.01",route="/predict",alias="champion",version="1",status="200"} ${championOk}
inference_request_duration_seconds_bucket{le="+Inf",route="/predict",alias="champion",version="1",status="200"} ${championOk}
`;

describe('replica figures', () => {
  it('counts the arms of the given versions since the baseline, ignoring other routes', () => {
    const before = parseMetrics(text(100, 5, 1));
    const now = parseMetrics(text(100, 25, 4));
    const arms = armTraffic([delta(before, now)], { champion: '1', challenger: '2' });
    expect(arms.champion.requests).toBe(20);
    expect(arms.challenger).toMatchObject({ requests: 3, errors: 3 });
    expect(arms.champion.latencyBuckets.get(0.01)).toBe(20);
  });

  it('counts everything a restarted replica has, and nothing of a replica first seen now', () => {
    const before = parseMetrics(text(100, 50, 1));
    const restarted = parseMetrics(text(200, 7, 0));
    expect(armTraffic([delta(before, restarted)], { champion: '1', challenger: '2' }).champion.requests).toBe(7);
    expect(delta(undefined, restarted).size).toBe(0);
    const lowerCounter = parseMetrics(text(100, 7, 0));
    expect(armTraffic([delta(before, lowerCounter)], { champion: '1', challenger: '2' }).champion.requests).toBe(7);
  });

  it('ignores answers of other versions', () => {
    const arms = armTraffic([delta(parseMetrics(''), parseMetrics(text(1, 5, 1)))], { champion: '9', challenger: '2' });
    expect(arms.champion.requests).toBe(0);
    expect(arms.challenger.requests).toBe(11);
  });

  it('reads a quantile as the upper bound of its bucket', () => {
    const buckets = new Map([
      [0.01, 90],
      [0.05, 99],
      [0.1, 100],
      [Infinity, 100],
    ]);
    expect(latencyQuantile(buckets, 0.99)).toBe(0.05);
    expect(latencyQuantile(buckets, 0.5)).toBe(0.01);
    expect(latencyQuantile(new Map(), 0.99)).toBeNull();
  });
});
