import { chiSquareGoodnessOfFit } from '../chi-square';
import { DriftInputError } from '../errors';
import { requireCount, requireOpenUnitInterval } from './validation';

/** Outcome of the sample-ratio-mismatch check of an experiment's assignment counts. */
export interface SampleRatioMismatch {
  /** Pearson's χ² over the variants with a share > 0 or with units; +Infinity when a variant of share 0 got units. */
  statistic: number;
  pValue: number;
  /** Variants with a share > 0 or with units, minus 1. */
  degreesOfFreedom: number;
  alpha: number;
  /** pValue < alpha: the split is not the configured one, so no comparison of the variants can be trusted. */
  mismatch: boolean;
  /** The observed counts, copied. */
  observed: number[];
  /** share · total observed, per variant. */
  expected: number[];
}

/** Strict, because an experiment has many requests: 0.001 keeps false alarms rare over repeated checks. */
export const DEFAULT_SRM_ALPHA = 0.001;
/** How far the configured shares may sum from 1 (they come from decimal settings such as 0.1 + 0.9). */
export const SHARE_SUM_TOLERANCE = 1e-9;

function requireShares(shares: readonly number[]): void {
  if (!Array.isArray(shares)) throw new DriftInputError('expectedShares', 'expected an array of shares');
  shares.forEach((share, i) => {
    if (typeof share !== 'number' || !(share >= 0 && share <= 1)) {
      throw new DriftInputError(`expectedShares[${i}]`, `expected a share in [0, 1], got ${String(share)}`);
    }
  });
  const sum = shares.reduce((total, share) => total + share, 0);
  if (Math.abs(sum - 1) > SHARE_SUM_TOLERANCE) {
    throw new DriftInputError('expectedShares', `must sum to 1 (±${SHARE_SUM_TOLERANCE}), got ${sum}`);
  }
}

/**
 * Sample-ratio-mismatch (SRM) check: Pearson's chi-square goodness of fit of the observed number of
 * units per variant against the configured traffic shares,
 *
 *   χ² = Σᵢ (oᵢ − eᵢ)² / eᵢ,  eᵢ = shareᵢ · Σ o,  k − 1 degrees of freedom,  p = Pr(χ²ₖ₋₁ ≥ χ²),
 *
 * over the k variants whose share is > 0. A variant with share 0 that received units means the
 * assignment is broken: χ² = +Infinity, p = 0. A variant with share 0 and no units is left out (it
 * carries no information), and when only one variant remains every unit went where it had to:
 * χ² = 0, p = 1, 0 degrees of freedom. A mismatch should be reported before any verdict on the
 * variants, because the comparison rests on a randomisation that did not happen as configured.
 *
 * Reference: Fabijan A. et al. (2019), Diagnosing sample ratio mismatch in online controlled
 * experiments, KDD '19, 2156–2164; Pearson K. (1900); scipy.stats.chisquare.
 *
 * @throws {DriftInputError} when a count is negative or not an integer (`observed[i]`), the counts sum
 *   to 0 (`observed`), fewer than two variants are given, the lengths differ (`expectedShares`), a
 *   share is outside [0, 1] (`expectedShares[i]`), the shares do not sum to 1 ± 1e-9, or alpha is not
 *   in (0, 1).
 * @example
 * sampleRatioMismatch([5150, 4850], [0.5, 0.5]);
 * // { statistic: 9, pValue: 0.002699796063260193, degreesOfFreedom: 1, alpha: 0.001, mismatch: false,
 * //   observed: [5150, 4850], expected: [5000, 5000] }
 */
export function sampleRatioMismatch(
  observed: readonly number[],
  expectedShares: readonly number[],
  alpha = DEFAULT_SRM_ALPHA,
): SampleRatioMismatch {
  if (!Array.isArray(observed)) throw new DriftInputError('observed', 'expected an array of counts');
  observed.forEach((count, i) => requireCount(count, `observed[${i}]`));
  requireShares(expectedShares);
  requireOpenUnitInterval(alpha, 'alpha');
  if (observed.length < 2) {
    throw new DriftInputError('observed', `needs at least two variants, got ${observed.length}`);
  }
  if (expectedShares.length !== observed.length) {
    throw new DriftInputError(
      'expectedShares',
      `has ${expectedShares.length} shares but observed has ${observed.length} counts`,
    );
  }
  const total = observed.reduce((sum, count) => sum + count, 0);
  if (total === 0) throw new DriftInputError('observed', 'must not sum to 0: no units were assigned yet');
  const expected = expectedShares.map((share) => share * total);
  const activeVariants = expectedShares.filter((share, i) => share > 0 || observed[i] > 0).length;
  const { statistic, pValue, degreesOfFreedom } =
    activeVariants < 2
      ? { statistic: 0, pValue: 1, degreesOfFreedom: 0 }
      : chiSquareGoodnessOfFit(observed, expectedShares);
  return { statistic, pValue, degreesOfFreedom, alpha, mismatch: pValue < alpha, observed: [...observed], expected };
}
