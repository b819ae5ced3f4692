import { DriftInputError, requireFiniteNumbers } from './errors';

/**
 * Index of the frozen bin holding a value: the number of inner edges strictly below it, so bins are
 * right-closed, (−∞, e₁], (e₁, e₂], …, (eₖ, +∞) — numpy's `np.digitize(x, edges, right=True)`.
 * Binary search: O(log k).
 *
 * @example
 * numericBinIndex(2, [1, 2, 3]); // 1
 */
export function numericBinIndex(value: number, innerEdges: ReadonlyArray<number>): number {
  let low = 0;
  let high = innerEdges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (innerEdges[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Throws DriftInputError unless the edges are finite and strictly increasing. */
export function requireBinEdges(innerEdges: ReadonlyArray<number>, field: string): ReadonlyArray<number> {
  requireFiniteNumbers(innerEdges, field);
  for (let i = 1; i < innerEdges.length; i++) {
    if (!(innerEdges[i] > innerEdges[i - 1])) {
      throw new DriftInputError(
        `${field}[${i}]`,
        `bin edges must increase strictly, got ${innerEdges[i - 1]} then ${innerEdges[i]}`,
      );
    }
  }
  return innerEdges;
}

/**
 * Counts of values per frozen numeric bin (see numericBinIndex); the result has innerEdges.length + 1
 * entries.
 *
 * @throws {DriftInputError} when a value is not finite or the edges do not increase strictly.
 * @example
 * countNumericBins([0.5, 1, 1.5, 9], [1, 2]); // [2, 1, 1]
 */
export function countNumericBins(values: ReadonlyArray<number>, innerEdges: ReadonlyArray<number>): number[] {
  requireBinEdges(innerEdges, 'innerEdges');
  requireFiniteNumbers(values, 'values');
  const counts = new Array<number>(innerEdges.length + 1).fill(0);
  for (const value of values) counts[numericBinIndex(value, innerEdges)] += 1;
  return counts;
}

/**
 * Counts of values per frozen category level, with one last entry for "other": every value not among
 * the levels (a level unseen at training, or one folded into "other" there).
 *
 * @throws {DriftInputError} when a level is repeated.
 * @example
 * countCategoryLevels(['a', 'b', 'a', 'z'], ['a', 'b']); // [2, 1, 1]
 */
export function countCategoryLevels(values: ReadonlyArray<string>, levels: ReadonlyArray<string>): number[] {
  const positions = levelPositions(levels, 'levels');
  const counts = new Array<number>(levels.length + 1).fill(0);
  for (const value of values) counts[positions.get(value) ?? levels.length] += 1;
  return counts;
}

/** Map from level to its position; throws DriftInputError on a repeated level. */
export function levelPositions(levels: ReadonlyArray<string>, field: string): Map<string, number> {
  const positions = new Map<string, number>();
  levels.forEach((level, i) => {
    if (typeof level !== 'string') {
      throw new DriftInputError(`${field}[${i}]`, `expected a string level, got ${String(level)}`);
    }
    if (positions.has(level)) throw new DriftInputError(`${field}[${i}]`, `level "${level}" is repeated`);
    positions.set(level, i);
  });
  return positions;
}
