/**
 * The distribution of the two-sided one-sample Kolmogorov–Smirnov statistic Dₙ = supₜ |Fₙ(t) − F(t)|,
 * ported from scipy.stats._ksstats (scipy's `kstwo`), which follows Simard & L'Ecuyer's choice of
 * algorithm by n and n·d²: Ruben–Gambino closed forms at the ends, the Durbin matrix (as Marsaglia,
 * Tsang & Wang evaluate it), Pomeranz's recursion, the Pelz–Good asymptotic series, and the exact
 * one-sided Smirnov distribution where Pr(Dₙ ≥ d) = 2 Pr(Dₙ⁺ ≥ d).
 *
 * References:
 * - Simard R., L'Ecuyer P. (2011), Computing the Two-Sided Kolmogorov-Smirnov Distribution, JSS 39(11).
 * - Marsaglia G., Tsang W. W., Wang J. (2003), Evaluating Kolmogorov's Distribution, JSS 8(18).
 * - Pomeranz J. (1974), Algorithm 487, Communications of the ACM 17(12).
 * - Pelz W., Good I. J. (1976), JRSS B 38(2), 152–156.
 * - Birnbaum Z. W., Tingey F. H. (1951), One-sided confidence contours for probability distribution
 *   functions, Ann. Math. Statist. 22(4), 592–596.
 */
import { DriftInputError } from './errors';
import { logGamma } from './special-functions';

const SCALE_EXPONENT = 128;
const SCALE_UP = 2 ** SCALE_EXPONENT;
const SCALE_DOWN = 2 ** -SCALE_EXPONENT;
const MIN_LOG = -708;
const SQRT_TWO_PI = Math.sqrt(2 * Math.PI);
const LOG_TWO_PI = Math.log(2 * Math.PI);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
const SQRT_THREE = Math.sqrt(3);
/** Stirling coefficients B₂ⱼ/(2j)/(2j−1) for j = 8..1, highest power first (scipy's `_STIRLING_COEFFS`, as doubles). */
const STIRLING_COEFFICIENTS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417, -0.0005952380952380953,
  0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

const clipProbability = (p: number): number => Math.min(1, Math.max(0, p));

/** x · 2^exponent without overflowing the intermediate power of two. */
function scaleByPowerOfTwo(x: number, exponent: number): number {
  let result = x;
  let remaining = exponent;
  while (remaining > 1000) {
    result *= 2 ** 1000;
    remaining -= 1000;
  }
  while (remaining < -1000) {
    result *= 2 ** -1000;
    remaining += 1000;
  }
  return result * 2 ** remaining;
}

/** ln(n! / nⁿ) by Stirling's series with n·ln n removed up front (scipy's `_log_nfactorial_div_n_pow_n`). */
function logFactorialOverPower(n: number): number {
  const reciprocal = 1 / n;
  let polynomial = 0;
  for (const coefficient of STIRLING_COEFFICIENTS) {
    polynomial = polynomial * (reciprocal / n) + coefficient;
  }
  return Math.log(n) / 2 - n + LOG_TWO_PI / 2 + reciprocal * polynomial;
}

function multiplySquare(left: Float64Array, right: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const product = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < size; k++) {
      const a = left[i * size + k];
      if (a === 0) continue;
      for (let j = 0; j < size; j++) {
        product[i * size + j] += a * right[k * size + j];
      }
    }
  }
  return product;
}

/** Pr(Dₙ ≤ d) by Durbin's matrix algorithm: the k-th diagonal entry of (n!/nⁿ) Hⁿ, rescaled as it grows. */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factorial = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  const cornerCorrection = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + cornerCorrection) * factorial;
  let matrix = new Float64Array(m * m);
  for (let column = 1; column < m; column++) {
    for (let row = column - 1; row < m; row++) {
      matrix[row * m + column] = w[row - column + 1];
    }
  }
  for (let row = 0; row < m; row++) matrix[row * m] = v[row];
  for (let column = 0; column < m; column++) matrix[(m - 1) * m + column] = v[m - 1 - column];

  let power = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let remaining = n;
  let powerExponent = 0;
  let matrixExponent = 0;
  while (remaining > 0) {
    if (remaining % 2 === 1) {
      power = multiplySquare(power, matrix, m);
      powerExponent += matrixExponent;
    }
    matrix = multiplySquare(matrix, matrix, m);
    matrixExponent *= 2;
    if (Math.abs(matrix[(k - 1) * m + (k - 1)]) > SCALE_UP) {
      for (let i = 0; i < matrix.length; i++) matrix[i] /= SCALE_UP;
      matrixExponent += SCALE_EXPONENT;
    }
    remaining = Math.floor(remaining / 2);
  }
  let p = power[(k - 1) * m + (k - 1)];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < SCALE_DOWN) {
      p *= SCALE_UP;
      powerExponent -= SCALE_EXPONENT;
    }
  }
  return clipProbability(scaleByPowerOfTwo(p, powerExponent));
}

