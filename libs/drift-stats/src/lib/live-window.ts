import { levelPositions, numericBinIndex, requireBinEdges } from './binning';
import { DriftInputError, requireNonNegativeNumbers } from './errors';
import { ReservoirSample, ReservoirSampleJson } from './reservoir-sample';
import { CategoricalColumnStatistics, NumericColumnStatistics, TrainingStatistics } from './training-statistics';

/**
 * One feature's values over the rows of a batch, as a scorer holds them: numbers with NaN for a
 * missing value (numeric features), or text with '' for a missing value (categorical features).
 */
export type LiveColumn = ArrayLike<number> | ReadonlyArray<string> | CodedTextColumn;

/**
 * A categorical feature's values as integer codes, as a scorer that feeds categories to its model
 * as codes already holds them: `codes[row] ≥ 0` is the category `categories[code]`; a negative code
 * means the row's value is read from `texts[row]` instead (a missing value, '', or a category
 * outside `categories`). Counting codes spares one text lookup per value. A window keeps the level
 * positions of the last `categories` list it was given, so a list passed again must be unchanged
 * (a scorer's list of its encoder's categories is).
 */
export interface CodedTextColumn {
  readonly codes: ArrayLike<number>;
  readonly categories: ReadonlyArray<string>;
  readonly texts: ReadonlyArray<string>;
}

/** A batch's columns by feature name; a feature without a column is missing in every row, names that are not features are ignored. */
export type LiveColumns = Readonly<Record<string, LiveColumn | undefined>>;

/** Default size of a live numeric sample: enough to hold a whole window up to the KS/Wasserstein switch at 1000 rows several times over. */
export const DEFAULT_WINDOW_SAMPLE_CAPACITY = 5000;

/** JSON form of a NumericFeatureWindow. */
export interface NumericFeatureWindowJson {
  kind: 'numeric';
  bin_edges: number[];
  bin_counts: number[];
  missing: number;
  sample: ReservoirSampleJson;
}

/** JSON form of a CategoricalFeatureWindow. */
export interface CategoricalFeatureWindowJson {
  kind: 'categorical';
  levels: string[];
  /** One count per level, then "other". */
  counts: number[];
  missing: number;
}

/**
 * Live values of one numeric feature in bounded memory: counts per frozen training bin, a count of
 * missing values, and a reservoir sample for KS and Wasserstein. Bin and missing counts merge exactly.
 */
export class NumericFeatureWindow {
  readonly binEdges: ReadonlyArray<number>;
  private readonly counts: number[];
  private missingCount = 0;

  /** @throws {DriftInputError} when the edges do not increase strictly or the sample settings are invalid. */
  constructor(
    binEdges: ReadonlyArray<number>,
    private readonly sampler: ReservoirSample,
  ) {
    this.binEdges = [...requireBinEdges(binEdges, 'binEdges')];
    this.counts = new Array<number>(binEdges.length + 1).fill(0);
  }

  /** An empty window over a training column's frozen bins. */
  static forReference(
    reference: Pick<NumericColumnStatistics, 'bin_edges'>,
    sampleCapacity: number = DEFAULT_WINDOW_SAMPLE_CAPACITY,
    seed = 1,
  ): NumericFeatureWindow {
    return new NumericFeatureWindow(reference.bin_edges, new ReservoirSample(sampleCapacity, seed));
  }

  /** Records one value; null or undefined counts as missing. @throws {DriftInputError} on a non-finite number. */
  add(value: number | null | undefined): void {
    if (value === null || value === undefined) {
      this.missingCount += 1;
      return;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new DriftInputError('value', `expected a finite number or null, got ${JSON.stringify(value)}`);
    }
    this.record(value);
  }

  /**
   * Records `values[start]` … `values[end − 1]` in order, exactly as that many calls to `add` would
   * (NaN is a missing value): a batch's column in one call, with nothing allocated per value.
   *
   * @throws {DriftInputError} naming the index when the range does not fit the values or a value is
   *   not a number or is infinite; nothing is recorded then.
   */
  addValues(values: ArrayLike<number>, start = 0, end = values?.length ?? 0): void {
    requireNumericValues(values, start, end, 'values');
    this.recordValues(values, start, end);
  }

  /** Records `count` missing values. @throws {DriftInputError} unless count is an integer ≥ 0. */
  addMissing(count: number): void {
    requireRowCount(count, 'count');
    this.missingCount += count;
  }

  /** Values recorded, missing ones included. */
  get size(): number {
    return this.sampler.seen + this.missingCount;
  }

