import { requireConfusionCounts, type ConfusionCounts } from './confusion-counts';

/** Quality of a binary classifier on labelled predictions; null where the ratio is 0/0. */
export interface ClassificationMetrics {
  /** TP + FP + TN + FN: how many labelled predictions the metrics rest on. */
  count: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/** numerator / denominator, or null when the denominator is 0 (nothing to measure yet). */
export function ratioOrNull(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/** F1 = 2TP / (2TP + FP + FN) of counts already checked (see classificationMetrics); null when TP + FP + FN = 0. */
export function f1Score(counts: {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}): number | null {
  return ratioOrNull(
    2 * counts.truePositives,
    2 * counts.truePositives + counts.falsePositives + counts.falseNegatives,
  );
}

/**
 * Accuracy, precision, recall and F1 of the positive class (label 1) from confusion counts:
 *
 *   accuracy = (TP + TN) / (TP + FP + TN + FN)     precision = TP / (TP + FP)
 *   recall   = TP / (TP + FN)                      F1 = 2TP / (2TP + FP + FN)
 *
 * F1 is written as 2TP / (2TP + FP + FN), the harmonic mean of precision and recall without their
 * 0/0 cases, as sklearn computes it: it is 0 (not null) when there are positives but no true positive.
 * A ratio whose denominator is 0 is null rather than sklearn's `zero_division` fill value, so a report
 * can say "not enough labels" instead of showing a 0 that looks like a terrible model.
 *
 * Reference: sklearn.metrics.accuracy_score, precision_score, recall_score, f1_score
 * (pos_label=1, zero_division=nan).
 *
 * @throws {DriftInputError} when a count is not an integer ≥ 0 (`counts.truePositives`, …).
 * @example
 * classificationMetrics({ truePositives: 2, falsePositives: 1, trueNegatives: 1, falseNegatives: 1 });
 * // { count: 5, accuracy: 0.6, precision: 0.6666666666666666, recall: 0.6666666666666666, f1: 0.6666666666666666 }
 */
export function classificationMetrics(counts: ConfusionCounts): ClassificationMetrics {
  const { truePositives, falsePositives, trueNegatives, falseNegatives } = requireConfusionCounts(counts, 'counts');
  const count = truePositives + falsePositives + trueNegatives + falseNegatives;
  return {
    count,
    accuracy: ratioOrNull(truePositives + trueNegatives, count),
    precision: ratioOrNull(truePositives, truePositives + falsePositives),
    recall: ratioOrNull(truePositives, truePositives + falseNegatives),
    f1: f1Score(counts),
  };
}
