import {
  classificationMetrics,
  compareVariantMetrics,
  confusionCounts,
  newcombeDifferenceInterval,
  normalQuantile,
  sampleRatioMismatch,
  twoProportionZTest,
  wilsonInterval,
} from '../src';
import { loadPythonReference } from './support/python-reference';
import { expectAllWithin, expectWithin, type Tolerance } from './support/within-tolerance';

interface Counts {
  true_positives: number;
  false_positives: number;
  true_negatives: number;
  false_negatives: number;
}

interface Reference {
  two_proportion_z: {
    successes1: number;
    trials1: number;
    successes2: number;
    trials2: number;
    z: number;
    p_value: number;
  }[];
  classification: (Counts & {
    name: string;
    actual: number[];
    predicted: number[];
    accuracy: number | null;
    precision: number | null;
    recall: number | null;
    f1: number | null;
  })[];
  normal_quantile: { p: number; z: number }[];
  wilson: { successes: number; trials: number; confidence: number; lower: number; upper: number }[];
  newcombe: {
    successes1: number;
    trials1: number;
    successes2: number;
    trials2: number;
    confidence: number;
    difference: number;
    lower: number;
    upper: number;
  }[];
  sample_ratio_mismatch: {
    name: string;
    observed: number[];
    shares: number[];
    statistic: number | null;
    statistic_infinite: boolean;
    p_value: number;
    degrees_of_freedom: number;
    expected: number[];
  }[];
  variant_comparison: {
    name: string;
    confidence: number;
    champion: Counts;
    challenger: Counts;
    differences: {
      metric: string;
      champion: number | null;
      challenger: number | null;
      difference: number | null;
      lower: number | null;
      upper: number | null;
    }[];
  }[];
}

/*
 * Tolerances, and why:
 * - EXACT (0): confusion counts are integers, and each metric is one division of two integers
 *   (sklearn's f1 is 2TP / (2TP + FP + FN) as well), so both sides round the same exact quotient.
 * - QUANTILE (2e-15 relative): AS241's rational approximations and cephes' ndtri (scipy) are different
 *   approximations, each within about 1e-16 relative of Φ⁻¹, plus a dozen roundings of Horner's rule;
 *   a few units in the last place apart at most. Observed worst case: 5.5e-16.
 * - CLOSED_FORM (1e-14 relative + 1e-15 absolute): Wilson and Newcombe bounds are closed forms in z.
 *   Our z and scipy's isf differ by a unit or two in the last place (above), which moves a bound by
 *   about as much relative to it; statsmodels computes a lower bound as centre − distance, which loses
 *   up to a few ε·centre ≈ 1e-16 absolutely when the bound is near 0 (at 0 successes it returns 2e-19
 *   where the exact value, and ours, is 0), and Newcombe's d − √(…) cancels the same way near 0. Both
 *   sides stay far below 1e-15 absolute; observed worst case 3.6e-16.
 * - CHI_SQUARE (1e-12 relative): the statistic sums a few terms in the same order as numpy (a few ε);
 *   the p-value is the incomplete gamma series / continued fraction against cephes' igamc, held to
 *   1e-12 in scipy-reference.spec.ts for the same reason. Observed worst case: 6.4e-15.
 */
const EXACT: Tolerance = { relative: 0 };
const QUANTILE: Tolerance = { relative: 2e-15 };
const CLOSED_FORM: Tolerance = { relative: 1e-14, absolute: 1e-15 };
const CHI_SQUARE: Tolerance = { relative: 1e-12 };
/**
 * The z-test's p-value: statsmodels takes 2·norm.sf(|z|) (cephes' ndtr), ours the χ²(1) survival of
 * z² (the incomplete gamma held to 1e-12 against cephes above); the absolute part covers p-values
 * that underflow differently far in the tail.
 */
const Z_TEST_P_VALUE: Tolerance = { relative: 1e-12, absolute: 1e-300 };
/**
 * F1's delta-method bounds against the reference's numerical gradient (central differences, step
 * 1e-6): its rounding error is ~1e-16 / 1e-6 = 1e-10 of each partial derivative (truncation ~1e-12),
 * which reaches the bounds as ~1e-10 of the half-width, so 1e-8 of a bound (1e-10 absolute, for
 * bounds near 0) leaves a margin and still fails any wrong term of the formula.
 */
const NUMERICAL_GRADIENT: Tolerance = { relative: 1e-8, absolute: 1e-10 };

function expectNullableWithin(
  actual: number | null,
  expected: number | null,
  tolerance: Tolerance,
  label: string,
): void {
  if (expected === null || actual === null) {
    if (actual !== expected) throw new Error(`${label}: actual ${String(actual)}, expected ${String(expected)}`);
    return;
  }
  expectWithin(actual, expected, tolerance, label);
}

function toCounts(counts: Counts) {
  return {
    truePositives: counts.true_positives,
    falsePositives: counts.false_positives,
    trueNegatives: counts.true_negatives,
    falseNegatives: counts.false_negatives,
  };
}