  /** The loop of addValues, over values requireNumericValues has checked. */
  private recordValues(values: ArrayLike<number>, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const value = values[i];
      // NaN is the only value not equal to itself: the column's marker of a missing value.
      if (value !== value) this.missingCount += 1;
      else this.record(value);
    }
  }

  private record(value: number): void {
    this.counts[numericBinIndex(value, this.binEdges)] += 1;
    this.sampler.add(value);
  }

  /** Non-missing values recorded. */
  get valueCount(): number {
    return this.sampler.seen;
  }

  get missing(): number {
    return this.missingCount;
  }

  /** A copy of the counts per bin. */
  get binCounts(): number[] {
    return [...this.counts];
  }

  /** A copy of the sample (all values while there are no more than its capacity). */
  get sample(): number[] {
    return this.sampler.values;
  }

  /**
   * The window of both: counts add exactly (merge(a, b) counts equal those of one window fed both);
   * the sample is a uniform sample of the union (ReservoirSample.merge).
   *
   * @throws {DriftInputError} when the bins or sample capacities differ.
   */
  merge(other: NumericFeatureWindow): NumericFeatureWindow {
    if (other.binEdges.length !== this.binEdges.length || other.binEdges.some((edge, i) => edge !== this.binEdges[i])) {
      throw new DriftInputError(
        'other.binEdges',
        "differ from this window's bins; windows of different references cannot merge",
      );
    }
    const merged = new NumericFeatureWindow(this.binEdges, this.sampler.merge(other.sampler));
    this.counts.forEach((count, i) => (merged.counts[i] = count + other.counts[i]));
    merged.missingCount = this.missingCount + other.missingCount;
    return merged;
  }

  toJSON(): NumericFeatureWindowJson {
    return {
      kind: 'numeric',
      bin_edges: [...this.binEdges],
      bin_counts: [...this.counts],
      missing: this.missingCount,
      sample: this.sampler.toJSON(),
    };
  }

  /** @throws {DriftInputError} naming the field when the JSON is not a consistent window. */
  static fromJSON(json: NumericFeatureWindowJson, field = 'window'): NumericFeatureWindow {
    if (typeof json !== 'object' || json === null || json.kind !== 'numeric') {
      throw new DriftInputError(`${field}.kind`, 'expected a numeric window');
    }
    const window = new NumericFeatureWindow(json.bin_edges, ReservoirSample.fromJSON(json.sample, `${field}.sample`));
    requireCounts(json.bin_counts, window.counts.length, `${field}.bin_counts`);
    const binTotal = json.bin_counts.reduce((sum, n) => sum + n, 0);
    if (binTotal !== window.sampler.seen) {
      throw new DriftInputError(
        `${field}.bin_counts`,
        `sum to ${binTotal} but the sample has seen ${window.sampler.seen} values`,
      );
    }
    requireCounts([json.missing], 1, `${field}.missing`);
    json.bin_counts.forEach((count, i) => (window.counts[i] = count));
    window.missingCount = json.missing;
    return window;
  }
}

/**
 * Live values of one categorical feature: a count per frozen training level, one for "other"
 * (anything else), and one for missing values. Memory is bounded by the number of levels; counts merge exactly.
 */
export class CategoricalFeatureWindow {
  readonly levels: ReadonlyArray<string>;
  private readonly positions: Map<string, number>;
  private readonly counts: number[];
  private missingCount = 0;

  /** @throws {DriftInputError} when a level is repeated. */
  constructor(levels: ReadonlyArray<string>) {
    this.positions = levelPositions(levels, 'levels');
    this.levels = [...levels];
    this.counts = new Array<number>(levels.length + 1).fill(0);
  }

  /** An empty window over a training column's frozen levels. */
  static forReference(reference: Pick<CategoricalColumnStatistics, 'levels'>): CategoricalFeatureWindow {
    return new CategoricalFeatureWindow(reference.levels);
  }

  /** Records one value; null, undefined or '' counts as missing. @throws {DriftInputError} on a non-string. */
  add(value: string | null | undefined): void {
    if (value === null || value === undefined || value === '') {
      this.missingCount += 1;
      return;
    }
    if (typeof value !== 'string') {
      throw new DriftInputError('value', `expected a string or null, got ${JSON.stringify(value)}`);
    }
    this.counts[this.positions.get(value) ?? this.levels.length] += 1;
  }

  /**
   * Records `values[start]` … `values[end − 1]`, exactly as that many calls to `add` would ('' is a
   * missing value): a batch's column in one call, with nothing allocated per value.
   *
   * @throws {DriftInputError} naming the index when the range does not fit the values or a value is
   *   not a string; nothing is recorded then.
   */
  addValues(values: ReadonlyArray<string>, start = 0, end = values?.length ?? 0): void {
    requireTextValues(values, start, end, 'values');
    const other = this.levels.length;
    for (let i = start; i < end; i++) {
      const value = values[i];
      if (value === '') this.missingCount += 1;
      else this.counts[this.positions.get(value) ?? other] += 1;
    }
  }