function pomeranzRowBounds(i: number, n: number, ll: number, ceilF: number, roundF: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilF - 1;
    j2 = ll + ceilF - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilF - 1;
        j2 = n + ll + ceilF - 1;
      } else {
        j1 = half - 1 - ll - roundF - 1;
        j2 = half + ll - 1 + ceilF - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundF - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(Dₙ ≤ d) by Pomeranz's recursion: rows are convolutions with (almost) Poisson probabilities. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilF = f > 0 ? 1 : 0;
  const roundF = f > 0.5 ? 1 : 0;
  const powerCount = 2 * (ll + 1);
  const gPower = new Float64Array(powerCount);
  const twoGPower = new Float64Array(powerCount);
  const oneMinusTwoGPower = new Float64Array(powerCount);
  gPower[0] = twoGPower[0] = oneMinusTwoGPower[0] = 1;
  for (let k = 1; k < powerCount; k++) {
    gPower[k] = (gPower[k - 1] * (g / n)) / k;
    twoGPower[k] = (twoGPower[k - 1] * ((2 * g) / n)) / k;
    oneMinusTwoGPower[k] = (oneMinusTwoGPower[k - 1] * ((1 - 2 * g) / n)) / k;
  }
  let previous = new Float64Array(powerCount);
  let current = new Float64Array(powerCount);
  current[0] = 1;
  let previousStart = 0;
  let currentStart = 0;
  let exponent = 0;
  let [j1, j2] = pomeranzRowBounds(0, n, ll, ceilF, roundF);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [previous, current] = [current, previous];
    [previousStart, currentStart] = [currentStart, previousStart];
    current.fill(0);
    [j1, j2] = pomeranzRowBounds(i, n, ll, ceilF, roundF);
    const powers = i === 1 || i === 2 * n + 1 ? gPower : i % 2 === 1 ? twoGPower : oneMinusTwoGPower;
    const length = j2 - k1 + 1;
    if (length > 0) {
      const offset = k1 - previousStart;
      const rowLength = Math.min(length, previous.length - offset);
      const powersLength = Math.min(length, powers.length);
      const convolutionStart = j1 - k1;
      const convolutionLength = j2 - j1 + 1;
      let largest = -Infinity;
      for (let out = 0; out < convolutionLength; out++) {
        const index = convolutionStart + out;
        let sum = 0;
        for (let a = Math.max(0, index - powersLength + 1); a <= Math.min(index, rowLength - 1); a++) {
          sum += previous[offset + a] * powers[index - a];
        }
        current[out] = sum;
        if (sum > largest) largest = sum;
      }
      for (let out = convolutionLength; out < current.length; out++) {
        if (current[out] > largest) largest = current[out];
      }
      if (largest > 0 && largest < SCALE_DOWN) {
        for (let out = 0; out < current.length; out++) current[out] *= SCALE_UP;
        exponent -= SCALE_EXPONENT;
      }
      currentStart = previousStart + j1 - k1;
    }
  }
  let answer = current[n - currentStart];
  for (let k = 1; k <= n; k++) {
    if (Math.abs(answer) > SCALE_UP) {
      answer *= SCALE_DOWN;
      exponent += SCALE_EXPONENT;
    }
    answer *= k;
  }
  return clipProbability(scaleByPowerOfTwo(answer, exponent));
}