describe('champion/challenger statistics against sklearn, scipy and statsmodels (test/reference/generate_ab_reference.py)', () => {
  let reference: Reference;

  beforeAll(() => {
    reference = loadPythonReference<Reference>('generate_ab_reference.py');
  });

  it('counts the confusion matrix as sklearn.metrics.confusion_matrix does', () => {
    for (const c of reference.classification) {
      expect({ name: c.name, ...confusionCounts(c.actual, c.predicted) }).toEqual({ name: c.name, ...toCounts(c) });
    }
  });

  it('computes accuracy, precision, recall and F1 as sklearn does, null where sklearn divides 0 by 0', () => {
    for (const c of reference.classification) {
      const metrics = classificationMetrics(toCounts(c));
      expect(metrics.count).toBe(c.actual.length);
      for (const metric of ['accuracy', 'precision', 'recall', 'f1'] as const) {
        expectNullableWithin(metrics[metric], c[metric], EXACT, `${c.name}: ${metric}`);
      }
    }
  });

  it('inverts the normal distribution as scipy.stats.norm.ppf does, in the centre and both tails', () => {
    for (const c of reference.normal_quantile) {
      expectWithin(normalQuantile(c.p), c.z, QUANTILE, `normalQuantile(${c.p})`);
    }
  });

  it('gives the Wilson interval of statsmodels proportion_confint(method="wilson")', () => {
    for (const c of reference.wilson) {
      const interval = wilsonInterval(c.successes, c.trials, c.confidence);
      const label = `wilsonInterval(${c.successes}, ${c.trials}, ${c.confidence})`;
      expectWithin(interval.lower, c.lower, CLOSED_FORM, `${label}.lower`);
      expectWithin(interval.upper, c.upper, CLOSED_FORM, `${label}.upper`);
    }
  });

  it('gives the Newcombe interval of statsmodels confint_proportions_2indep(method="newcomb", compare="diff")', () => {
    for (const c of reference.newcombe) {
      const interval = newcombeDifferenceInterval(c.successes1, c.trials1, c.successes2, c.trials2, c.confidence);
      const label = `newcombeDifferenceInterval(${c.successes1}, ${c.trials1}, ${c.successes2}, ${c.trials2}, ${c.confidence})`;
      expectWithin(interval.difference, c.difference, EXACT, `${label}.difference`);
      expectWithin(interval.lower, c.lower, CLOSED_FORM, `${label}.lower`);
      expectWithin(interval.upper, c.upper, CLOSED_FORM, `${label}.upper`);
      expect(interval.confidence).toBe(c.confidence);
    }
  });

  it('tests two proportions as statsmodels proportions_ztest does (pooled, two-sided)', () => {
    expect(reference.two_proportion_z.length).toBeGreaterThan(30);
    for (const c of reference.two_proportion_z) {
      const result = twoProportionZTest(c.successes1, c.trials1, c.successes2, c.trials2);
      const label = `twoProportionZTest(${c.successes1}, ${c.trials1}, ${c.successes2}, ${c.trials2})`;
      expectWithin(result.z, c.z, CLOSED_FORM, `${label}.z`);
      expectWithin(result.pValue, c.p_value, Z_TEST_P_VALUE, `${label}.pValue`);
    }
  });

  it('answers p = 1 when every trial agrees, and names the count at fault', () => {
    expect(twoProportionZTest(0, 10, 0, 20)).toEqual({ difference: 0, z: 0, pValue: 1 });
    expect(twoProportionZTest(10, 10, 20, 20)).toEqual({ difference: 0, z: 0, pValue: 1 });
    expect(() => twoProportionZTest(5, 0, 1, 2)).toThrow(/trials1/);
    expect(() => twoProportionZTest(3, 2, 1, 2)).toThrow(/successes1/);
    expect(() => twoProportionZTest(1, 2, -1, 2)).toThrow(/successes2/);
  });

  it('checks the sample ratio as scipy.stats.chisquare does, flagging p < 0.001', () => {
    for (const c of reference.sample_ratio_mismatch) {
      const result = sampleRatioMismatch(c.observed, c.shares);
      if (c.statistic_infinite)
        expect({ name: c.name, statistic: result.statistic }).toEqual({ name: c.name, statistic: Infinity });
      else expectWithin(result.statistic, c.statistic as number, CHI_SQUARE, `${c.name}: statistic`);
      expectWithin(result.pValue, c.p_value, CHI_SQUARE, `${c.name}: p-value`);
      expectAllWithin(result.expected, c.expected, EXACT, `${c.name}: expected`);
      expect({
        name: c.name,
        degreesOfFreedom: result.degreesOfFreedom,
        mismatch: result.mismatch,
        observed: result.observed,
      }).toEqual({
        name: c.name,
        degreesOfFreedom: c.degrees_of_freedom,
        mismatch: c.p_value < 0.001,
        observed: c.observed,
      });
    }
  });

  it('compares challenger with champion per metric as statsmodels does on sklearn confusion matrices', () => {
    for (const c of reference.variant_comparison) {
      const differences = compareVariantMetrics(toCounts(c.champion), toCounts(c.challenger), c.confidence);
      expect(differences.map((d) => d.metric)).toEqual(c.differences.map((d) => d.metric));
      differences.forEach((actual, i) => {
        const expected = c.differences[i];
        const label = `${c.name}: ${expected.metric}`;
        expectNullableWithin(actual.champion, expected.champion, EXACT, `${label}.champion`);
        expectNullableWithin(actual.challenger, expected.challenger, EXACT, `${label}.challenger`);
        expectNullableWithin(actual.difference, expected.difference, EXACT, `${label}.difference`);
        const bounds = expected.metric === 'f1' ? NUMERICAL_GRADIENT : CLOSED_FORM;
        expectNullableWithin(actual.lower, expected.lower, bounds, `${label}.lower`);
        expectNullableWithin(actual.upper, expected.upper, bounds, `${label}.upper`);
        const excludesZero =
          expected.lower !== null && expected.upper !== null && (expected.lower > 0 || expected.upper < 0);
        expect({ label, significant: actual.significant, confidence: actual.confidence }).toEqual({
          label,
          significant: excludesZero,
          confidence: c.confidence,
        });
      });
    }
  });
});