  /**
   * Records rows `start` … `end − 1` of a coded column, exactly as `addValues` of their text would:
   * a row's code is counted through a table of level positions, kept for the column's code list.
   *
   * @throws {DriftInputError} naming the row when the range does not fit, a code is not an integer
   *   below the number of categories, or a row with a negative code has no text; nothing is recorded then.
   */
  addCodedValues(column: CodedTextColumn, start: number, end: number): void {
    requireCodedValues(column, start, end, 'column');
    const other = this.levels.length;
    const levelOfCode = this.levelsOfCodes(column.categories);
    const { codes, texts } = column;
    for (let i = start; i < end; i++) {
      const code = codes[i];
      const level = code >= 0 ? levelOfCode[code] : texts[i] === '' ? -1 : (this.positions.get(texts[i]) ?? other);
      if (level < 0) this.missingCount += 1;
      else this.counts[level] += 1;
    }
  }

  /**
   * Per code of `categories`, its level position (-1 for the missing value ''); kept for the last
   * list seen, since a scorer passes the same list with every batch.
   */
  private levelsOfCodes(categories: ReadonlyArray<string>): Int32Array {
    if (this.codeLevels?.categories !== categories) {
      const other = this.levels.length;
      this.codeLevels = {
        categories,
        levelOfCode: Int32Array.from(categories, (category) =>
          category === '' ? -1 : (this.positions.get(category) ?? other),
        ),
      };
    }
    return this.codeLevels.levelOfCode;
  }

  private codeLevels: { categories: ReadonlyArray<string>; levelOfCode: Int32Array } | undefined;

  /** Records `count` missing values. @throws {DriftInputError} unless count is an integer ≥ 0. */
  addMissing(count: number): void {
    requireRowCount(count, 'count');
    this.missingCount += count;
  }

  /** Values recorded, missing ones included. */
  get size(): number {
    return this.valueCount + this.missingCount;
  }

  /** Non-missing values recorded. */
  get valueCount(): number {
    return this.counts.reduce((sum, n) => sum + n, 0);
  }

  get missing(): number {
    return this.missingCount;
  }

  /** A copy of the counts: one per level, then "other". */
  get levelCounts(): number[] {
    return [...this.counts];
  }

  /** The window of both; every count is the sum. @throws {DriftInputError} when the levels differ. */
  merge(other: CategoricalFeatureWindow): CategoricalFeatureWindow {
    if (other.levels.length !== this.levels.length || other.levels.some((level, i) => level !== this.levels[i])) {
      throw new DriftInputError(
        'other.levels',
        "differ from this window's levels; windows of different references cannot merge",
      );
    }
    const merged = new CategoricalFeatureWindow(this.levels);
    this.counts.forEach((count, i) => (merged.counts[i] = count + other.counts[i]));
    merged.missingCount = this.missingCount + other.missingCount;
    return merged;
  }

  toJSON(): CategoricalFeatureWindowJson {
    return { kind: 'categorical', levels: [...this.levels], counts: [...this.counts], missing: this.missingCount };
  }

  /** @throws {DriftInputError} naming the field when the JSON is not a consistent window. */
  static fromJSON(json: CategoricalFeatureWindowJson, field = 'window'): CategoricalFeatureWindow {
    if (typeof json !== 'object' || json === null || json.kind !== 'categorical') {
      throw new DriftInputError(`${field}.kind`, 'expected a categorical window');
    }
    const window = new CategoricalFeatureWindow(json.levels);
    requireCounts(json.counts, window.counts.length, `${field}.counts`);
    requireCounts([json.missing], 1, `${field}.missing`);
    json.counts.forEach((count, i) => (window.counts[i] = count));
    window.missingCount = json.missing;
    return window;
  }
}

function requireCounts(counts: ReadonlyArray<number>, length: number, field: string): void {
  if (!Array.isArray(counts) || counts.length !== length) {
    throw new DriftInputError(field, `expected ${length} counts`);
  }
  requireNonNegativeNumbers(counts, field);
  counts.forEach((count, i) => {
    if (!Number.isInteger(count))
      throw new DriftInputError(`${field}[${i}]`, `expected an integer count, got ${count}`);
  });
}

function requireRowCount(count: number, field: string): void {
  if (!Number.isInteger(count) || count < 0)
    throw new DriftInputError(field, `expected an integer ≥ 0, got ${String(count)}`);
}