/** Pr(Dₙ ≤ x) by the Pelz–Good series: Li-Chien/Korolyuk's expansion rewritten with Jacobi theta functions. */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qLog = -PI_SQUARED / 8 / z2;
  if (qLog < MIN_LOG) return 0;
  const q = Math.exp(qLog);
  const k1a = -z2;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * z2)) / 16;
  const k3d = (PI_SIX * (5 - 30 * z2)) / 64;
  const k3c = (PI_FOUR * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI_SQUARED * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const terms = [0, 0, 0, 0];
  const maxK = Math.ceil((16 * z) / Math.PI);
  for (let k = maxK; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qPower = q ** (8 * k);
    const coefficients = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) terms[i] = terms[i] * qPower + coefficients[i];
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) terms[i] = (terms[i] * q * SQRT_TWO_PI) / divisors[i];
  const qWhole = Math.exp(-PI_SQUARED / 2 / z2);
  let k2Extra = 0;
  let k3Extra = 0;
  const sqrt3z = SQRT_THREE * z;
  for (let k = maxK; k > 0; k--) {
    const kSquared = k ** 2;
    const qPower = qWhole ** kSquared;
    k2Extra += kSquared * qPower;
    const kPi = Math.PI * k;
    k3Extra += (sqrt3z + kPi) * (sqrt3z - kPi) * kSquared * qPower;
  }
  terms[2] += k2Extra * ((PI_SQUARED * SQRT_TWO_PI) / (-36 * z3));
  terms[3] += k3Extra * ((PI_SQUARED * SQRT_TWO_PI) / (216 * z6));
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += terms[i] / n ** (i / 2);
  return sum;
}

/**
 * Survival function of the one-sided Smirnov statistic, Pr(Dₙ⁺ ≥ x), by the Birnbaum–Tingey sum
 * x · Σⱼ₌₀^⌊n(1−x)⌋ C(n, j) (1 − x − j/n)ⁿ⁻ʲ (x + j/n)ʲ⁻¹, every term positive and summed in log space.
 *
 * @throws {DriftInputError} when n is not a positive integer or x is outside [0, 1].
 * @example
 * smirnovSurvival(10, 0.5); // 0.0038887049999999975 (scipy.special.smirnov(10, 0.5): 0.003888705)
 */
export function smirnovSurvival(n: number, x: number): number {
  if (!Number.isInteger(n) || n < 1) throw new DriftInputError('n', `must be a positive integer, got ${n}`);
  if (!(x >= 0 && x <= 1)) throw new DriftInputError('x', `must lie in [0, 1], got ${x}`);
  if (x === 0) return 1;
  if (x === 1) return 0;
  if (n === 1) return 1 - x;
  if (x >= 1 - 1 / n) return (1 - x) ** n;
  const logNFactorial = logGamma(n + 1);
  const logX = Math.log(x);
  const lastTerm = Math.floor(n * (1 - x));
  let sum = 0;
  for (let j = 0; j <= lastTerm; j++) {
    const below = (n - j) / n - x;
    if (below <= 0) continue;
    const logBinomial = logNFactorial - logGamma(j + 1) - logGamma(n - j + 1);
    const logTerm = logBinomial + (n - j) * Math.log(below) + (j - 1) * Math.log(x + j / n) + logX;
    sum += Math.exp(logTerm);
  }
  return clipProbability(sum);
}

/**
 * Survival function of the two-sided one-sample Kolmogorov–Smirnov statistic, Pr(Dₙ ≥ x), as scipy's
 * `kstwo.sf(x, n)` computes it (Simard & L'Ecuyer's algorithm selection; see this module's header).
 *
 * @throws {DriftInputError} when n is not a positive integer or x is NaN.
 * @example
 * kolmogorovSurvival(10, 0.3); // 0.27053557479999946 (scipy.stats.kstwo.sf(0.3, 10): the same)
 */
export function kolmogorovSurvival(n: number, x: number): number {
  if (!Number.isInteger(n) || n < 1) throw new DriftInputError('n', `must be a positive integer, got ${n}`);
  if (Number.isNaN(x)) throw new DriftInputError('x', 'must be a number, got NaN');
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    const cdf =
      n <= 140 ? productOfScaledRange(n, 2 * t - 1) : Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return clipProbability(1 - cdf);
  }
  if (t >= n - 1) return clipProbability(2 * (1 - x) ** n);
  if (x >= 0.5) return clipProbability(2 * smirnovSurvival(n, x));
  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clipProbability(1 - durbinMatrixCdf(n, x));
    if (nxSquared <= 4) return clipProbability(1 - pomeranzCdf(n, x));
    return clipProbability(2 * smirnovSurvival(n, x));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clipProbability(2 * smirnovSurvival(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x);
  return clipProbability(1 - clipProbability(cdf));
}

/** ∏ᵢ₌₁ⁿ (i/n)·c, the Ruben–Gambino closed form n!/nⁿ · cⁿ for small n. */
function productOfScaledRange(n: number, c: number): number {
  let product = 1;
  for (let i = 1; i <= n; i++) product *= i * (1 / n) * c;
  return product;
}
