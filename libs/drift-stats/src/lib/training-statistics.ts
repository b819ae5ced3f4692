import { countNumericBins, levelPositions, requireBinEdges } from './binning';
import { mean, populationStandardDeviation } from './descriptive';
import { DriftInputError, requireFiniteNumbers, requireNonNegativeNumbers } from './errors';
import { decileEdges } from './quantiles';
import { ReservoirSample } from './reservoir-sample';

/** What training records about one numeric column (non-missing values only, except `missing_share`). */
export interface NumericColumnStatistics {
  /** Rows with a value. */
  count: number;
  /** Share of all rows where the value was missing (null). */
  missing_share: number;
  mean: number;
  /** Population standard deviation (ddof = 0), the normaliser of the Wasserstein score. */
  std: number;
  min: number;
  max: number;
  /**
   * Inner decile edges, strictly increasing (see decileEdges); bins are (−∞, e₁], …, (eₖ, +∞). The
   * outer ±∞ edges are implicit because JSON cannot hold Infinity.
   */
  bin_edges: number[];
  /** Training rows per bin; bin_edges.length + 1 entries summing to `count`. */
  bin_counts: number[];
  /** A uniform random sample of the values (reservoir sampling, seeded), the KS / Wasserstein reference. */
  sample: number[];
}

/** What training records about one categorical column. */
export interface CategoricalColumnStatistics {
  /** Rows with a value. */
  count: number;
  /** Share of all rows where the value was missing (null or empty). */
  missing_share: number;
  /** Frozen levels, most frequent first (ties by code-point order). */
  levels: string[];
  /** Training rows per level, aligned with `levels`. Relative frequencies are level_counts[i] / count. */
  level_counts: number[];
  /** Training rows whose level was folded into "other" because there were more than `maxLevels`. */
  other_count: number;
}

/** The reference for drift detection, written by training as `train_stats.json`. */
export interface TrainingStatistics {
  format_version: 1;
  /** Rows the statistics were computed from. */
  row_count: number;
  numeric: Record<string, NumericColumnStatistics>;
  categorical: Record<string, CategoricalColumnStatistics>;
}

/** Which columns are numeric and which categorical (the relevant part of a feature schema). */
export interface StatisticsColumns {
  numeric: ReadonlyArray<string>;
  categorical: ReadonlyArray<string>;
}

/** Column name to its values: numbers (null or undefined = missing) or strings (null, undefined or '' = missing). */
export type TrainingColumns = Readonly<Record<string, ReadonlyArray<number | string | null | undefined>>>;

export interface TrainingStatisticsOptions {
  /** Size of each numeric column's reference sample. Default 5000. */
  sampleSize?: number;
  /** Seed of the sampler, so the same data gives the same train_stats.json. Default 42. */
  seed?: number;
  /** Categorical levels kept by name; rarer ones are counted as "other". Default 50. */
  maxLevels?: number;
}

export const TRAINING_STATISTICS_DEFAULTS: Required<TrainingStatisticsOptions> = {
  sampleSize: 5000,
  seed: 42,
  maxLevels: 50,
};

/**
 * Computes the training statistics of the given columns: for each numeric column its decile bins
 * (numpy linear quantiles, ties deduplicated) with counts, mean, population std, min, max, missing
 * share and a seeded reservoir sample; for each categorical column its level counts (the `maxLevels`
 * most frequent levels by name, the rest as "other") and missing share. Inputs are not modified.
 *
 * @throws {DriftInputError} naming the column (and row) when a column is absent, columns differ in
 *   length, a numeric cell is not a finite number or null, a categorical cell is not a string or null,
 *   a numeric column has no values at all, or an option is out of range.
 * @example
 * buildTrainingStatistics({ tenure: [1, 2, null, 4], contract: ['a', 'b', 'a', null] },
 *   { numeric: ['tenure'], categorical: ['contract'] }).categorical.contract;
 * // { count: 3, missing_share: 0.25, levels: ['a', 'b'], level_counts: [2, 1], other_count: 0 }
 */
export function buildTrainingStatistics(
  columns: TrainingColumns,
  schema: StatisticsColumns,
  options: TrainingStatisticsOptions = {},
): TrainingStatistics {
  const settings = { ...TRAINING_STATISTICS_DEFAULTS, ...options };
  if (!Number.isInteger(settings.maxLevels) || settings.maxLevels < 1) {
    throw new DriftInputError('options.maxLevels', `must be a positive integer, got ${settings.maxLevels}`);
  }
  const names = [...schema.numeric, ...schema.categorical];
  if (names.length === 0) throw new DriftInputError('schema', 'lists no columns');
  for (const name of names) {
    if (!Array.isArray(columns[name])) throw new DriftInputError(`columns.${name}`, 'is missing');
  }
  const rowCount = columns[names[0]].length;
  for (const name of names) {
    if (columns[name].length !== rowCount) {
      throw new DriftInputError(
        `columns.${name}`,
        `has ${columns[name].length} rows but columns.${names[0]} has ${rowCount}`,
      );
    }
  }
  if (rowCount === 0) throw new DriftInputError('columns', 'hold no rows');
  const numeric: Record<string, NumericColumnStatistics> = {};
  for (const name of schema.numeric) {
    numeric[name] = numericColumnStatistics(name, columns[name], settings);
  }
  const categorical: Record<string, CategoricalColumnStatistics> = {};
  for (const name of schema.categorical) {
    categorical[name] = categoricalColumnStatistics(name, columns[name], settings.maxLevels);
  }
  return { format_version: 1, row_count: rowCount, numeric, categorical };
}

