import { DriftInputError } from '../errors';
import { chiSquareSurvival } from '../special-functions';
import { requireCount } from './validation';

/** The pooled two-proportion z-test of p₁ = p₂ (statsmodels' `proportions_ztest`, two-sided). */
export interface TwoProportionTest {
  /** p₁ − p₂. */
  difference: number;
  /** (p₁ − p₂) / √(p̂(1 − p̂)(1/n₁ + 1/n₂)), p̂ the pooled proportion; 0 when every trial agrees. */
  z: number;
  /** P(|Z| ≥ |z|) under p₁ = p₂. */
  pValue: number;
}

/**
 * Tests whether two independent proportions differ, with the pooled variance under the null, as
 * statsmodels' `proportions_ztest([s₁, s₂], [n₁, n₂])` does. The two-sided p-value is the χ²(1)
 * survival of z² (Z² is χ² with one degree of freedom), which keeps precision far into the tails.
 * When both samples are all successes or all failures nothing differs: z = 0, p = 1 (statsmodels
 * answers NaN there).
 * @example twoProportionZTest(60, 100, 40, 100) // { difference: 0.2, z: 2.828…, pValue: 0.00468… }
 * @throws {DriftInputError} naming the count at fault
 */
export function twoProportionZTest(
  successes1: number,
  trials1: number,
  successes2: number,
  trials2: number,
): TwoProportionTest {
  for (const [value, field] of [
    [successes1, 'successes1'],
    [trials1, 'trials1'],
    [successes2, 'successes2'],
    [trials2, 'trials2'],
  ] as const)
    requireCount(value, field);
  if (trials1 === 0 || trials2 === 0)
    throw new DriftInputError(trials1 === 0 ? 'trials1' : 'trials2', 'must be at least 1');
  if (successes1 > trials1) throw new DriftInputError('successes1', `must not exceed trials1 (${trials1})`);
  if (successes2 > trials2) throw new DriftInputError('successes2', `must not exceed trials2 (${trials2})`);
  const difference = successes1 / trials1 - successes2 / trials2;
  const pooled = (successes1 + successes2) / (trials1 + trials2);
  const variance = pooled * (1 - pooled) * (1 / trials1 + 1 / trials2);
  if (variance === 0) return { difference, z: 0, pValue: 1 };
  const z = difference / Math.sqrt(variance);
  return { difference, z, pValue: chiSquareSurvival(z * z, 1) };
}
