/**
 * Turns request data into the model's input columns, by hand and once per value: the hot path of
 * every prediction. Values follow DESIGN.md's wiring table ("values sent for a column"):
 * - numeric columns take numbers or numeric text; `null` or blank text is a missing value (the
 *   graph imputes it); anything else, including NaN and Infinity, is a 400 naming the column, and
 *   so is a number the column's own tensor type cannot hold (1e39 for a float32 input would become
 *   Infinity there);
 * - categorical columns take text, or numbers as their decimal text; `null` or blank is missing
 *   (encoded as all zeros); text holding a control character (U+0000–U+001F, U+007F) is a 400; a
 *   category the graph does not know is scored (all zeros) and warned about;
 * - a column absent from a record is a 400 unless the signature marks it optional;
 * - fields outside the signature are ignored and warned about.
 * The same rules as the training side's CSV loader: `numericFromRaw` and `categoryFromRaw` decide.
 */
import { categoryFromRaw, isBlankText, numericFromRaw } from '@churn/churn-pipeline';

import { DataframeSplitScanner } from './dataframe-split-scanner';
import { UNKNOWN_CATEGORY_CODE } from './integer-coded-categories';
import type { InputColumnPlan } from './model-contract';
import { InputError } from './model-errors';

/** Request fields that are not features and are never reported as ignored. */
export const NON_FEATURE_FIELDS: ReadonlySet<string> = new Set(['user_id', 'request_id']);

/** One column's values: numbers with NaN for missing, or text with '' for missing. */
export type ColumnValues = Float32Array | Float64Array | string[];

/** Rows ready for the model. Kept whole so later consumers (prediction log, drift window) read the same values. */
export interface FeatureBatch {
  rowCount: number;
  /** One entry per model column, in the contract's column order. */
  columns: ColumnValues[];
  /**
   * Per column, the category codes fed to the session (as int64, see {@link int64Codes}) for a column
   * with `categoryCodes`; otherwise undefined. Kept as 32-bit integers until the call: a small
   * BigInt64Array per column per request, and the 32-bit view needed to fill it without a BigInt
   * per cell, cost more than the rest of the batch.
   */
  categoryCodes: (Int32Array | undefined)[];
  /** Per row, the warnings for that row; `undefined` when no row had any. */
  rowWarnings: (string[] | undefined)[] | undefined;
  /** Warnings that concern the whole request (an ignored column of a columnar body). */
  batchWarnings: string[];
}

/**
 * The smallest magnitude float32 rounds to Infinity: FLT_MAX (2^128 − 2^104) plus half its last
 * place (2^103); the tie rounds to the even neighbour, which is Infinity.
 */
export const FLOAT32_OVERFLOW = 2 ** 128 - 2 ** 103;

/** Per column, the magnitude from which a number cannot be stored: Infinity for float64 and text. */
export function numericLimit(plan: InputColumnPlan): number {
  return plan.tensorType === 'float32' ? FLOAT32_OVERFLOW : Number.POSITIVE_INFINITY;
}

/**
 * The first C0 control or DEL of `text` as `U+001B`, or undefined when it has none: refused in ids
 * and text features (they corrupt logs, CSV exports and terminals).
 */
export function controlCharacterIn(text: string): string | undefined {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}

function allocate(plan: InputColumnPlan, rows: number): ColumnValues {
  if (plan.tensorType === 'float32') return new Float32Array(rows);
  if (plan.tensorType === 'float64') return new Float64Array(rows);
  return new Array<string>(rows);
}

/** Where a value sits in the request, for error messages; `row` is 0-based. */
export type Locator = (row: number, column: string) => string;

/** Builds batches for one model's columns; created once per loaded version. */
export class FeatureBatchBuilder {
  private readonly byName: ReadonlyMap<string, number>;
  /**
   * Per column, the known categories that are sent as they are (never blank, so never "missing"),
   * with their code when the column is fed as codes (-1 otherwise): one lookup decides most cells.
   */
  readonly knownCategories: readonly (ReadonlyMap<string, number> | undefined)[];

  /** The columns' names, in order (what the prediction log and drift windows key features by). */
  readonly columnNames: readonly string[];
  /** Per column fed as codes, the text of each code (`codeTexts[i][code]`); undefined for other columns. */
  readonly codeTexts: (readonly string[] | undefined)[];
  /** Per column, {@link numericLimit}. */
  readonly numericLimits: Float64Array;

  constructor(readonly columns: readonly InputColumnPlan[]) {
    this.columnNames = columns.map((column) => column.name);
    this.codeTexts = columns.map((plan) => {
      if (!plan.categoryCodes) return undefined;
      const texts: string[] = [];
      for (const [category, code] of plan.categoryCodes) texts[code] = category;
      return texts;
    });
    this.numericLimits = Float64Array.from(columns, numericLimit);
    this.byName = new Map(columns.map((column, index) => [column.name, index]));
    this.knownCategories = columns.map((plan) => {
      const known = plan.categoryCodes
        ? [...plan.categoryCodes]
        : [...(plan.categories ?? [])].map((category): [string, number] => [category, UNKNOWN_CATEGORY_CODE]);
      return plan.kind === 'categorical' && known.length > 0
        ? new Map(known.filter(([category]) => !isBlankText(category) && controlCharacterIn(category) === undefined))
        : undefined;
    });
  }

