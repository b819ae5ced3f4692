/**
 * Preprocessing learned on the training rows only, as scikit-learn's
 * `ColumnTransformer([('num', Pipeline([SimpleImputer('median'), StandardScaler()]), numeric),
 *                     ('cat', OneHotEncoder(handle_unknown='ignore'), categorical)])`,
 * and the dense design matrix it produces.
 */
import type { ChurnDataset } from '../data/churn-dataset';
import { DatasetError } from '../errors';
import type { CategoricalColumnTransform, NumericColumnTransform } from '../pipeline-contract';

/** The learned preprocessing: one transform per numeric and per categorical column, in schema order. */
export interface FittedPreprocessing {
  numeric: NumericColumnTransform[];
  categorical: CategoricalColumnTransform[];
}

/** Rows × features, row-major: `values[row * featureCount + feature]`. */
export interface DesignMatrix {
  values: Float64Array;
  rowCount: number;
  featureCount: number;
}

/**
 * Median of the present (non-NaN) values, averaging the two middle values for an even count (as
 * `numpy.nanmedian`, which `SimpleImputer(strategy='median')` uses).
 *
 * @returns the median, or `undefined` when no value is present.
 * @example medianOfPresent(Float64Array.of(3, NaN, 1, 2, 10), [0, 1, 2, 3, 4]) // 2.5
 */
