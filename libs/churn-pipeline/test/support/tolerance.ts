/**
 * Comparison helpers for numeric tests: every mismatch is described with actual, expected,
 * difference and tolerance, and a test asserts that the list of mismatches is empty, so a failure
 * prints all of them at once.
 */

/** A description of `actual` vs `expected` when they differ by more than `tolerance`, else null. */
export function mismatch(what: string, actual: number, expected: number, tolerance: number): string | null {
  const difference = Math.abs(actual - expected);
  return difference <= tolerance
    ? null
    : `${what}: actual ${actual}, expected ${expected}, difference ${difference}, tolerance ${tolerance}`;
}

/** Mismatches between two vectors, element by element (and a length mismatch). */
export function vectorMismatches(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
): string[] {
  if (actual.length !== expected.length) {
    return [`${what}: actual length ${actual.length}, expected length ${expected.length}`];
  }
  const found: string[] = [];
  for (let i = 0; i < actual.length; i += 1) {
    const problem = mismatch(`${what}[${i}]`, actual[i], expected[i], tolerance);
    if (problem !== null) found.push(problem);
  }
  return found;
}

/** The largest absolute element-wise difference, for reporting how close a match really is. */
export function largestDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < Math.min(actual.length, expected.length); i += 1) {
    largest = Math.max(largest, Math.abs(actual[i] - expected[i]));
  }
  return largest;
}
