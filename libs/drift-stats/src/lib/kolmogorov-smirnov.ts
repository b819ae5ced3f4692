import { requireFiniteNumbers, requireNonEmpty } from './errors';
import { kolmogorovSurvival } from './kolmogorov-distribution';

/** scipy's `MAX_AUTO_N`: `method='auto'` computes the exact p-value when both samples are at most this big. */
export const KS_EXACT_MAX_SAMPLE_SIZE = 10_000;

/** Result of the two-sample Kolmogorov–Smirnov test. */
export interface KolmogorovSmirnovResult {
  /** D = supₓ |F₁(x) − F₂(x)|, the largest distance between the two empirical CDFs. */
  statistic: number;
  /** Two-sided p-value under H₀: both samples come from the same continuous distribution. */
  pValue: number;
  /** Which p-value scipy's `method='auto'` would have used. */
  method: 'exact' | 'asymptotic';
}

/**
 * Two-sample, two-sided Kolmogorov–Smirnov test, a port of scipy's
 * `ks_2samp(reference, current, alternative='two-sided', method='auto')`.
 *
 * D = maxₓ |F_ref(x) − F_cur(x)|, with both empirical CDFs evaluated at every observed value
 * (right-continuous, so tied values count together, as scipy's `searchsorted(side='right')` does).
 * When both samples have at most 10 000 values the p-value is exact: D is rounded to h / lcm(n₁, n₂)
 * and Pr(D ≥ h / lcm) is counted over lattice paths (Hodges 1958, with Viehmann's 1 − p recursion for
 * n₁ ≠ n₂ and the closed alternating sum for n₁ = n₂). Otherwise the p-value is asymptotic:
 * Pr(D_m ≥ D) for the one-sample Kolmogorov distribution with m = round(n₁n₂ / (n₁ + n₂)).
 *
 * References: Hodges J. L. (1958), The significance probability of the Smirnov two-sample test,
 * Arkiv för Matematik 3(43), 469–486; Viehmann T. (2021), Numerically more stable computation of the
 * p-values for the two-sample Kolmogorov-Smirnov test, arXiv:2102.08037; scipy.stats.ks_2samp.
 *
 * @throws {DriftInputError} when a sample is empty or holds a non-finite value (naming it and the index).
 * @example
 * kolmogorovSmirnovTwoSample([1, 2, 3, 4], [3, 4, 5, 6]);
 * // { statistic: 0.5, pValue: 0.7714285714285716, method: 'exact' }
 */
export function kolmogorovSmirnovTwoSample(
  reference: ReadonlyArray<number>,
  current: ReadonlyArray<number>,
): KolmogorovSmirnovResult {
  requireNonEmpty(requireFiniteNumbers(reference, 'reference'), 'reference');
  requireNonEmpty(requireFiniteNumbers(current, 'current'), 'current');
  const first = Float64Array.from(reference).sort();
  const second = Float64Array.from(current).sort();
  const n1 = first.length;
  const n2 = second.length;
  const distance = largestEcdfDistance(first, second);
  if (Math.max(n1, n2) <= KS_EXACT_MAX_SAMPLE_SIZE) {
    const exact = exactTwoSidedPValue(n1, n2, distance);
    if (exact !== undefined) {
      return { statistic: exact.statistic, pValue: exact.pValue, method: 'exact' };
    }
  }
  const larger = Math.max(n1, n2);
  const smaller = Math.min(n1, n2);
  const effectiveSize = roundHalfToEven((larger * smaller) / (larger + smaller));
  return {
    statistic: distance,
    pValue: Math.min(1, Math.max(0, kolmogorovSurvival(effectiveSize, distance))),
    method: 'asymptotic',
  };
}

/** The two-sided statistic exactly as scipy forms it: max(D⁺, D⁻) from cdf₁ − cdf₂ at every value. */
function largestEcdfDistance(first: Float64Array, second: Float64Array): number {
  const n1 = first.length;
  const n2 = second.length;
  let i = 0;
  let j = 0;
  let largest = -Infinity;
  let smallest = Infinity;
  while (i < n1 || j < n2) {
    const value = j >= n2 || (i < n1 && first[i] <= second[j]) ? first[i] : second[j];
    while (i < n1 && first[i] <= value) i++;
    while (j < n2 && second[j] <= value) j++;
    const difference = i / n1 - j / n2;
    if (difference > largest) largest = difference;
    if (difference < smallest) smallest = difference;
  }
  const below = Math.min(1, Math.max(0, -smallest));
  return below > largest ? below : largest;
}

function greatestCommonDivisor(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** scipy's `_attempt_exact_2kssamp` for the two-sided case; undefined when it would fall back. */
function exactTwoSidedPValue(
  n1: number,
  n2: number,
  distance: number,
): { statistic: number; pValue: number } | undefined {
  const g = greatestCommonDivisor(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = Math.round(distance * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pValue: 1 };
  const pValue = n1 === n2 ? probabilityOutsideSquare(n1, h) : probabilityOutsideInsideMethod(n1, n2, g, h);
  return pValue >= 0 && pValue <= 1 ? { statistic, pValue } : undefined;
}

/**
 * Pr(D_{n,n} ≥ h/n) = 2 Σₖ (−1)ᵏ⁺¹ C(2n, n − kh) / C(2n, n), evaluated Horner-style on the ratios
 * (scipy's `_compute_prob_outside_square`) to avoid the alternating sum's cancellation.
 */
function probabilityOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    p = ratio * (1 - p);
  }
  return 2 * p;
}

/**
 * Share of the lattice paths from (0, 0) to (m, n) that leave the band |x/m − y/n| < h / lcm(m, n),
 * computed column by column as 1 − (share inside), over a sliding window of one column
 * (scipy's `_compute_outer_prob_inside_method`, Viehmann's recursion).
 */
function probabilityOutsideInsideMethod(first: number, second: number, g: number, h: number): number {
  const m = Math.max(first, second);
  const n = Math.min(first, second);
  const mg = m / g;
  const ng = n / g;
  let minJ = 0;
  let maxJ = Math.min(Math.ceil(h / mg), n + 1);
  let currentLength = maxJ - minJ;
  const window = new Float64Array(Math.min(2 * maxJ + 2, n + 1)).fill(1);
  window.fill(0, minJ, maxJ);
  for (let i = 1; i <= m; i++) {
    const lastMinJ = minJ;
    const lastLength = currentLength;
    minJ = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxJ = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxJ <= minJ) return 1;
    let value = minJ === 0 ? 0 : 1;
    for (let jj = 0; jj < maxJ - minJ; jj++) {
      const j = jj + minJ;
      value = (window[jj + minJ - lastMinJ] * i + value * j) / (i + j);
      window[jj] = value;
    }
    currentLength = maxJ - minJ;
    if (lastLength > currentLength) {
      window.fill(1, maxJ - minJ, maxJ - minJ + (lastLength - currentLength));
    }
  }
  return window[maxJ - minJ - 1];
}
