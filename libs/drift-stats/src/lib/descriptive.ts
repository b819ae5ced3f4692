import { requireFiniteNumbers, requireNonEmpty } from './errors';

/**
 * Arithmetic mean, x̄ = Σ xᵢ / n.
 *
 * @throws {DriftInputError} when the sample is empty or holds a non-finite value.
 * @example
 * mean([1, 2, 3, 4]); // 2.5
 */
export function mean(values: ReadonlyArray<number>): number {
  requireNonEmpty(requireFiniteNumbers(values, 'values'), 'values');
  return values.reduce((sum, x) => sum + x, 0) / values.length;
}

/**
 * Population standard deviation, σ = √(Σ (xᵢ − x̄)² / n) — numpy's `np.std` default (ddof = 0), which
 * is what Evidently divides the Wasserstein distance by. Two passes, so no catastrophic cancellation.
 *
 * Reference: Welford B. P. (1962) discusses the one-pass alternative and its pitfalls; Chan, Golub &
 * LeVeque (1983), Algorithms for computing the sample variance, The American Statistician 37(3).
 *
 * @throws {DriftInputError} when the sample is empty or holds a non-finite value.
 * @example
 * populationStandardDeviation([1, 2, 3, 4]); // 1.118033988749895
 */
export function populationStandardDeviation(values: ReadonlyArray<number>): number {
  const average = mean(values);
  const squares = values.reduce((sum, x) => sum + (x - average) ** 2, 0);
  return Math.sqrt(squares / values.length);
}
