import { DriftInputError } from '../errors';
import { normalQuantile } from './normal-quantile';
import { requireCount, requireOpenUnitInterval } from './validation';

/** A two-sided confidence interval [lower, upper]. */
export interface Interval {
  lower: number;
  upper: number;
}

/** A confidence interval for p₁ − p₂ together with the point estimate it surrounds. */
export interface DifferenceInterval extends Interval {
  /** p₁ − p₂, each p being successes / trials. */
  difference: number;
  /** The two-sided confidence level the interval was built for, e.g. 0.95. */
  confidence: number;
}

export const DEFAULT_CONFIDENCE = 0.95;

/**
 * z = Φ⁻¹(1 − α/2) with α = 1 − confidence, taken as −Φ⁻¹(α/2) so that a confidence close to 1 does not
 * lose α in the rounding of 1 − α/2.
 */
function twoSidedCriticalValue(confidence: number): number {
  return -normalQuantile((1 - confidence) / 2);
}

/** Throws unless successes and trials are counts with trials ≥ 1 and successes ≤ trials. */
function requireProportion(successes: number, trials: number, successesField: string, trialsField: string): void {
  requireCount(successes, successesField);
  requireCount(trials, trialsField);
  if (trials === 0)
    throw new DriftInputError(trialsField, 'must be at least 1: a proportion of no trials is undefined');
  if (successes > trials) {
    throw new DriftInputError(successesField, `must not exceed ${trialsField} (${trials}), got ${successes}`);
  }
}

/** Wilson's bounds for validated counts and a critical value z (see wilsonInterval). */
function wilsonBounds(successes: number, trials: number, z: number): Interval {
  const zSquared = z * z;
  const root = z * Math.sqrt(zSquared + (4 * successes * (trials - successes)) / trials);
  const upperNumerator = 2 * successes + zSquared + root;
  return {
    lower: (2 * successes * successes) / (trials * upperNumerator),
    upper: successes === trials ? 1 : Math.min(1, upperNumerator / (2 * (trials + zSquared))),
  };
}

/**
 * Wilson score interval for a binomial proportion p̂ = x / n: the p whose score test
 * |p̂ − p| ≤ z √(p(1 − p)/n) does not reject, z = Φ⁻¹(1 − α/2), α = 1 − confidence:
 *
 *   upper = (2x + z² + z√(z² + 4x(n − x)/n)) / (2(n + z²))
 *   lower = (2x + z² − z√(…)) / (2(n + z²)) = 2x² / (n (2x + z² + z√(…)))
 *
 * The second form of the lower bound is the same number without the cancellation of the first, so
 * a lower bound near 0 (few successes in many trials) keeps its relative precision, and it is exactly
 * 0 at x = 0; the upper bound is set to exactly 1 at x = n (where √(z²) = z makes it 1), so the
 * interval always contains p̂ despite rounding. Unlike the Wald interval it stays inside [0, 1] and does not collapse at x = 0 or x = n.
 *
 * Reference: Wilson E.B. (1927), Probable inference, the law of succession, and statistical
 * inference, Journal of the American Statistical Association 22(158), 209–212;
 * statsmodels.stats.proportion.proportion_confint(method='wilson').
 *
 * @throws {DriftInputError} when successes or trials is not an integer ≥ 0, trials is 0, successes
 *   exceeds trials, or confidence is not in (0, 1).
 * @example
 * wilsonInterval(8, 10); // { lower: 0.4901624715366419, upper: 0.9433178485456246 }
 */
export function wilsonInterval(successes: number, trials: number, confidence = DEFAULT_CONFIDENCE): Interval {
  requireProportion(successes, trials, 'successes', 'trials');
  requireOpenUnitInterval(confidence, 'confidence');
  return wilsonBounds(successes, trials, twoSidedCriticalValue(confidence));
}

/**
 * Newcombe's hybrid score interval for the difference of two independent proportions
 * d = p₁ − p₂ (method 10 of Newcombe's comparison). With (l₁, u₁) and (l₂, u₂) the Wilson intervals of
 * each proportion at the same confidence:
 *
 *   lower = d − √((p₁ − l₁)² + (u₂ − p₂)²)
 *   upper = d + √((u₁ − p₁)² + (p₂ − l₂)²)
 *
 * It inherits the Wilson interval's good coverage at small counts and at proportions of 0 or 1, where
 * the Wald interval for a difference degenerates.
 *
 * Reference: Newcombe R.G. (1998), Interval estimation for the difference between independent
 * proportions: comparison of eleven methods, Statistics in Medicine 17(8), 873–890;
 * statsmodels.stats.proportion.confint_proportions_2indep(method='newcomb', compare='diff').
 *
 * @throws {DriftInputError} naming successes1, trials1, successes2, trials2 or confidence, on the
 *   same conditions as wilsonInterval.
 * @example
 * newcombeDifferenceInterval(56, 70, 48, 80);
 * // { difference: 0.20000000000000007, lower: 0.0524314724023649, upper: 0.3338726540369059, confidence: 0.95 }
 */
export function newcombeDifferenceInterval(
  successes1: number,
  trials1: number,
  successes2: number,
  trials2: number,
  confidence = DEFAULT_CONFIDENCE,
): DifferenceInterval {
  requireProportion(successes1, trials1, 'successes1', 'trials1');
  requireProportion(successes2, trials2, 'successes2', 'trials2');
  requireOpenUnitInterval(confidence, 'confidence');
  const z = twoSidedCriticalValue(confidence);
  const p1 = successes1 / trials1;
  const p2 = successes2 / trials2;
  const first = wilsonBounds(successes1, trials1, z);
  const second = wilsonBounds(successes2, trials2, z);
  const difference = p1 - p2;
  return {
    difference,
    lower: difference - Math.hypot(p1 - first.lower, second.upper - p2),
    upper: difference + Math.hypot(first.upper - p1, p2 - second.lower),
    confidence,
  };
}
