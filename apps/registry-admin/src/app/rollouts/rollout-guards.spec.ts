import type { ArmTraffic } from './replica-figures';
import { DEFAULT_GUARDS, evaluateGuards, stepDecision, type GuardInput, type ReportFigures } from './rollout-guards';

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

  it('breach on shifted scores (PSI and positive rate)', () => {
    const verdicts = evaluateGuards(input({ report: report([400, 300, 200, 100], [5, 10, 25, 60], [300, 85]) }));
    expect(status(verdicts)).toMatchObject({ score_psi: 'breach', positive_rate: 'breach' });
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
