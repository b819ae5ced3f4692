/**
 * Model inputs as drift-window values. The drift reference decides each feature's kind: a numeric
 * feature takes numbers (NaN = missing), a categorical one takes text ('' = missing) and numbers as
 * their decimal text, as the wiring table says categorical columns accept them.
 */
import { parseNumericText } from '@churn/churn-pipeline';
import type { CodedTextColumn, LiveColumn, LiveColumns, TrainingStatistics } from '@churn/drift-stats';

import { joinedCodes, joinedColumn, type ColumnValues, type FeatureBatch } from '../model/feature-batch';
import type { RollingDriftWindow } from './rolling-drift-window';

/** A cell as a numeric feature's window takes it; null when missing (NaN, an infinity from float32 overflow, blank or non-numeric text). */
export function liveNumber(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  return parseNumericText(value) ?? null;
}

/** A cell as a categorical feature's window takes it; null when missing. */
export function liveText(value: number | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  return value === '' ? null : value;
}

/** A cell as the drift window takes it for `feature` of `reference`; null when missing. */
export function liveCell(
  reference: TrainingStatistics,
  feature: string,
  value: number | string | null | undefined,
): number | string | null {
  return reference.numeric[feature] !== undefined ? liveNumber(value) : liveText(value);
}

/** A feature of the reference, where the batches hold it and how. */
interface PlannedFeature {
  name: string;
  /** Its column in the batches. */
  index: number;
  numeric: boolean;
  /** For a column fed as category codes, the texts of its codes. */
  categories: readonly string[] | undefined;
}

/**
 * How a version's scored batches become drift-window columns (`DriftWindow.addColumns`), decided
 * once per version: which of its columns (named by `columnNames`, the batches' column order) are
 * features of `reference`, of which kind, and which are fed to the model as category codes (their
 * texts named by `codeTexts`, the builder's). Columns that are not features are left out.
 */
export class LiveColumnPlan {
  private readonly features: PlannedFeature[] = [];

  constructor(
    reference: TrainingStatistics,
    columnNames: readonly string[],
    codeTexts: readonly (readonly string[] | undefined)[] = [],
  ) {
    columnNames.forEach((name, index) => {
      if (reference.numeric[name] !== undefined)
        this.features.push({ name, index, numeric: true, categories: undefined });
      else if (reference.categorical[name] !== undefined)
        this.features.push({ name, index, numeric: false, categories: codeTexts[index] });
    });
  }

  /** A staging area of `capacity` rows for this plan's features (see {@link StagedColumns}). */
  stagingArea(capacity: number): StagedColumns {
    return new StagedColumns(this.features, capacity);
  }

  /**
   * Scored batches' columns, joined in order, as the window takes them (the monitor passes one large
   * batch at a time; smaller ones are staged). What already holds what the window takes is passed on
   * as it is, or joined (numbers for numeric features; text for categorical ones, or, for a column
   * fed as codes, the codes with the text of only the rows without one, which is all the window
   * reads); a column of the other kind, or a number column holding an infinity, is converted cell by
   * cell with liveNumber/liveText, the same rules as `liveCell`.
   */
  columnsOf(batches: readonly FeatureBatch[]): LiveColumns {
    let rows = 0;
    for (const batch of batches) rows += batch.rowCount;
    const columns: Record<string, LiveColumn> = {};
    for (const { name, index, numeric, categories } of this.features) {
      columns[name] = numeric
        ? numericColumn(joinedColumn(batches, index, rows))
        : categoricalColumn(batches, index, rows, categories);
    }
    return columns;
  }
}

function numericColumn(values: ColumnValues): ArrayLike<number> {
  if (!Array.isArray(values) && !holdsInfinity(values)) return values;
  return Float64Array.from(values as ArrayLike<number | string>, (value) => liveNumber(value) ?? Number.NaN);
}

/** Whether a float column holds an infinity (a number beyond float32's range overflows to one), which the window would refuse and liveNumber counts as missing. */
function holdsInfinity(values: Float32Array | Float64Array): boolean {
  for (let row = 0; row < values.length; row++) if (values[row] === Infinity || values[row] === -Infinity) return true;
  return false;
}

function categoricalColumn(
  batches: readonly FeatureBatch[],
  index: number,
  rows: number,
  categories: readonly string[] | undefined,
): LiveColumn {
  const first = batches[0].columns[index];
  if (!Array.isArray(first))
    return Array.from(joinedColumn(batches, index, rows) as ArrayLike<number>, (value) => liveText(value) ?? '');
  if (categories === undefined || batches[0].categoryCodes[index] === undefined)
    return joinedColumn(batches, index, rows) as string[];
  if (batches.length === 1) return { codes: batches[0].categoryCodes[index] as Int32Array, categories, texts: first };
  const texts = new Array<string>(rows);
  const codes = joinedCodes(batches, index, rows, (at, text) => (texts[at] = text));
  return { codes, categories, texts };
}