/** Throws DriftInputError unless `values` is array-like and start, end are integers with 0 ≤ start ≤ end ≤ its length. */
function requireRowRange(values: ArrayLike<unknown> | undefined, start: number, end: number, field: string): void {
  if (typeof values !== 'object' || values === null || typeof values.length !== 'number') {
    throw new DriftInputError(field, 'expected an array of values');
  }
  requireRowCount(start, 'start');
  requireRowCount(end, 'end');
  if (start > end || end > values.length) {
    throw new DriftInputError(field, `holds ${values.length} values; rows ${start} to ${end} do not fit`);
  }
}

/** Throws DriftInputError unless values[start..end) are numbers, each finite or NaN (missing). */
function requireNumericValues(values: ArrayLike<number>, start: number, end: number, field: string): void {
  requireRowRange(values, start, end, field);
  for (let i = start; i < end; i++) {
    const value = values[i];
    if (typeof value !== 'number' || value === Infinity || value === -Infinity) {
      throw new DriftInputError(`${field}[${i}]`, `expected a finite number or NaN (missing), got ${describe(value)}`);
    }
  }
}

/** Throws DriftInputError unless values[start..end) are strings ('' = missing). */
function requireTextValues(values: ReadonlyArray<string>, start: number, end: number, field: string): void {
  requireRowRange(values, start, end, field);
  for (let i = start; i < end; i++) {
    if (typeof values[i] !== 'string') {
      throw new DriftInputError(`${field}[${i}]`, `expected a string ('' when missing), got ${describe(values[i])}`);
    }
  }
}

/**
 * Throws DriftInputError unless column.codes[start..end) are integers below the number of
 * categories, the categories are strings, and every row with a negative code has a string in texts.
 */
function requireCodedValues(column: CodedTextColumn, start: number, end: number, field: string): void {
  if (typeof column !== 'object' || column === null)
    throw new DriftInputError(field, 'expected { codes, categories, texts }');
  requireRowRange(column.codes, start, end, `${field}.codes`);
  requireTextValues(column.categories, 0, column.categories?.length ?? 0, `${field}.categories`);
  requireRowRange(column.texts, start, end, `${field}.texts`);
  const categoryCount = column.categories.length;
  for (let i = start; i < end; i++) {
    const code = column.codes[i];
    if (!Number.isInteger(code) || code >= categoryCount) {
      throw new DriftInputError(
        `${field}.codes[${i}]`,
        `expected an integer below ${categoryCount} (negative: read texts[${i}]), got ${describe(code)}`,
      );
    }
    if (code < 0 && typeof column.texts[i] !== 'string') {
      throw new DriftInputError(
        `${field}.texts[${i}]`,
        `expected a string ('' when missing) for a row without a code, got ${describe(column.texts[i])}`,
      );
    }
  }
}