export function medianOfPresent(values: Float64Array, rows: ArrayLike<number>): number | undefined {
  const present = new Float64Array(rows.length);
  let count = 0;
  for (let i = 0; i < rows.length; i += 1) {
    const value = values[rows[i]];
    if (!Number.isNaN(value)) present[count++] = value;
  }
  if (count === 0) return undefined;
  const sorted = present.subarray(0, count).sort();
  const middle = count >> 1;
  return count % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Learns median imputation then standardisation for one numeric column on the given rows: the
 * median of present values; the mean and the population standard deviation (divisor n, as
 * `StandardScaler`) of the imputed column, two-pass for accuracy; a constant column gets scale 1
 * (scikit-learn's `_handle_zeros_in_scale`), so it standardises to 0 instead of dividing by zero.
 *
 * @throws DatasetError naming the column when it has no value at all in these rows.
 * @example fitNumericTransform('x', Float64Array.of(1, NaN, 3), [0, 1, 2])
 *   // { name: 'x', median: 2, mean: 2, scale: 0.816496580927726 }
 */
export function fitNumericTransform(
  name: string,
  values: Float64Array,
  rows: ArrayLike<number>,
): NumericColumnTransform {
  const median = medianOfPresent(values, rows);
  if (median === undefined) {
    throw new DatasetError('every value is missing in the training rows, so there is no median to impute', {
      column: name,
    });
  }
  const imputed = (row: number): number => (Number.isNaN(values[row]) ? median : values[row]);
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rows.length; i += 1) {
    const value = imputed(rows[i]);
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const mean = sum / rows.length;
  let squares = 0;
  for (let i = 0; i < rows.length; i += 1) {
    const deviation = imputed(rows[i]) - mean;
    squares += deviation * deviation;
  }
  const std = Math.sqrt(squares / rows.length);
  return { name, median, mean, scale: min === max || std === 0 ? 1 : std };
}

/**
 * Learns the levels of one categorical column on the given rows: the distinct present values,
 * sorted by UTF-16 code unit (JavaScript's default string order, which matches scikit-learn's
 * `np.unique` order for the text found in practice). Missing values are not a level.
 */
export function fitCategoricalTransform(
  name: string,
  codes: Int32Array,
  levels: readonly string[],
  rows: ArrayLike<number>,
): CategoricalColumnTransform {
  const seen = new Uint8Array(levels.length);
  for (let i = 0; i < rows.length; i += 1) {
    const code = codes[rows[i]];
    if (code >= 0) seen[code] = 1;
  }
  const categories = levels.filter((_, code) => seen[code] === 1).sort();
  return { name, categories };
}

/**
 * Learns every column's transform on the training rows of a dataset.
 *
 * @throws DatasetError when a numeric column has no value in the training rows.
 */
export function fitPreprocessing(dataset: ChurnDataset, trainRows: ArrayLike<number>): FittedPreprocessing {
  return {
    numeric: dataset.numeric.map((column) => fitNumericTransform(column.name, column.values, trainRows)),
    categorical: dataset.categorical.map((column) =>
      fitCategoricalTransform(column.name, column.codes, column.levels, trainRows),
    ),
  };
}

/** Number of model features: one per numeric column plus one per learned category. */
export function featureCount(preprocessing: FittedPreprocessing): number {
  return preprocessing.numeric.length + preprocessing.categorical.reduce((n, c) => n + c.categories.length, 0);
}

/**
 * Feature names in feature order, as scikit-learn's `get_feature_names_out()` spells them:
 * `num__tenure`, …, `cat__Contract_One year`, ….
 */
export function featureNames(preprocessing: FittedPreprocessing): string[] {
  return [
    ...preprocessing.numeric.map((t) => `num__${t.name}`),
    ...preprocessing.categorical.flatMap((t) => t.categories.map((category) => `cat__${t.name}_${category}`)),
  ];
}

/**
 * The design matrix of the given rows: standardised numeric columns, then one-hot blocks; a value
 * missing or unseen in training leaves its block all zeros.
 *
 * @throws DatasetError when the preprocessing does not belong to this dataset's columns.
 */
export function buildDesignMatrix(
  dataset: ChurnDataset,
  preprocessing: FittedPreprocessing,
  rows: ArrayLike<number>,
): DesignMatrix {
  const width = featureCount(preprocessing);
  const values = new Float64Array(rows.length * width);
  preprocessing.numeric.forEach((transform, feature) => {
    const column = dataset.numeric.find((c) => c.name === transform.name);
    if (column === undefined)
      throw new DatasetError('the dataset has no such numeric column', { column: transform.name });
    writeStandardised(values, width, feature, column.values, rows, transform);
  });
  let blockStart = preprocessing.numeric.length;
  for (const transform of preprocessing.categorical) {
    const column = dataset.categorical.find((c) => c.name === transform.name);
    if (column === undefined)
      throw new DatasetError('the dataset has no such categorical column', { column: transform.name });
    const featureOfCode = featureOffsetsByCode(column.levels, transform.categories, blockStart);
    writeOneHot(values, width, column.codes, rows, featureOfCode);
    blockStart += transform.categories.length;
  }
  return { values, rowCount: rows.length, featureCount: width };
}

/*
 * The column loops of buildDesignMatrix are functions of their own: V8 optimises a long loop while it
 * runs, and code optimised inside one function's first loop is thrown away when it reaches a later
 * loop that has not run yet, so in one function each loop of a single call would be optimised anew.
 */

/** Writes one numeric column's imputed, standardised values into its feature of each design row. */
function writeStandardised(
  values: Float64Array,
  width: number,
  feature: number,
  source: Float64Array,
  rows: ArrayLike<number>,
  transform: NumericColumnTransform,
): void {
  const { median, mean, scale } = transform;
  for (let i = 0; i < rows.length; i += 1) {
    const raw = source[rows[i]];
    values[i * width + feature] = ((Number.isNaN(raw) ? median : raw) - mean) / scale;
  }
}

/** Sets each design row's indicator of its category (none when missing or unseen in training). */
function writeOneHot(
  values: Float64Array,
  width: number,
  codes: Int32Array,
  rows: ArrayLike<number>,
  featureOfCode: Int32Array,
): void {
  for (let i = 0; i < rows.length; i += 1) {
    const code = codes[rows[i]];
    const feature = code < 0 ? -1 : featureOfCode[code];
    if (feature >= 0) values[i * width + feature] = 1;
  }
}

/** For each level code of a column, the feature index of its one-hot indicator, or -1 when unseen. */
function featureOffsetsByCode(
  levels: readonly string[],
  categories: readonly string[],
  blockStart: number,
): Int32Array {
  const position = new Map(categories.map((category, index) => [category, blockStart + index]));
  return Int32Array.from(levels, (level) => position.get(level) ?? -1);
}
