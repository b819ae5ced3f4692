/**
 * The raw training-split columns, the input that drift reference statistics (`train_stats.json`,
 * built by `@churn/drift-stats`) are computed from. Kept here, in the shape a statistics builder
 * needs, so that the training worker joins the two libraries with one call and neither depends on
 * the other's internals.
 */
import type { ChurnDataset } from '../data/churn-dataset';

/** Raw (not imputed, not scaled) values of the training rows, per schema column. */
export interface TrainingColumns {
  rowCount: number;
  /** Numeric columns in schema order; `NaN` marks a missing value. */
  numeric: { name: string; values: Float64Array }[];
  /** Categorical columns in schema order; `null` marks a missing value. */
  categorical: { name: string; values: (string | null)[] }[];
}

/**
 * Gathers the raw values of the given rows (the training split) from a dataset.
 *
 * @example trainingColumns(dataset, split.train).numeric[0].values.length === split.train.length
 */
export function trainingColumns(dataset: ChurnDataset, rows: ArrayLike<number>): TrainingColumns {
  return {
    rowCount: rows.length,
    numeric: dataset.numeric.map(({ name, values }) => ({
      name,
      values: Float64Array.from({ length: rows.length }, (_, i) => values[rows[i]]),
    })),
    categorical: dataset.categorical.map(({ name, codes, levels }) => ({
      name,
      values: Array.from({ length: rows.length }, (_, i) => {
        const code = codes[rows[i]];
        return code < 0 ? null : levels[code];
      }),
    })),
  };
}
