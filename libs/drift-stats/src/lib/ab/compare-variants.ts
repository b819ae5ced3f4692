import { f1Score, ratioOrNull } from './classification-metrics';
import { requireConfusionCounts, type ConfusionCounts } from './confusion-counts';
import { f1DifferenceInterval } from './f1-interval';
import { DEFAULT_CONFIDENCE, newcombeDifferenceInterval } from './proportion-intervals';
import { requireOpenUnitInterval } from './validation';

/** One metric of the challenger set against the champion's, with a confidence interval. */
export interface MetricDifference {
  metric: 'accuracy' | 'precision' | 'recall' | 'f1';
  /** The champion's value, or null when it has no trials for this ratio. */
  champion: number | null;
  challenger: number | null;
  /** challenger − champion */
  difference: number | null;
  lower: number | null;
  upper: number | null;
  confidence: number;
  /** The interval excludes 0 (false when it is null). */
  significant: boolean;
}

/** A metric as successes out of trials, so that it can be compared as a binomial proportion. */
interface Proportion {
  successes: number;
  trials: number;
}

function labelled(c: ConfusionCounts): number {
  return c.truePositives + c.falsePositives + c.trueNegatives + c.falseNegatives;
}

const METRIC_PROPORTIONS: ReadonlyArray<[MetricDifference['metric'], (counts: ConfusionCounts) => Proportion]> = [
  ['accuracy', (c) => ({ successes: c.truePositives + c.trueNegatives, trials: labelled(c) })],
  ['precision', (c) => ({ successes: c.truePositives, trials: c.truePositives + c.falsePositives })],
  ['recall', (c) => ({ successes: c.truePositives, trials: c.truePositives + c.falseNegatives })],
];

/**
 * Challenger minus champion for accuracy (correct / labelled), precision (TP / predicted positive),
 * recall (TP / actual positive) and F1. The first three are each a proportion of its own trials, and
 * the two variants serve disjoint users, so each difference is one of two independent binomial
 * proportions and gets Newcombe's hybrid score interval (see newcombeDifferenceInterval). F1 is not a
 * proportion of any trials: its difference gets the delta method's Wald interval (see
 * f1DifferenceInterval). significant = the interval excludes 0. Where either variant has no trials
 * for a ratio (no labels, nothing predicted positive, no actual positive), or an F1 of exactly 0 or 1
 * (whose delta-method spread is 0), the difference and its bounds are null and significant is false;
 * F1's values are still given.
 *
 * Reference: Newcombe R.G. (1998), Statistics in Medicine 17(8), 873–890.
 *
 * @throws {DriftInputError} when a count is not an integer ≥ 0 (`champion.truePositives`, …) or
 *   confidence is not in (0, 1).
 * @example
 * compareVariantMetrics(
 *   { truePositives: 30, falsePositives: 10, trueNegatives: 50, falseNegatives: 10 },
 *   { truePositives: 36, falsePositives: 4, trueNegatives: 55, falseNegatives: 5 },
 * )[0];
 * // { metric: 'accuracy', champion: 0.8, challenger: 0.91, difference: 0.10999999999999999,
 * //   lower: 0.011705642110102304, upper: 0.20822694417426074, confidence: 0.95, significant: true }
 */
export function compareVariantMetrics(
  champion: ConfusionCounts,
  challenger: ConfusionCounts,
  confidence = DEFAULT_CONFIDENCE,
): MetricDifference[] {
  requireConfusionCounts(champion, 'champion');
  requireConfusionCounts(challenger, 'challenger');
  requireOpenUnitInterval(confidence, 'confidence');
  const proportions = METRIC_PROPORTIONS.map(([metric, proportionOf]): MetricDifference => {
    const championShare = proportionOf(champion);
    const challengerShare = proportionOf(challenger);
    const values = {
      metric,
      champion: ratioOrNull(championShare.successes, championShare.trials),
      challenger: ratioOrNull(challengerShare.successes, challengerShare.trials),
    };
    if (championShare.trials === 0 || challengerShare.trials === 0) {
      return { ...values, difference: null, lower: null, upper: null, confidence, significant: false };
    }
    const { difference, lower, upper } = newcombeDifferenceInterval(
      challengerShare.successes,
      challengerShare.trials,
      championShare.successes,
      championShare.trials,
      confidence,
    );
    return { ...values, difference, lower, upper, confidence, significant: lower > 0 || upper < 0 };
  });
  return [...proportions, f1Difference(champion, challenger, confidence)];
}

function f1Difference(champion: ConfusionCounts, challenger: ConfusionCounts, confidence: number): MetricDifference {
  const values = { metric: 'f1' as const, champion: f1Score(champion), challenger: f1Score(challenger) };
  const interval = f1DifferenceInterval(challenger, champion, confidence);
  if (!interval) return { ...values, difference: null, lower: null, upper: null, confidence, significant: false };
  const { difference, lower, upper } = interval;
  return { ...values, difference, lower, upper, confidence, significant: lower > 0 || upper < 0 };
}
