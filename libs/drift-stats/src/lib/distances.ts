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
  return sortedWassersteinDistance(Float64Array.from(u).sort(), Float64Array.from(v).sort());
}

/**
 * W₁ of two sorted, non-empty samples of finite values, walking them in merged order instead of
 * sorting them pooled: from each distinct value x to the next, the CDFs are i/n and j/m (i, j: values
 * ≤ x on each side). Equal pooled values are a gap of 0, which adds exactly +0, so skipping them
 * leaves the sum bit for bit as the pooled loop makes it. No value may be NaN, or the walk would
 * never end: wassersteinDistance checks its samples first.
 */
function sortedWassersteinDistance(u: Float64Array, v: Float64Array): number {
  let i = 0;
  let j = 0;
  let distance = 0;
  let value = Math.min(u[0], v[0]);
  for (;;) {
    while (i < u.length && u[i] <= value) i++;
    while (j < v.length && v[j] <= value) j++;
    if (i === u.length && j === v.length) return distance;
    const next = i === u.length ? v[j] : j === v.length ? u[i] : Math.min(u[i], v[j]);
    distance += Math.abs(i / u.length - j / v.length) * (next - value);
    value = next;
  }
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
  return wassersteinDistanceAndScore(reference, current, referenceStandardDeviation).normalized;
}

/**
 * {@link wassersteinDistance} and {@link normalizedWassersteinDistance} of the same samples in one
 * pass, for a caller that reports both: the samples are sorted and walked once.
 *
 * @throws {DriftInputError} as normalizedWassersteinDistance: the standard deviation is checked
 *   before the samples.
 * @example
 * wassersteinDistanceAndScore([0, 1, 3], [5, 6, 8], 2); // { distance: 5, normalized: 2.5 }
 */
export function wassersteinDistanceAndScore(
  reference: ReadonlyArray<number>,
  current: ReadonlyArray<number>,
  referenceStandardDeviation: number,
): { distance: number; normalized: number } {
  if (!Number.isFinite(referenceStandardDeviation) || referenceStandardDeviation < 0) {
    throw new DriftInputError(
      'referenceStandardDeviation',
      `must be a finite number ≥ 0, got ${referenceStandardDeviation}`,
    );
  }
  const distance = wassersteinDistance(reference, current);
  if (referenceStandardDeviation === 0) return { distance, normalized: distance === 0 ? 0 : Infinity };
  return { distance, normalized: distance / referenceStandardDeviation };
}
