import { DriftInputError, requireNonNegativeNumbers } from './errors';

/**
 * Share given to an empty bin before PSI's logarithm. PSI's term (a − e)·ln(a/e) is infinite when a
 * bin is empty on one side, so empty bins get this share instead (Evidently's default floor, 0.0001).
 * It is well below the share of a single row in any window this library tests (≥ 1/10 000 only for
 * windows above 10 000 rows), and it bounds the penalty: a reference bin of share 0.1 that empties
 * completely contributes 0.1·ln(0.1/0.0001) ≈ 0.69, already well past the 0.25 drift band.
 */
export const PSI_EMPTY_BIN_SHARE = 1e-4;

/**
 * Population stability index of current counts against reference counts over the same frozen bins:
 * PSI = Σᵢ (aᵢ − eᵢ) ln(aᵢ / eᵢ), eᵢ and aᵢ being the reference and current shares of bin i, and an
 * empty bin's share replaced by `emptyBinShare` (see PSI_EMPTY_BIN_SHARE; shares are not renormalised
 * afterwards, as in Evidently). Usual reading: < 0.1 stable, 0.1–0.25 moderate shift, ≥ 0.25 shift.
 *
 * Reference: Yurdakul B. (2018), Statistical properties of population stability index, Western
 * Michigan University dissertation 3208; Siddiqi N. (2006), Credit Risk Scorecards, Wiley, ch. 8.
 *
 * @throws {DriftInputError} when lengths differ, a count is negative or non-finite, a side has no
 *   counts, or emptyBinShare is not in (0, 1).
 * @example
 * populationStabilityIndex([50, 50], [40, 60]); // 0.04054651081081642
 */
export function populationStabilityIndex(
  referenceCounts: ReadonlyArray<number>,
  currentCounts: ReadonlyArray<number>,
  emptyBinShare: number = PSI_EMPTY_BIN_SHARE,
): number {
  requireNonNegativeNumbers(referenceCounts, 'referenceCounts');
  requireNonNegativeNumbers(currentCounts, 'currentCounts');
  if (referenceCounts.length !== currentCounts.length) {
    throw new DriftInputError(
      'currentCounts',
      `has ${currentCounts.length} bins but referenceCounts has ${referenceCounts.length}`,
    );
  }
  if (!(emptyBinShare > 0 && emptyBinShare < 1)) {
    throw new DriftInputError('emptyBinShare', `must lie in (0, 1), got ${emptyBinShare}`);
  }
  const referenceTotal = referenceCounts.reduce((sum, x) => sum + x, 0);
  const currentTotal = currentCounts.reduce((sum, x) => sum + x, 0);
  if (referenceTotal === 0) throw new DriftInputError('referenceCounts', 'must not sum to 0');
  if (currentTotal === 0) throw new DriftInputError('currentCounts', 'must not sum to 0');
  let psi = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const expected = referenceCounts[i] === 0 ? emptyBinShare : referenceCounts[i] / referenceTotal;
    const actual = currentCounts[i] === 0 ? emptyBinShare : currentCounts[i] / currentTotal;
    psi += (actual - expected) * Math.log(actual / expected);
  }
  return psi;
}
