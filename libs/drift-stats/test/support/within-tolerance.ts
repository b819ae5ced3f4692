/** How far an actual value may be from the reference: |actual − expected| ≤ absolute + relative·|expected|. */
export interface Tolerance {
  relative?: number;
  absolute?: number;
}

/**
 * Fails with actual, expected, difference and tolerance when the value is outside the tolerance
 * (two infinities of the same sign are equal; NaN never passes).
 */
export function expectWithin(actual: number, expected: number, tolerance: Tolerance, label: string): void {
  const relative = tolerance.relative ?? 0;
  const absolute = tolerance.absolute ?? 0;
  const difference = actual === expected ? 0 : Math.abs(actual - expected);
  const allowed = absolute + relative * Math.abs(expected);
  if (!(difference <= allowed)) {
    throw new Error(
      `${label}: actual ${actual}, expected ${expected}, difference ${difference}, ` +
        `tolerance ${allowed} (relative ${relative}, absolute ${absolute})`,
    );
  }
}

/** expectWithin for arrays of equal length, element by element. */
export function expectAllWithin(
  actual: ReadonlyArray<number>,
  expected: ReadonlyArray<number>,
  tolerance: Tolerance,
  label: string,
): void {
  if (actual.length !== expected.length) {
    throw new Error(
      `${label}: actual has ${actual.length} entries, expected ${expected.length} (${JSON.stringify(actual)} vs ${JSON.stringify(expected)})`,
    );
  }
  actual.forEach((value, i) => expectWithin(value, expected[i], tolerance, `${label}[${i}]`));
}
