import { populationStabilityIndex } from '@churn/drift-stats';

import type { ArmTraffic } from './replica-figures';
import {
  binomialTail,
  DEFAULT_GUARDS,
  evaluateGuards,
  excessScorePsi,
  mergeSparseBins,
  stepDecision,
  type GuardInput,
  type ReportFigures,
} from './rollout-guards';

function arm(requests: number, errors: number, p99Bound = 0.01): ArmTraffic {
  return {
    requests,
    errors,
    latencyBuckets: new Map([
      [0.005, Math.floor(requests * 0.5)],
      [p99Bound, requests],
      [Infinity, requests],
    ]),
  };
}

function report(champion: number[], challenger: number[], positives: [number, number]): ReportFigures {
  const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  return {
    score_distributions: {
      bins: champion.length,
      champion: { count: sum(champion), positives: positives[0], counts: champion },
      challenger: { count: sum(challenger), positives: positives[1], counts: challenger },
    },
    comparison: {
      champion: { labelled: 0 },
      challenger: { labelled: 0 },
      differences: [{ metric: 'f1', difference: null, lower: null, upper: null }],
    },
  };
}

function input(overrides: Partial<GuardInput> = {}): GuardInput {
  return {
    traffic: { champion: arm(900, 0), challenger: arm(100, 0), replicas: 2, unreachable: [] },
    report: report([400, 300, 200, 100], [40, 30, 20, 10], [300, 30]),
    share: 0.1,
    minRequests: 50,
    settings: DEFAULT_GUARDS,
    ...overrides,
  };
}

const status = (verdicts: ReturnType<typeof evaluateGuards>) =>
  Object.fromEntries(verdicts.map((verdict) => [verdict.guard, verdict.status]));

