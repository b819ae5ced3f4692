import { DriftInputError } from './errors';

/** Bernoulli-number coefficients B₂ₖ / (2k(2k−1)) of Stirling's series, k = 1..8. */
const STIRLING_COEFFICIENTS = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);
/** Below this argument the recurrence Γ(z+1) = zΓ(z) shifts z up before Stirling's series is used. */
const STIRLING_MINIMUM_ARGUMENT = 10;

/**
 * Natural logarithm of the gamma function, ln Γ(z), for z > 0.
 *
 * Stirling's series ln Γ(z) ≈ (z − ½) ln z − z + ½ ln 2π + Σₖ B₂ₖ / (2k(2k−1) z²ᵏ⁻¹) with eight terms,
 * which is accurate to about 1e-17 relative for z ≥ 10; smaller arguments are shifted up with
 * ln Γ(z) = ln Γ(z + m) − ln(z (z+1) … (z+m−1)).
 *
 * Reference: Abramowitz & Stegun, Handbook of Mathematical Functions, 6.1.40.
 *
 * @throws {DriftInputError} when z is not a finite number > 0.
 * @example
 * logGamma(5); // 3.178053830347947 (ln 24 = 3.1780538303479458)
 */
export function logGamma(z: number): number {
  if (!Number.isFinite(z) || z <= 0) {
    throw new DriftInputError('z', `logGamma needs a finite z > 0, got ${z}`);
  }
  let shift = 0;
  let product = 1;
  let shifted = z;
  while (shifted < STIRLING_MINIMUM_ARGUMENT) {
    product *= shifted;
    shifted += 1;
    shift += 1;
  }
  const inverse = 1 / shifted;
  const inverseSquared = inverse * inverse;
  let series = 0;
  for (let k = STIRLING_COEFFICIENTS.length - 1; k >= 0; k--) {
    series = series * inverseSquared + STIRLING_COEFFICIENTS[k];
  }
  const stirling = (shifted - 0.5) * Math.log(shifted) - shifted + HALF_LOG_TWO_PI + series * inverse;
  return shift === 0 ? stirling : stirling - Math.log(product);
}

const GAMMA_RELATIVE_TOLERANCE = 1e-16;
/** Two units in the last place of 1: a continued-fraction step closer to 1 than this cannot be told from 1. */
const CONTINUED_FRACTION_TOLERANCE = 4.5e-16;
const GAMMA_MAX_ITERATIONS = 10_000;
/** Keeps Lentz's continued fraction away from division by zero (Numerical Recipes' FPMIN). */
const TINY = 1e-300;

/**
 * Regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a) = 1 − P(a, x), for a > 0, x ≥ 0.
 *
 * As Numerical Recipes' `gammq`: for x < a + 1 the series
 * P(a, x) = e⁻ˣ xᵃ / Γ(a) · Σₙ xⁿ / (a (a+1) … (a+n)) converges fast and Q = 1 − P (P is then at most
 * about ½, so the subtraction loses nothing); otherwise Q comes directly from Legendre's continued
 * fraction Q(a, x) = e⁻ˣ xᵃ / Γ(a) · 1/(x + 1 − a − 1·(1 − a)/(x + 3 − a − 2·(2 − a)/(x + 5 − a − …))),
 * evaluated with the modified Lentz method, which keeps full relative accuracy deep in the tail.
 *
 * Reference: Press, Teukolsky, Vetterling & Flannery, Numerical Recipes (3rd ed.), §6.2.
 *
 * @throws {DriftInputError} when a ≤ 0, x < 0, either is not finite, or the expansion fails to converge.
 * @example
 * regularizedUpperGamma(1, 2); // 0.13533528323661245 (e⁻² = 0.1353352832366127)
 */
export function regularizedUpperGamma(a: number, x: number): number {
  if (!Number.isFinite(a) || a <= 0) {
    throw new DriftInputError('a', `regularizedUpperGamma needs a finite a > 0, got ${a}`);
  }
  if (Number.isNaN(x) || x < 0) {
    throw new DriftInputError('x', `regularizedUpperGamma needs x ≥ 0, got ${x}`);
  }
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  const logPrefactor = -x + a * Math.log(x) - logGamma(a);
  return x < a + 1 ? 1 - lowerGammaSeries(a, x, logPrefactor) : upperGammaContinuedFraction(a, x, logPrefactor);
}

function lowerGammaSeries(a: number, x: number, logPrefactor: number): number {
  let denominator = a;
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n <= GAMMA_MAX_ITERATIONS; n++) {
    denominator += 1;
    term *= x / denominator;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * GAMMA_RELATIVE_TOLERANCE) {
      return sum * Math.exp(logPrefactor);
    }
  }
  throw new DriftInputError('a', `incomplete gamma series did not converge for a=${a}, x=${x}`);
}

function upperGammaContinuedFraction(a: number, x: number, logPrefactor: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let fraction = d;
  for (let i = 1; i <= GAMMA_MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    fraction *= step;
    if (Math.abs(step - 1) < CONTINUED_FRACTION_TOLERANCE) {
      return Math.exp(logPrefactor) * fraction;
    }
  }
  throw new DriftInputError('a', `incomplete gamma continued fraction did not converge for a=${a}, x=${x}`);
}

/**
 * Survival function of the chi-square distribution with k degrees of freedom:
 * Pr(X ≥ x) = Q(k/2, x/2), the p-value of a chi-square statistic x.
 *
 * Reference: Abramowitz & Stegun 26.4.19; Numerical Recipes (3rd ed.) §6.14.
 *
 * @throws {DriftInputError} when k is not a finite number > 0 or x is negative or NaN.
 * @example
 * chiSquareSurvival(2, 2); // 0.36787944117144333 (e⁻¹ = 0.36787944117144233)
 */
export function chiSquareSurvival(x: number, degreesOfFreedom: number): number {
  if (!Number.isFinite(degreesOfFreedom) || degreesOfFreedom <= 0) {
    throw new DriftInputError('degreesOfFreedom', `must be a finite number > 0, got ${degreesOfFreedom}`);
  }
  if (Number.isNaN(x) || x < 0) {
    throw new DriftInputError('x', `chi-square statistic must be ≥ 0, got ${x}`);
  }
  return regularizedUpperGamma(degreesOfFreedom / 2, x / 2);
}