function numericColumnStatistics(
  name: string,
  cells: ReadonlyArray<number | string | null | undefined>,
  settings: Required<TrainingStatisticsOptions>,
): NumericColumnStatistics {
  const values: number[] = [];
  const sample = new ReservoirSample(settings.sampleSize, settings.seed);
  cells.forEach((cell, row) => {
    if (cell === null || cell === undefined) return;
    if (typeof cell !== 'number' || !Number.isFinite(cell)) {
      throw new DriftInputError(
        `columns.${name}[${row}]`,
        `expected a finite number or null, got ${JSON.stringify(cell)}`,
      );
    }
    values.push(cell);
    sample.add(cell);
  });
  if (values.length === 0) throw new DriftInputError(`columns.${name}`, 'has no values, only missing ones');
  const edges = decileEdges(values);
  return {
    count: values.length,
    missing_share: (cells.length - values.length) / cells.length,
    mean: mean(values),
    std: populationStandardDeviation(values),
    min: values.reduce((a, b) => Math.min(a, b)),
    max: values.reduce((a, b) => Math.max(a, b)),
    bin_edges: edges,
    bin_counts: countNumericBins(values, edges),
    sample: sample.values,
  };
}

function categoricalColumnStatistics(
  name: string,
  cells: ReadonlyArray<number | string | null | undefined>,
  maxLevels: number,
): CategoricalColumnStatistics {
  const counts = new Map<string, number>();
  let count = 0;
  cells.forEach((cell, row) => {
    if (cell === null || cell === undefined || cell === '') return;
    if (typeof cell !== 'string') {
      throw new DriftInputError(`columns.${name}[${row}]`, `expected a string or null, got ${JSON.stringify(cell)}`);
    }
    counts.set(cell, (counts.get(cell) ?? 0) + 1);
    count += 1;
  });
  const ranked = [...counts.entries()].sort(
    ([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0),
  );
  const kept = ranked.slice(0, maxLevels);
  const levelCountsTotal = kept.reduce((sum, [, n]) => sum + n, 0);
  return {
    count,
    missing_share: (cells.length - count) / cells.length,
    levels: kept.map(([level]) => level),
    level_counts: kept.map(([, n]) => n),
    other_count: count - levelCountsTotal,
  };
}

/**
 * Checks that parsed JSON (e.g. a downloaded train_stats.json) has the TrainingStatistics shape and
 * consistent counts, and returns it typed. Nothing is copied or changed.
 *
 * @throws {DriftInputError} naming the first offending field, e.g. `numeric.tenure.bin_counts`.
 */
export function parseTrainingStatistics(json: unknown): TrainingStatistics {
  const root = requireObject(json, 'train_stats');
  if (root.format_version !== 1) {
    throw new DriftInputError('format_version', `expected 1, got ${JSON.stringify(root.format_version)}`);
  }
  requireCount(root.row_count, 'row_count');
  const numeric = requireObject(root.numeric, 'numeric');
  for (const [name, raw] of Object.entries(numeric)) {
    const field = `numeric.${name}`;
    const column = requireObject(raw, field);
    requireCount(column.count, `${field}.count`);
    for (const key of ['missing_share', 'mean', 'std', 'min', 'max']) {
      requireFiniteNumbers([column[key] as number], `${field}.${key}`);
    }
    const edges = requireBinEdges(
      requireArray(column.bin_edges, `${field}.bin_edges`) as number[],
      `${field}.bin_edges`,
    );
    const binCounts = requireNonNegativeNumbers(
      requireArray(column.bin_counts, `${field}.bin_counts`) as number[],
      `${field}.bin_counts`,
    );
    if (binCounts.length !== edges.length + 1) {
      throw new DriftInputError(
        `${field}.bin_counts`,
        `has ${binCounts.length} entries, expected bin_edges.length + 1 = ${edges.length + 1}`,
      );
    }
    requireFiniteNumbers(requireArray(column.sample, `${field}.sample`) as number[], `${field}.sample`);
  }
  const categorical = requireObject(root.categorical, 'categorical');
  for (const [name, raw] of Object.entries(categorical)) {
    const field = `categorical.${name}`;
    const column = requireObject(raw, field);
    requireCount(column.count, `${field}.count`);
    requireFiniteNumbers([column.missing_share as number], `${field}.missing_share`);
    const levels = requireArray(column.levels, `${field}.levels`) as string[];
    levelPositions(levels, `${field}.levels`);
    const levelCounts = requireNonNegativeNumbers(
      requireArray(column.level_counts, `${field}.level_counts`) as number[],
      `${field}.level_counts`,
    );
    if (levelCounts.length !== levels.length) {
      throw new DriftInputError(
        `${field}.level_counts`,
        `has ${levelCounts.length} entries for ${levels.length} levels`,
      );
    }
    requireCount(column.other_count, `${field}.other_count`);
  }
  return json as TrainingStatistics;
}

function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DriftInputError(field, 'expected an object');
  }
  return value as Record<string, unknown>;
}

function requireArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new DriftInputError(field, 'expected an array');
  return value;
}

function requireCount(value: unknown, field: string): void {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new DriftInputError(field, `expected an integer ≥ 0, got ${JSON.stringify(value)}`);
  }
}

/** Category counts of a categorical column's reference: one per level, then "other". */
export function referenceCategoryCounts(column: CategoricalColumnStatistics): number[] {
  return [...column.level_counts, column.other_count];
}
