import { DriftInputError, requireFiniteNumbers, requireNonEmpty } from './errors';

/** The probabilities of the nine inner deciles, written as decimals so they equal numpy's literals. */
export const DECILE_PROBABILITIES: ReadonlyArray<number> = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * The q-quantile of a sample by linear interpolation between order statistics, numpy's default
 * `np.quantile(values, q)` (method `'linear'`, Hyndman & Fan type 7): with the values sorted
 * ascending and h = (n − 1)q, Q(q) = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎), evaluated from the upper
 * neighbour when the weight is ≥ ½ exactly as numpy's `_lerp` does, so results agree bit for bit.
 *
 * Reference: Hyndman R. J., Fan Y. (1996), Sample quantiles in statistical packages,
 * The American Statistician 50(4), 361–365; numpy.quantile.
 *
 * @throws {DriftInputError} when the sample is empty or non-finite, or q is outside [0, 1].
 * @example
 * quantile([1, 2, 3, 4], 0.1); // 1.3
 */
export function quantile(values: ReadonlyArray<number>, q: number): number {
  requireNonEmpty(requireFiniteNumbers(values, 'values'), 'values');
  return quantilesOfSorted(Float64Array.from(values).sort(), [q])[0];
}

/** quantile() for several probabilities over one already sorted sample (no copy, no re-sort). */
export function quantilesOfSorted(sorted: Float64Array, probabilities: ReadonlyArray<number>): number[] {
  const n = sorted.length;
  return probabilities.map((q, index) => {
    if (!(q >= 0 && q <= 1)) {
      throw new DriftInputError(`probabilities[${index}]`, `must lie in [0, 1], got ${q}`);
    }
    const virtualIndex = (n - 1) * q;
    if (virtualIndex >= n - 1) return sorted[n - 1];
    const below = Math.floor(virtualIndex);
    const weight = virtualIndex - below;
    const lower = sorted[below];
    const upper = sorted[below + 1];
    const difference = upper - lower;
    return weight >= 0.5 ? upper - difference * (1 - weight) : lower + difference * weight;
  });
}

/**
 * Inner edges of decile bins frozen at training: numpy's linear quantiles at 0.1, 0.2, …, 0.9 with
 * repeated edges removed (a value shared by many rows, e.g. tenure 0 or a capped charge, would
 * otherwise produce empty zero-width bins). Together with the implicit outer edges −∞ and +∞ they
 * define the right-closed bins (−∞, e₁], (e₁, e₂], …, (eₖ, +∞); JSON cannot hold ±Infinity, so only
 * the inner edges are stored.
 *
 * @throws {DriftInputError} when the sample is empty or holds a non-finite value.
 * @example
 * decileEdges([0, 0, 0, 0, 0, 0, 1, 2, 3, 4]); // [0, 0.39999999999999947, 1.2999999999999998, 2.2, 3.0999999999999996]
 */
export function decileEdges(values: ReadonlyArray<number>): number[] {
  requireNonEmpty(requireFiniteNumbers(values, 'values'), 'values');
  const edges = quantilesOfSorted(Float64Array.from(values).sort(), DECILE_PROBABILITIES);
  return edges.filter((edge, i) => i === 0 || edge !== edges[i - 1]);
}