/**
 * Rows of small scored batches, copied as they arrive into fixed columns (the values `columnsOf`
 * would give), so that a version's window is updated once per many requests and a request leaves
 * nothing allocated behind it. Numeric features are held as numbers (NaN = missing); categorical
 * ones as codes with the text of the rows without one, an uncoded column as text only (every code
 * −1), which the window counts exactly as it counts that text.
 */
export class StagedColumns {
  private staged = 0;
  private first = 0;
  /** The staged values by feature: the same object and arrays every time. */
  readonly columns: LiveColumns;
  private readonly copiers: ((batch: FeatureBatch, at: number) => void)[] = [];

  constructor(
    features: readonly PlannedFeature[],
    readonly capacity: number,
  ) {
    const columns: Record<string, LiveColumn> = {};
    for (const feature of features) {
      if (feature.numeric) {
        const values = new Float64Array(capacity);
        columns[feature.name] = values;
        this.copiers.push((batch, at) => copyNumbers(batch.columns[feature.index], batch.rowCount, values, at));
      } else {
        const column: CodedTextColumn = {
          codes: new Int32Array(capacity),
          categories: feature.categories ?? NO_CATEGORIES,
          texts: new Array<string>(capacity).fill(''),
        };
        columns[feature.name] = column;
        this.copiers.push((batch, at) => copyCategories(batch, feature, column, at));
      }
    }
    this.columns = columns;
  }

  /** Rows staged: the window reads rows 0 … rows − 1 of {@link columns}. */
  get rows(): number {
    return this.staged;
  }

  /** When the first staged row was received (ms). */
  get firstAt(): number {
    return this.first;
  }

  /** Room for `rows` more rows. */
  fits(rows: number): boolean {
    return this.staged + rows <= this.capacity;
  }

  /** Copies a batch's rows after those staged; the caller checks {@link fits} first. */
  add(batch: FeatureBatch, at: number): void {
    if (this.staged === 0) this.first = at;
    for (const copy of this.copiers) copy(batch, this.staged);
    this.staged += batch.rowCount;
  }

  /** Empties the stage (its arrays are kept and overwritten). */
  clear(): void {
    this.staged = 0;
  }

  /**
   * Adds the staged rows to `window`, dated by the first of them, and empties the stage, also when
   * the window refuses them (so one bad stage never stops the intake).
   * @throws {DriftInputError} from the window, as `RollingDriftWindow.addColumns` says
   */
  drainInto(window: Pick<RollingDriftWindow, 'addColumns'>): void {
    try {
      window.addColumns(this.columns, this.staged, this.first);
    } finally {
      this.clear();
    }
  }
}

/** Batches of up to this many rows are staged; larger ones reach the window alone. */
export const STAGED_BATCH_MAX_ROWS = 64;

/** Staged rows per version: its window takes them in groups of up to this many. */
export const STAGED_ROWS = 256;

/** The code list of a categorical column staged as text only. */
const NO_CATEGORIES: readonly string[] = [];

/** A numeric feature's values into `values` from `at`, as `numericColumn` converts them. */
function copyNumbers(source: ColumnValues, rows: number, values: Float64Array, at: number): void {
  if (Array.isArray(source)) {
    for (let row = 0; row < rows; row++) values[at + row] = liveNumber(source[row]) ?? Number.NaN;
    return;
  }
  for (let row = 0; row < rows; row++) {
    const value = source[row];
    values[at + row] = value === Infinity || value === -Infinity ? Number.NaN : value;
  }
}

/**
 * A categorical feature's values into `column` from `at`: the batch's codes when it has them for a
 * coded feature (and the text of rows without one), otherwise code −1 and the text `liveText` gives.
 */
function copyCategories(batch: FeatureBatch, feature: PlannedFeature, column: CodedTextColumn, at: number): void {
  const codes = column.codes as Int32Array;
  const texts = column.texts as string[];
  const source = batch.columns[feature.index];
  const sourceCodes = feature.categories === undefined ? undefined : batch.categoryCodes[feature.index];
  for (let row = 0; row < batch.rowCount; row++) {
    const code = sourceCodes === undefined ? -1 : sourceCodes[row];
    codes[at + row] = code;
    texts[at + row] = code >= 0 ? '' : (liveText(source[row]) ?? '');
  }
}