function isCodedTextColumn(column: LiveColumn): column is CodedTextColumn {
  return typeof column === 'object' && column !== null && 'codes' in column && 'categories' in column;
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

/** One window per feature, keyed by column name. */
export type FeatureWindow = NumericFeatureWindow | CategoricalFeatureWindow;

/** JSON form of a DriftWindow. */
export interface DriftWindowJson {
  features: Record<string, NumericFeatureWindowJson | CategoricalFeatureWindowJson>;
}

/** A cell of a live row: numbers for numeric features, strings for categorical ones, null when missing. */
export type LiveRow = Readonly<Record<string, number | string | null | undefined>>;

/**
 * The live window of every feature of one reference (one served model version): add rows, merge
 * replicas' windows, serialise. Memory is bounded by bins, levels and sample capacity, not by rows.
 */
export class DriftWindow {
  private constructor(readonly features: ReadonlyMap<string, FeatureWindow>) {}

  /** An empty window with the bins and levels of the training statistics. Each numeric sampler gets its own seed (seed + column index). */
  static forReference(
    reference: TrainingStatistics,
    sampleCapacity: number = DEFAULT_WINDOW_SAMPLE_CAPACITY,
    seed = 1,
  ): DriftWindow {
    const features = new Map<string, FeatureWindow>();
    Object.entries(reference.numeric).forEach(([name, column], i) => {
      features.set(name, NumericFeatureWindow.forReference(column, sampleCapacity, seed + i));
    });
    for (const [name, column] of Object.entries(reference.categorical)) {
      features.set(name, CategoricalFeatureWindow.forReference(column));
    }
    return new DriftWindow(features);
  }

  /** Rows recorded (the largest feature window; every feature sees every row). */
  get size(): number {
    let size = 0;
    for (const window of this.features.values()) size = Math.max(size, window.size);
    return size;
  }

  /**
   * Records one row; a feature absent from the row counts as missing, fields that are not features
   * are ignored.
   *
   * @throws {DriftInputError} naming the column when a value has the wrong type.
   */
  add(row: LiveRow): void {
    for (const [name, window] of this.features) {
      const value = row[name];
      try {
        if (window instanceof NumericFeatureWindow) {
          if (typeof value === 'string')
            throw new DriftInputError('value', `expected a number, got the string ${JSON.stringify(value)}`);
          window.add(value);
        } else {
          if (typeof value === 'number')
            throw new DriftInputError('value', `expected a string, got the number ${value}`);
          window.add(value);
        }
      } catch (error) {
        if (error instanceof DriftInputError) throw new DriftInputError(name, error.message);
        throw error;
      }
    }
  }

  /**
   * Records rows `start` … `end − 1` of a batch given as columns, exactly as `add` would record those
   * rows one by one (the same counts and the same samples, since each feature's values reach its
   * window in row order): each feature's kind is resolved once per call and no row object is built.
   * A feature without a column counts as missing in every row; columns that are not features are ignored.
   *
   * @throws {DriftInputError} naming the column (and row) when a column does not hold `end` values,
   *   or holds a value of the wrong type (a string for a numeric feature, an infinite number, a
   *   number for a categorical feature); every column is checked before any is recorded.
   */
  addColumns(columns: LiveColumns, start: number, end: number): void {
    if (typeof columns !== 'object' || columns === null)
      throw new DriftInputError('columns', 'expected an object of columns by feature name');
    requireRowCount(start, 'start');
    requireRowCount(end, 'end');
    if (start > end) throw new DriftInputError('end', `is ${end}, before start ${start}`);
    for (const [name, window] of this.features) {
      const column = columns[name];
      if (column === undefined) continue;
      if (window instanceof NumericFeatureWindow) {
        if (isCodedTextColumn(column))
          throw new DriftInputError(`columns.${name}`, 'is a coded text column; this feature is numeric');
        requireNumericValues(column as ArrayLike<number>, start, end, `columns.${name}`);
      } else if (isCodedTextColumn(column)) {
        requireCodedValues(column, start, end, `columns.${name}`);
      } else {
        requireTextValues(column as ReadonlyArray<string>, start, end, `columns.${name}`);
      }
    }
    for (const [name, window] of this.features) {
      const column = columns[name];
      if (column === undefined) window.addMissing(end - start);
      else if (window instanceof NumericFeatureWindow) window.addValues(column as ArrayLike<number>, start, end);
      else if (isCodedTextColumn(column)) window.addCodedValues(column, start, end);
      else window.addValues(column as ReadonlyArray<string>, start, end);
    }
  }

  /** The window of both, feature by feature. @throws {DriftInputError} when the features differ. */
  merge(other: DriftWindow): DriftWindow {
    const features = new Map<string, FeatureWindow>();
    for (const [name, window] of this.features) {
      const theirs = other.features.get(name);
      if (window instanceof NumericFeatureWindow && theirs instanceof NumericFeatureWindow) {
        features.set(name, window.merge(theirs));
      } else if (window instanceof CategoricalFeatureWindow && theirs instanceof CategoricalFeatureWindow) {
        features.set(name, window.merge(theirs));
      } else {
        throw new DriftInputError(`other.features.${name}`, 'is missing or of another kind');
      }
    }
    if (other.features.size !== this.features.size) {
      throw new DriftInputError(
        'other.features',
        `has ${other.features.size} features, this window has ${this.features.size}`,
      );
    }
    return new DriftWindow(features);
  }

  toJSON(): DriftWindowJson {
    const features: DriftWindowJson['features'] = {};
    for (const [name, window] of this.features) features[name] = window.toJSON();
    return { features };
  }

  /** @throws {DriftInputError} naming the field when the JSON is not a valid window. */
  static fromJSON(json: DriftWindowJson): DriftWindow {
    if (typeof json !== 'object' || json === null || typeof json.features !== 'object' || json.features === null) {
      throw new DriftInputError('features', 'expected an object');
    }
    const features = new Map<string, FeatureWindow>();
    for (const [name, feature] of Object.entries(json.features)) {
      const field = `features.${name}`;
      features.set(
        name,
        feature?.kind === 'numeric'
          ? NumericFeatureWindow.fromJSON(feature, field)
          : CategoricalFeatureWindow.fromJSON(feature as CategoricalFeatureWindowJson, field),
      );
    }
    return new DriftWindow(features);
  }
}