  /**
   * Rows given as objects keyed by column name (`/predict`, `dataframe_records`, `instances`).
   * @throws {InputError} naming the row and column of the first bad value
   */
  fromRecords(records: readonly unknown[], locate: Locator): FeatureBatch {
    const rowCount = records.length;
    const batch = this.emptyBatch(rowCount, []);
    for (let row = 0; row < rowCount; row++) {
      const record = records[row];
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new InputError(locate(row, ''), `expected an object of feature values, got ${describeType(record)}`);
      }
      const fields = record as Record<string, unknown>;
      for (let index = 0; index < this.columns.length; index++) {
        const plan = this.columns[index];
        const value = fields[plan.name];
        if (value === undefined && plan.required && !Object.prototype.hasOwnProperty.call(fields, plan.name)) {
          throw new InputError(locate(row, plan.name), `required feature is missing (send null for an unknown value)`);
        }
        this.store(batch, index, row, value, locate);
      }
      for (const key in fields) {
        if (!this.byName.has(key) && !NON_FEATURE_FIELDS.has(key))
          addRowWarning(batch, row, `field ${JSON.stringify(key)} is not a model input; ignored`);
      }
    }
    return batch;
  }

  /**
   * Rows given as a header plus cells (`dataframe_split`, CSV, column dictionaries). `cell(row, i)`
   * returns the value of header column `i` in `row`.
   * @throws {InputError} for a required column missing from the header, or a bad value (row and column named)
   */
  fromColumns(
    header: readonly string[],
    rowCount: number,
    cell: (row: number, headerIndex: number) => unknown,
    locate: Locator,
    where: string,
  ): FeatureBatch {
    const { positions, batchWarnings } = this.placeHeader(header, where);
    const batch = this.emptyBatch(rowCount, batchWarnings);
    for (let index = 0; index < this.columns.length; index++) {
      const position = positions[index];
      for (let row = 0; row < rowCount; row++)
        this.store(batch, index, row, position < 0 ? null : cell(row, position), locate);
    }
    return batch;
  }

  /**
   * `dataframe_split` JSON read straight from the request's bytes into the batch (see
   * dataframe-split-scanner.ts); `undefined` when the body is not one the scanner takes (the caller
   * then parses it and calls {@link fromColumns}, which also names whatever is wrong with it).
   */
  fromDataframeSplitJson(body: Uint8Array, maxRows: number): FeatureBatch | undefined {
    this.splitScanner ??= new DataframeSplitScanner(this);
    return this.splitScanner.scan(body, maxRows);
  }

  private splitScanner: DataframeSplitScanner | undefined;

  /**
   * Where each model column sits in a header (-1 when absent), and the warnings for header columns
   * the model does not take.
   * @throws {InputError} at `where` for a required column missing from the header
   */
  placeHeader(header: readonly string[], where: string): { positions: number[]; batchWarnings: string[] } {
    const positions = this.columns.map((plan) => header.indexOf(plan.name));
    const batchWarnings: string[] = [];
    this.columns.forEach((plan, index) => {
      if (positions[index] < 0 && plan.required)
        throw new InputError(where, `required column ${JSON.stringify(plan.name)} is missing`);
    });
    header.forEach((name) => {
      if (!this.byName.has(name) && !NON_FEATURE_FIELDS.has(name))
        batchWarnings.push(`column ${JSON.stringify(name)} is not a model input; ignored`);
    });
    return { positions, batchWarnings };
  }

  /** A batch of `rowCount` rows with every value still to be stored. */
  emptyBatch(rowCount: number, batchWarnings: string[]): FeatureBatch {
    return {
      rowCount,
      columns: this.columns.map((plan) => allocate(plan, rowCount)),
      categoryCodes: this.columns.map((plan) => (plan.categoryCodes ? new Int32Array(rowCount) : undefined)),
      rowWarnings: undefined,
      batchWarnings,
    };
  }

  /**
   * Stores one value of model column `index` at `row`, by the rules at the top of this file.
   * @throws {InputError} at `locate(row, column)` for a value the column cannot take
   */
  store(batch: FeatureBatch, index: number, row: number, value: unknown, locate: Locator): void {
    const plan = this.columns[index];
    const target = batch.columns[index];
    const codes = batch.categoryCodes[index];
    if (plan.kind === 'numeric') {
      const number = typeof value === 'number' && Number.isFinite(value) ? value : numericFromRaw(value);
      if (number === undefined) {
        throw new InputError(
          locate(row, plan.name),
          `expected a finite number, numeric text or null, got ${describeValue(value)}`,
        );
      }
      if (number !== null && !(Math.abs(number) < this.numericLimits[index])) {
        throw new InputError(
          locate(row, plan.name),
          `${number} is beyond what this input's type (float32, at most ±3.4028234663852886e38) can hold`,
        );
      }
      (target as Float32Array | Float64Array)[row] = number === null ? Number.NaN : number;
      return;
    }
    const known = typeof value === 'string' ? this.knownCategories[index]?.get(value) : undefined;
    if (known !== undefined) {
      (target as string[])[row] = value as string;
      if (codes !== undefined) codes[row] = known;
      return;
    }
    const control = typeof value === 'string' ? controlCharacterIn(value) : undefined;
    if (control !== undefined)
      throw new InputError(locate(row, plan.name), `text holds the control character ${control}; send plain text`);
    const category = categoryFromRaw(value);
    if (category === undefined) {
      throw new InputError(
        locate(row, plan.name),
        `expected text, a finite number or null, got ${describeValue(value)}`,
      );
    }
    (target as string[])[row] = category ?? '';
    if (codes !== undefined)
      codes[row] =
        category === null ? UNKNOWN_CATEGORY_CODE : (plan.categoryCodes?.get(category) ?? UNKNOWN_CATEGORY_CODE);
    if (category !== null && plan.categories !== undefined && !plan.categories.has(category)) {
      addRowWarning(
        batch,
        row,
        `${plan.name}: unknown category ${quote(category)} scored as none of the known categories`,
      );
    }
  }
}

