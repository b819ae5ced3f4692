import { DriftInputError, requireFiniteNumbers, requireNonEmpty, requireNonNegativeNumbers } from './errors';

/**
 * Jensen–Shannon distance between two discrete distributions, in nats (natural logarithm), which is
 * scipy's `scipy.spatial.distance.jensenshannon(p, q)` default (`base=None`); its range is
 * [0, √ln 2 ≈ 0.8326]. Evidently calls it with that default too, so its 0.1 threshold applies as is.
 *
 * JS(p, q) = √(½ KL(p ‖ m) + ½ KL(q ‖ m)), m = ½(p + q), after scaling p and q to sum to 1; terms with
 * pᵢ = 0 contribute 0 (lim x→0 of x ln x).
 *
 * Reference: Endres D. M., Schindelin J. E. (2003), A new metric for probability distributions,
 * IEEE Trans. Inf. Theory 49(7), 1858–1860; scipy.spatial.distance.jensenshannon.
 *
 * @throws {DriftInputError} when lengths differ, a weight is negative or non-finite, or a side sums to 0.
 * @example
 * jensenShannonDistance([1, 0], [0, 1]); // 0.8325546111576977 (= √ln 2)
 */
export function jensenShannonDistance(p: ReadonlyArray<number>, q: ReadonlyArray<number>): number {
  requireNonEmpty(requireNonNegativeNumbers(p, 'p'), 'p');
  requireNonNegativeNumbers(q, 'q');
  if (p.length !== q.length) {
    throw new DriftInputError('q', `has ${q.length} entries but p has ${p.length}`);
  }
  const pTotal = p.reduce((sum, x) => sum + x, 0);
  const qTotal = q.reduce((sum, x) => sum + x, 0);
  if (pTotal === 0) throw new DriftInputError('p', 'must not sum to 0');
  if (qTotal === 0) throw new DriftInputError('q', 'must not sum to 0');
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / pTotal;
    const qi = q[i] / qTotal;
    const mi = (pi + qi) / 2;
    if (pi > 0) divergence += pi * Math.log(pi / mi);
    if (qi > 0) divergence += qi * Math.log(qi / mi);
  }
  return Math.sqrt(Math.max(0, divergence) / 2);
}

/**
 * Wasserstein-1 (earth mover's) distance between two samples, as scipy's
 * `wasserstein_distance(u, v)`: W₁ = ∫ |U(x) − V(x)| dx, the area between the empirical CDFs, summed
 * over the gaps between consecutive values of the pooled sorted sample.
 *
 * Reference: Villani C. (2009), Optimal Transport, Old and New, Remark 2.19; Ramdas A. et al. (2017),
 * On Wasserstein two-sample testing, Entropy 19(2), 47; scipy.stats.wasserstein_distance.
 *
 * @throws {DriftInputError} when a sample is empty or holds a non-finite value.
 * @example
 * wassersteinDistance([0, 1, 3], [5, 6, 8]); // 5
 */
export function wassersteinDistance(u: ReadonlyArray<number>, v: ReadonlyArray<number>): number {
  requireNonEmpty(requireFiniteNumbers(u, 'u'), 'u');
  requireNonEmpty(requireFiniteNumbers(v, 'v'), 'v');
  const uSorted = Float64Array.from(u).sort();
  const vSorted = Float64Array.from(v).sort();
  const pooled = new Float64Array(uSorted.length + vSorted.length);
  pooled.set(uSorted);
  pooled.set(vSorted, uSorted.length);
  pooled.sort();
  let i = 0;
  let j = 0;
  let distance = 0;
  for (let k = 0; k < pooled.length - 1; k++) {
    const value = pooled[k];
    while (i < uSorted.length && uSorted[i] <= value) i++;
    while (j < vSorted.length && vSorted[j] <= value) j++;
    distance += Math.abs(i / uSorted.length - j / vSorted.length) * (pooled[k + 1] - value);
  }
  return distance;
}

/**
 * Wasserstein-1 distance scaled by the reference's population standard deviation, Evidently's
 * `wasserstein_distance(reference, current) / np.std(reference)`: a shift measured in reference
 * standard deviations, so one threshold (0.1 by default) fits every numeric feature. A constant
 * reference (σ = 0) makes any difference infinitely large: the score is +Infinity unless W₁ = 0.
 *
 * Reference: Evidently, `wasserstein_distance_norm` stat test.
 *
 * @throws {DriftInputError} as wassersteinDistance, or when the standard deviation is negative or not finite.
 * @example
 * normalizedWassersteinDistance([0, 1, 3], [5, 6, 8], 2); // 2.5
 */
export function normalizedWassersteinDistance(
  reference: ReadonlyArray<number>,
  current: ReadonlyArray<number>,
  referenceStandardDeviation: number,
): number {
  if (!Number.isFinite(referenceStandardDeviation) || referenceStandardDeviation < 0) {
    throw new DriftInputError(
      'referenceStandardDeviation',
      `must be a finite number ≥ 0, got ${referenceStandardDeviation}`,
    );
  }
  const distance = wassersteinDistance(reference, current);
  if (referenceStandardDeviation === 0) return distance === 0 ? 0 : Infinity;
  return distance / referenceStandardDeviation;
}
