import { DriftInputError } from '../errors';
import { f1Score } from './classification-metrics';
import { normalQuantile } from './normal-quantile';
import { DEFAULT_CONFIDENCE, type DifferenceInterval } from './proportion-intervals';
import { requireCount, requireOpenUnitInterval } from './validation';

/** The counts F1 depends on; true negatives do not move it. */
export interface F1Counts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/**
 * The delta-method variance of an F1 score estimated from n labelled rows:
 *
 *   Var(F̂1) ≈ 4 · TP · E · (TP + E) / (2TP + E)⁴,   E = FP + FN.
 *
 * Derivation: the four confusion cells are multinomial over the n rows, with proportions p; F1 =
 * 2a / (2a + b) with a = TP/n and b = E/n; the delta method gives Var ≈ gᵀ Σ g / n with g = ∂F1/∂p
 * and Σ = diag(p) − p pᵀ. F1 is homogeneous of degree 0 in p, so Σ gᵢ pᵢ = 0 and the pᵀ part
 * vanishes: Var = Σ gᵢ² pᵢ / n = 4ab(a + b) / (n (2a + b)⁴), and in counts n cancels.
 * It is 0 where F1 is exactly 0 (TP = 0) or 1 (E = 0): there the approximation says nothing about
 * the spread, as Wald's does for a proportion of 0 or 1. `undefined` when F1 itself is (TP + E = 0).
 *
 * Reference: the delta method for a function of multinomial proportions (e.g. Agresti, Categorical
 * Data Analysis, 3rd ed., §16.1); checked against a numerical gradient with numpy.
 */
export function f1Variance(counts: F1Counts): number | undefined {
  const { truePositives: tp } = counts;
  const errors = counts.falsePositives + counts.falseNegatives;
  if (tp + errors === 0) return undefined;
  const denominator = 2 * tp + errors;
  return (4 * tp * errors * (tp + errors)) / denominator ** 4;
}

/**
 * A Wald interval for F1₁ − F1₂ of two independent samples, from the delta-method variances:
 * d ± z √(Var₁ + Var₂), z = Φ⁻¹(1 − α/2), α = 1 − confidence. `undefined` when either F1 is undefined
 * or has a variance of 0 (an F1 of exactly 0 or 1, see {@link f1Variance}), where such an interval
 * would shrink to the point estimate and call any difference certain.
 *
 * @throws {DriftInputError} when a count is not an integer ≥ 0 (named `first.truePositives`, …) or
 *   confidence is not in (0, 1)
 * @example
 * f1DifferenceInterval({ truePositives: 80, falsePositives: 10, falseNegatives: 10 }, { truePositives: 40, falsePositives: 10, falseNegatives: 50 });
 * // { difference: 0.31746031746031744, lower: 0.2081…, upper: 0.4267…, confidence: 0.95 }
 */
export function f1DifferenceInterval(
  first: F1Counts,
  second: F1Counts,
  confidence = DEFAULT_CONFIDENCE,
): DifferenceInterval | undefined {
  requireF1Counts(first, 'first');
  requireF1Counts(second, 'second');
  requireOpenUnitInterval(confidence, 'confidence');
  const firstVariance = f1Variance(first);
  const secondVariance = f1Variance(second);
  if (!firstVariance || !secondVariance) return undefined;
  // Both F1s are defined here: a variance was.
  const difference = (f1Score(first) as number) - (f1Score(second) as number);
  const halfWidth = -normalQuantile((1 - confidence) / 2) * Math.sqrt(firstVariance + secondVariance);
  return { difference, lower: difference - halfWidth, upper: difference + halfWidth, confidence };
}

function requireF1Counts(counts: F1Counts, field: string): void {
  if (counts === null || typeof counts !== 'object')
    throw new DriftInputError(field, 'expected { truePositives, falsePositives, falseNegatives }');
  requireCount(counts.truePositives, `${field}.truePositives`);
  requireCount(counts.falsePositives, `${field}.falsePositives`);
  requireCount(counts.falseNegatives, `${field}.falseNegatives`);
}
