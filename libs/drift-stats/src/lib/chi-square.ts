import { DriftInputError, requireNonNegativeNumbers } from './errors';
import { chiSquareSurvival } from './special-functions';

/** Result of Pearson's chi-square goodness-of-fit test. */
export interface ChiSquareResult {
  /** χ² = Σ (observed − expected)² / expected over the categories kept. */
  statistic: number;
  /** Pr(χ²ₖ₋₁ ≥ statistic); 0 when a category with no expected mass was observed. */
  pValue: number;
  /** k − 1, k being the number of categories kept. */
  degreesOfFreedom: number;
}

/**
 * Pearson's chi-square goodness of fit of observed category counts against reference frequencies,
 * as scipy's `chisquare(observed, expected)` with expected = frequency / Σ frequency · Σ observed
 * (the way Evidently scales the reference counts to the current sample).
 *
 * χ² = Σᵢ (oᵢ − eᵢ)² / eᵢ with k − 1 degrees of freedom; p = Q((k−1)/2, χ²/2).
 * Categories with neither expected nor observed mass are dropped first (Evidently only compares the
 * values seen in either sample). A category observed but absent from the reference has eᵢ = 0, so
 * χ² = +Infinity and p = 0, which is what scipy returns: the live data holds something training
 * never had.
 *
 * Reference: Pearson K. (1900), Philosophical Magazine 50(302), 157–175; scipy.stats.chisquare.
 *
 * @throws {DriftInputError} when the arrays differ in length, hold a negative or non-finite value,
 *   either sums to 0, or fewer than two categories remain.
 * @example
 * chiSquareGoodnessOfFit([30, 70], [0.5, 0.5]);
 * // { statistic: 16, pValue: 0.00006334248366623996, degreesOfFreedom: 1 }
 */
export function chiSquareGoodnessOfFit(
  observed: ReadonlyArray<number>,
  referenceFrequencies: ReadonlyArray<number>,
): ChiSquareResult {
  requireNonNegativeNumbers(observed, 'observed');
  requireNonNegativeNumbers(referenceFrequencies, 'referenceFrequencies');
  if (observed.length !== referenceFrequencies.length) {
    throw new DriftInputError(
      'observed',
      `has ${observed.length} categories but referenceFrequencies has ${referenceFrequencies.length}`,
    );
  }
  const kept = observed.map((_, i) => i).filter((i) => observed[i] > 0 || referenceFrequencies[i] > 0);
  if (kept.length < 2) {
    throw new DriftInputError('observed', `needs at least two categories with data, got ${kept.length}`);
  }
  const observedTotal = kept.reduce((sum, i) => sum + observed[i], 0);
  const frequencyTotal = kept.reduce((sum, i) => sum + referenceFrequencies[i], 0);
  if (observedTotal === 0) throw new DriftInputError('observed', 'must not sum to 0');
  if (frequencyTotal === 0) throw new DriftInputError('referenceFrequencies', 'must not sum to 0');
  const degreesOfFreedom = kept.length - 1;
  let statistic = 0;
  for (const i of kept) {
    const expected = (referenceFrequencies[i] / frequencyTotal) * observedTotal;
    if (expected === 0) return { statistic: Infinity, pValue: 0, degreesOfFreedom };
    statistic += (observed[i] - expected) ** 2 / expected;
  }
  return { statistic, pValue: chiSquareSurvival(statistic, degreesOfFreedom), degreesOfFreedom };
}