/** Which 32-bit word of an int64 holds its low half on this platform. */
const LOW_WORD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * 32-bit codes, given as consecutive parts of `rows` codes in all, as the int64 tensor data
 * onnxruntime takes: written as 32-bit words (low word, then the sign extended into the high word)
 * so no BigInt is created per cell, and the parts joined as they are widened.
 */
export function int64Codes(parts: readonly Int32Array[], rows: number): BigInt64Array {
  const buffer = new ArrayBuffer(rows * 8);
  writeInt64Codes(new Int32Array(buffer), parts, 0, 1);
  return new BigInt64Array(buffer);
}

/**
 * Writes `parts`, one after the other, as int64 cells into the 32-bit words of an int64 buffer: the
 * first at cell `first`, each next `stride` cells on (1 for a column of its own, k for a column of a
 * row-major `[rows, k]` tensor).
 */
export function writeInt64Codes(words: Int32Array, parts: readonly Int32Array[], first: number, stride: number): void {
  let at = first;
  for (const codes of parts) {
    for (let index = 0; index < codes.length; index++, at += stride) {
      const value = codes[index];
      words[2 * at + LOW_WORD] = value;
      words[2 * at + 1 - LOW_WORD] = value >> 31;
    }
  }
}

/** Column `index` of consecutive batches as one column of `rows` values (the batch's own array when there is one batch). */
export function joinedColumn(batches: readonly FeatureBatch[], index: number, rows: number): ColumnValues {
  if (batches.length === 1) return batches[0].columns[index];
  const first = batches[0].columns[index];
  const joined: ColumnValues = Array.isArray(first)
    ? new Array<string>(rows)
    : first instanceof Float32Array
      ? new Float32Array(rows)
      : new Float64Array(rows);
  return joinInto(
    joined,
    batches.map((batch) => batch.columns[index]),
  );
}

function addRowWarning(batch: FeatureBatch, row: number, warning: string): void {
  batch.rowWarnings ??= new Array<string[] | undefined>(batch.rowCount);
  (batch.rowWarnings[row] ??= []).push(warning);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `text ${quote(value)}`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}

/** A short quotation of a value for a message (long text cut, so a bad request cannot flood the logs). */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/**
 * The category codes of column `index` of consecutive parts (batches, or log entries of batches)
 * joined, `rows` in all (the part's own array when there is one part), or written into `into` from
 * `offset` on when given; `uncoded(at, text)` is called with the joined row (counted from 0) and
 * text of each row without a code (a missing value or a category the model's encoder lacks), the
 * only rows whose text a reader of codes still needs.
 */
export function joinedCodes(
  parts: readonly { columns: readonly ColumnValues[]; categoryCodes?: readonly (Int32Array | undefined)[] }[],
  index: number,
  rows: number,
  uncoded: (at: number, text: string) => void,
  into?: Int32Array,
  offset = 0,
): Int32Array {
  const joined = into ?? (parts.length === 1 ? (parts[0].categoryCodes?.[index] as Int32Array) : new Int32Array(rows));
  let at = 0;
  for (const part of parts) {
    const codes = part.categoryCodes?.[index] as Int32Array;
    const texts = part.columns[index] as string[];
    for (let row = 0; row < codes.length; row++, at++) {
      const code = codes[row];
      if (joined !== codes) joined[offset + at] = code;
      if (code < 0) uncoded(at, texts[row]);
    }
  }
  return joined;
}

/**
 * Copies `parts` one after the other into `target` (sized for all of them) and returns it. Element
 * by element: for the one-row parts it mostly joins, cheaper than `set` or `flatMap`.
 */
function joinInto<T extends { [row: number]: unknown; length: number }>(
  target: T,
  parts: readonly ArrayLike<T[number]>[],
): T {
  let offset = 0;
  for (const part of parts) {
    for (let row = 0; row < part.length; row++) target[offset + row] = part[row];
    offset += part.length;
  }
  return target;
}