describe('rollout guards', () => {
  it('pass a candidate that looks like the champion; F1 does not apply without labels', () => {
    const verdicts = evaluateGuards(input());
    expect(status(verdicts)).toEqual({
      error_rate: 'pass',
      latency_p99: 'pass',
      score_psi: 'pass',
      positive_rate: 'pass',
      sample_ratio: 'pass',
      f1: 'not_applicable',
    });
    expect(stepDecision(verdicts)).toBe('pass');
  });

  it('breach on errors, naming the figures and the threshold', () => {
    const verdicts = evaluateGuards(
      input({ traffic: { champion: arm(900, 0), challenger: arm(100, 10), replicas: 2, unreachable: [] } }),
    );
    const verdict = verdicts.find((entry) => entry.guard === 'error_rate');
    expect(verdict).toMatchObject({ status: 'breach', value: 0.1, threshold: 0.01 });
    expect(verdict?.detail).toContain('10/100');
    expect(stepDecision(verdicts)).toBe('breach');
  });

  it('pass a positive-rate difference above the threshold that chance explains, breach the same one with more data', () => {
    const guard = (report_: ReportFigures) =>
      evaluateGuards(input({ report: report_ })).find((verdict) => verdict.guard === 'positive_rate');
    // 30 % vs 42 % of 50 predictions each: z = 1.26, p = 0.21.
    const few = guard(report([20, 15, 10, 5], [20, 15, 10, 5], [15, 21]));
    expect(few).toMatchObject({ status: 'pass', value: expect.closeTo(0.12, 10) });
    expect(few?.detail).toMatch(/p = 0\.2\d+ \(a breach needs p < 0\.01\)/);
    // The same rates over 1000 predictions each: p far below 0.01.
    const many = guard(report([400, 300, 200, 100], [400, 300, 200, 100], [300, 420]));
    expect(many).toMatchObject({ status: 'breach', value: expect.closeTo(0.12, 10) });
    // Significant but within the threshold: pass.
    const small = guard(report([4000, 3000, 2000, 1000], [4000, 3000, 2000, 1000], [3000, 3500]));
    expect(small?.status).toBe('pass');
  });

  it('breach on shifted scores (PSI and positive rate)', () => {
    const verdicts = evaluateGuards(input({ report: report([400, 300, 200, 100], [5, 10, 25, 60], [300, 85]) }));
    expect(status(verdicts)).toMatchObject({ score_psi: 'breach', positive_rate: 'breach' });
  });

  it('passes two samples of one score distribution, sparse 20-bin histograms of 85 and 355 predictions (found by the system test)', () => {
    // Both arms drawn from the same skewed distribution: most scores low, a thin tail in sparse bins.
    const shape = [30, 22, 14, 9, 6, 5, 4, 3, 2, 1, 1, 1, 0.6, 0.5, 0.3, 0.2, 0.2, 0.1, 0.1, 0.1];
    const sample = (n: number, phase: number) =>
      shape.map((weight, bin) => Math.max(0, Math.round((weight * n) / 100 + (bin % 2 === phase ? 0.6 : -0.6))));
    const champion = sample(355, 0);
    const challenger = sample(85, 1);
    const { excess, bins } = excessScorePsi(champion, challenger);
    expect(bins).toBeLessThanOrEqual(10);
    expect(excess).toBeLessThan(0.2);
    // The raw 20-bin PSI of the same counts breaches, which reverted a good candidate.
    expect(populationStabilityIndex(champion, challenger)).toBeGreaterThan(0.2);
  });

  it('merges sparse bins until each holds a tenth of all predictions', () => {
    expect(mergeSparseBins([50, 1, 1, 48], [50, 0, 2, 48])).toEqual({ champion: [50, 50], challenger: [50, 50] });
  });

  it('passes a candidate whose p99 is a few stalled answers (found by the system test), breaches on 5 % slow', () => {
    const champion = arm(500, 0, 0.05);
    const stalled = (slow: number): ArmTraffic => ({
      requests: 200,
      errors: 0,
      latencyBuckets: new Map([
        [0.005, 100],
        [0.05, 200 - slow],
        [0.5, 200],
        [Infinity, 200],
      ]),
    });
    const verdict = (slow: number) =>
      evaluateGuards(input({ traffic: { champion, challenger: stalled(slow), replicas: 2, unreachable: [] } })).find(
        (entry) => entry.guard === 'latency_p99',
      );
    // p99 of 200 answers with 3 at up to 500 ms lies in the 500 ms bucket, far beyond 1.5 × 50 ms + 25 ms.
    expect(verdict(3)).toMatchObject({ status: 'pass', value: 0.5 });
    expect(verdict(10)?.status).toBe('breach');
    expect(verdict(10)?.detail).toContain('10/200');
  });

  it('computes binomial tails, also for many answers', () => {
    expect(binomialTail(0, 10, 0.5)).toBe(1);
    expect(binomialTail(10, 10, 0.5)).toBeCloseTo(1 / 1024, 12);
    expect(binomialTail(1, 100, 0.01)).toBeCloseTo(1 - 0.99 ** 100, 12);
    expect(binomialTail(1500, 100_000, 0.01)).toBeLessThan(1e-6);
    expect(binomialTail(1000, 100_000, 0.01)).toBeGreaterThan(0.4);
  });

  it('breach on slow answers and on a split that is not the share', () => {
    const slow = evaluateGuards(
      input({ traffic: { champion: arm(900, 0), challenger: arm(100, 0, 0.5), replicas: 2, unreachable: [] } }),
    );
    expect(status(slow).latency_p99).toBe('breach');
    const skewed = evaluateGuards(
      input({ traffic: { champion: arm(500, 0), challenger: arm(500, 0), replicas: 2, unreachable: [] } }),
    );
    expect(status(skewed).sample_ratio).toBe('breach');
  });

  it('hold, never pass, without enough data or with a replica unread', () => {
    const few = evaluateGuards(
      input({ traffic: { champion: arm(900, 0), challenger: arm(10, 0), replicas: 2, unreachable: [] } }),
    );
    expect(status(few).error_rate).toBe('insufficient');
    expect(stepDecision(few)).toBe('hold');
    const unread = evaluateGuards(
      input({ traffic: { champion: arm(900, 0), challenger: arm(100, 0), replicas: 1, unreachable: ['http://b'] } }),
    );
    expect(stepDecision(unread)).toBe('hold');
    expect(stepDecision(evaluateGuards(input({ report: null })))).toBe('hold');
  });

  it('compare F1 once both arms have enough labels', () => {
    const labelled = report([400, 300, 200, 100], [40, 30, 20, 10], [300, 30]);
    labelled.comparison = {
      champion: { labelled: 100 },
      challenger: { labelled: 100 },
      differences: [{ metric: 'f1', difference: -0.2, lower: -0.3, upper: -0.1 }],
    };
    expect(status(evaluateGuards(input({ report: labelled }))).f1).toBe('breach');
  });
});
