import { DriftInputError } from '../errors';
import { requireCount } from './validation';

/** The four cells of a binary classifier's confusion matrix, label 1 being the positive class. */
export interface ConfusionCounts {
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
}

function requireArrayLike(values: ArrayLike<number>, field: string): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new DriftInputError(field, 'expected an array of 0/1 labels');
  }
}

function requireBinaryLabel(value: number, field: string): void {
  if (value !== 0 && value !== 1) {
    throw new DriftInputError(field, `expected a label 0 or 1, got ${String(value)}`);
  }
}

/**
 * Counts of a binary classifier's outcomes from paired 0/1 labels, label 1 (churn) being the positive
 * class: TP = #{actual 1, predicted 1}, FP = #{0, 1}, TN = #{0, 0}, FN = #{1, 0}.
 *
 * The same cells as sklearn's `confusion_matrix(actual, predicted, labels=[0, 1]).ravel()`
 * (tn, fp, fn, tp); the labels are fixed so that a sample holding only one class still yields a
 * full matrix.
 *
 * Reference: sklearn.metrics.confusion_matrix.
 *
 * @throws {DriftInputError} when either argument is not array-like, their lengths differ
 *   (`predicted`), or a value is not exactly 0 or 1 (`actual[i]` / `predicted[i]`).
 * @example
 * confusionCounts([1, 0, 1, 1, 0], [1, 1, 0, 1, 0]);
 * // { truePositives: 2, falsePositives: 1, trueNegatives: 1, falseNegatives: 1 }
 */
export function confusionCounts(actual: ArrayLike<number>, predicted: ArrayLike<number>): ConfusionCounts {
  requireArrayLike(actual, 'actual');
  requireArrayLike(predicted, 'predicted');
  if (actual.length !== predicted.length) {
    throw new DriftInputError('predicted', `has ${predicted.length} labels but actual has ${actual.length}`);
  }
  const counts: ConfusionCounts = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 };
  for (let i = 0; i < actual.length; i++) {
    requireBinaryLabel(actual[i], `actual[${i}]`);
    requireBinaryLabel(predicted[i], `predicted[${i}]`);
    if (actual[i] === 1) {
      if (predicted[i] === 1) counts.truePositives++;
      else counts.falseNegatives++;
    } else if (predicted[i] === 1) counts.falsePositives++;
    else counts.trueNegatives++;
  }
  return counts;
}

/** Throws DriftInputError (naming `field.truePositives` etc.) unless every cell is an integer ≥ 0. */
export function requireConfusionCounts(counts: ConfusionCounts, field: string): ConfusionCounts {
  if (counts === null || typeof counts !== 'object') {
    throw new DriftInputError(field, 'expected { truePositives, falsePositives, trueNegatives, falseNegatives }');
  }
  requireCount(counts.truePositives, `${field}.truePositives`);
  requireCount(counts.falsePositives, `${field}.falsePositives`);
  requireCount(counts.trueNegatives, `${field}.trueNegatives`);
  requireCount(counts.falseNegatives, `${field}.falseNegatives`);
  return counts;
}
