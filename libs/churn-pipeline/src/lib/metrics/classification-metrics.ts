/**
 * Binary classification metrics with scikit-learn's definitions (`sklearn.metrics`), so that the
 * numbers logged to MLflow mean what a data scientist expects.
 */
import { MetricsError } from '../errors';

/** Counts of a binary confusion matrix (positive class = 1). */
export interface ConfusionMatrix {
  trueNegatives: number;
  falsePositives: number;
  falseNegatives: number;
  truePositives: number;
}

/** Everything reported for a test split. */
export interface ClassificationMetrics {
  f1: number;
  accuracy: number;
  precision: number;
  recall: number;
  rocAuc: number;
  logLoss: number;
  confusionMatrix: ConfusionMatrix;
  /** Rows evaluated. */
  support: number;
  /** Probability at or above which a row was predicted positive. */
  threshold: number;
}

/** Float64 machine epsilon: `log_loss` clips probabilities to [ε, 1 − ε] for float64 input. */
const FLOAT64_EPSILON = 2 ** -52;

/**
 * The confusion matrix of 0/1 labels against 0/1 predictions (`confusion_matrix(y, ŷ).ravel()` gives
 * tn, fp, fn, tp).
 *
 * @throws MetricsError for different lengths or values other than 0/1.
 * @example confusionMatrix([0, 1, 1, 0], [0, 1, 0, 1])
 *   // { trueNegatives: 1, falsePositives: 1, falseNegatives: 1, truePositives: 1 }
 */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>): ConfusionMatrix {
  assertSameLength(labels, predictions, 'predictions');
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < labels.length; i += 1) {
    const y = labels[i];
    const yHat = predictions[i];
    if ((y !== 0 && y !== 1) || (yHat !== 0 && yHat !== 1)) {
      throw new MetricsError(`row ${i}: labels and predictions must be 0 or 1, got ${y} and ${yHat}`);
    }
    counts[2 * y + yHat] += 1;
  }
  return { trueNegatives: counts[0], falsePositives: counts[1], falseNegatives: counts[2], truePositives: counts[3] };
}

/** (tp + tn) / n. */
export function accuracyFrom(matrix: ConfusionMatrix): number {
  const total = matrix.trueNegatives + matrix.falsePositives + matrix.falseNegatives + matrix.truePositives;
  return total === 0 ? 0 : (matrix.truePositives + matrix.trueNegatives) / total;
}

/** tp / (tp + fp); 0 when nothing is predicted positive (`zero_division` default of scikit-learn). */
export function precisionFrom(matrix: ConfusionMatrix): number {
  const predictedPositive = matrix.truePositives + matrix.falsePositives;
  return predictedPositive === 0 ? 0 : matrix.truePositives / predictedPositive;
}

/** tp / (tp + fn); 0 when there is no positive row. */
export function recallFrom(matrix: ConfusionMatrix): number {
  const actualPositive = matrix.truePositives + matrix.falseNegatives;
  return actualPositive === 0 ? 0 : matrix.truePositives / actualPositive;
}

/** F1 = 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall; 0 when undefined. */
export function f1From(matrix: ConfusionMatrix): number {
  const denominator = 2 * matrix.truePositives + matrix.falsePositives + matrix.falseNegatives;
  return denominator === 0 ? 0 : (2 * matrix.truePositives) / denominator;
}

/**
 * Area under the ROC curve, as `roc_auc_score`: rows sorted by decreasing score, one ROC point per
 * distinct score (tied scores move true and false positive counts together, a diagonal segment), and
 * the trapezoidal rule over the points from (0, 0) to (1, 1). Fawcett, "An introduction to ROC
 * analysis", Pattern Recognition Letters 27 (2006), algorithm 2.
 *
 * @throws MetricsError for different lengths, labels other than 0/1, non-finite scores, or a single
 *   class (the area is undefined).
 * @example rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // 0.75
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  assertSameLength(labels, scores, 'scores');
  let positives = 0;
  for (let i = 0; i < labels.length; i += 1) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new MetricsError(`row ${i}: label must be 0 or 1, got ${labels[i]}`);
    if (!Number.isFinite(scores[i])) throw new MetricsError(`row ${i}: score must be finite, got ${scores[i]}`);
    positives += labels[i];
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new MetricsError('ROC AUC is undefined when only one class is present in the labels');
  }
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let area = 0;
  let truePositives = 0;
  let falsePositives = 0;
  let previousTp = 0;
  let previousFp = 0;
  for (let k = 0; k < order.length; k += 1) {
    const row = order[k];
    if (labels[row] === 1) truePositives += 1;
    else falsePositives += 1;
    const lastOfTie = k === order.length - 1 || scores[order[k + 1]] !== scores[row];
    if (lastOfTie) {
      area += ((falsePositives - previousFp) * (truePositives + previousTp)) / 2;
      previousTp = truePositives;
      previousFp = falsePositives;
    }
  }
  return area / (positives * negatives);
}

/**
 * Mean negative log-likelihood of 0/1 labels under positive-class probabilities, as `log_loss`:
 * probabilities are clipped to [ε, 1 − ε] with ε the float64 machine epsilon, so a confident mistake
 * costs about 36 instead of infinity.
 *
 * @throws MetricsError for different lengths, labels other than 0/1, or probabilities outside [0, 1].
 * @example logLoss([0, 1], [0.2, 0.9]) // 0.164252033486018
 */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  assertSameLength(labels, probabilities, 'probabilities');
  if (labels.length === 0) throw new MetricsError('log loss of zero rows is undefined');
  let total = 0;
  for (let i = 0; i < labels.length; i += 1) {
    const y = labels[i];
    const probability = probabilities[i];
    if (y !== 0 && y !== 1) throw new MetricsError(`row ${i}: label must be 0 or 1, got ${y}`);
    if (!(probability >= 0 && probability <= 1)) {
      throw new MetricsError(`row ${i}: probability must be in [0, 1], got ${probability}`);
    }
    const clipped = Math.min(Math.max(probability, FLOAT64_EPSILON), 1 - FLOAT64_EPSILON);
    total -= y === 1 ? Math.log(clipped) : Math.log(1 - clipped);
  }
  return total / labels.length;
}

/** 1 where the probability is at or above the threshold, else 0. */
export function labelsAtThreshold(probabilities: ArrayLike<number>, threshold: number): Uint8Array {
  return Uint8Array.from({ length: probabilities.length }, (_, i) => (probabilities[i] >= threshold ? 1 : 0));
}

/**
 * Every metric of a test split at once.
 *
 * @throws MetricsError as the single metrics do (a single class in the labels included).
 */
export function evaluateClassifier(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  threshold = 0.5,
): ClassificationMetrics {
  const matrix = confusionMatrix(labels, labelsAtThreshold(probabilities, threshold));
  return {
    f1: f1From(matrix),
    accuracy: accuracyFrom(matrix),
    precision: precisionFrom(matrix),
    recall: recallFrom(matrix),
    rocAuc: rocAuc(labels, probabilities),
    logLoss: logLoss(labels, probabilities),
    confusionMatrix: matrix,
    support: labels.length,
    threshold,
  };
}

function assertSameLength(labels: ArrayLike<number>, other: ArrayLike<number>, name: string): void {
  if (labels.length !== other.length) {
    throw new MetricsError(`${labels.length} labels but ${other.length} ${name}`);
  }
}
