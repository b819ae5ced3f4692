/**
 * Reads a `dataframe_split` JSON body (`{"dataframe_split": {"columns": [...], "data": [[...], ...]}}`,
 * MLflow's usual batch shape) straight from the request's bytes into a {@link FeatureBatch}, without
 * building the parsed document first.
 *
 * Why: `JSON.parse` builds every value of a batch only for the builder to read each once and drop it
 * (PERFORMANCE.md). Here a number is read from its digits into the column, and a known category is
 * recognised while its bytes are checked (a trie per column) and stored as its code and its one
 * shared string, so a batch of known values allocates nothing per cell.
 *
 * It takes a strict subset, and for anything else returns `undefined` so the caller parses the body
 * and builds the batch the general way (invocations-request.ts), which also names whatever is wrong:
 * - exactly that shape, keys in that order, nothing else (`index`, `params`, … go the general way);
 * - strings without escapes or control characters (DEL is left to the builder, which refuses it in
 *   text features); numbers, strings and `null` as cells (booleans,
 *   lists and objects go the general way);
 * - any value the builder refuses (the general way reports the first one in its own order), and
 *   row counts of zero or over the limit.
 * Whatever it does take it stores through the same rules as the builder (`store`, for every value
 * that is not a plain number of a numeric column or a known category), so the two ways give the
 * same batch: dataframe-split-scanner.spec.ts checks that against the general way on real and
 * generated bodies, and reads numbers exactly as `JSON.parse` does.
 */
import type { FeatureBatch, FeatureBatchBuilder, Locator } from './feature-batch';
import { InputError } from './model-errors';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const DELETE = 0x7f;

/** Thrown (and caught in {@link DataframeSplitScanner.scan}) when the body leaves the subset. */
const NOT_TAKEN = Symbol('not taken');

/**
 * Exact powers of ten as doubles (10^22 is the largest that is): a decimal of at most 15
 * significant digits scaled by one of them is rounded once, so it is the correctly rounded value
 * `JSON.parse` gives (Clinger's fast path, "How to read floating point numbers accurately", 1990).
 */
const EXACT_POWERS_OF_TEN = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];
/** Significant digits below 2^53, so the digits themselves are an exact double. */
const MAX_EXACT_DIGITS = 15;

/**
 * Where the last value read ended: set by the readers below, one per scan (rather than an object
 * per value, or a module variable, which V8 reads more slowly).
 */
export interface ScanCursor {
  end: number;
}

/**
 * Reads the JSON number starting at `start` (its grammar strictly: no leading zeros, no `+`, digits
 * on both sides of a point); sets `cursor.end` past it.
 * @throws NOT_TAKEN when the text there is not a JSON number
 */
export function readJsonNumber(bytes: Uint8Array, start: number, cursor: ScanCursor): number {
  let position = start;
  const negative = bytes[position] === MINUS;
  if (negative) position++;
  let digits = 0;
  let significant = 0;
  let exponent = 0;
  let byte = bytes[position];
  if (byte === ZERO) {
    position++;
  } else if (byte > ZERO && byte <= NINE) {
    while (byte >= ZERO && byte <= NINE) {
      digits = digits * 10 + (byte - ZERO);
      significant++;
      byte = bytes[++position];
    }
  } else {
    throw NOT_TAKEN;
  }
  byte = bytes[position];
  if (byte === DOT) {
    byte = bytes[++position];
    if (!(byte >= ZERO && byte <= NINE)) throw NOT_TAKEN;
    while (byte >= ZERO && byte <= NINE) {
      exponent--;
      // Leading zeros of a fraction (0.0012) are not significant digits.
      if (significant > 0 || byte !== ZERO) {
        digits = digits * 10 + (byte - ZERO);
        significant++;
      }
      byte = bytes[++position];
    }
  }
  if (byte === LOWER_E || byte === UPPER_E) {
    byte = bytes[++position];
    const negativeExponent = byte === MINUS;
    if (negativeExponent || byte === PLUS) byte = bytes[++position];
    if (!(byte >= ZERO && byte <= NINE)) throw NOT_TAKEN;
    let written = 0;
    while (byte >= ZERO && byte <= NINE) {
      // Capped: past a few hundred the value is 0 or Infinity either way, and the slow path decides.
      if (written < 10000) written = written * 10 + (byte - ZERO);
      byte = bytes[++position];
    }
    exponent += negativeExponent ? -written : written;
  }
  cursor.end = position;
  let value: number;
  if (significant <= MAX_EXACT_DIGITS && exponent >= -22 && exponent <= 22) {
    value = exponent >= 0 ? digits * EXACT_POWERS_OF_TEN[exponent] : digits / EXACT_POWERS_OF_TEN[-exponent];
    return negative ? -value : value;
  }
  // Long or far-scaled numbers: the engine's own correctly rounded conversion of the same text.
  value = Number(latin1(bytes, negative ? start + 1 : start, position));
  return negative ? -value : value;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

function utf8(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

/**
 * Reads the string whose opening quote is at `start`; returns the index of its first byte and sets
 * `cursor.end` to the index of its closing quote.
 * @throws NOT_TAKEN for an escape or a control character (the general way decodes those)
 */
function readString(bytes: Uint8Array, start: number, cursor: ScanCursor): number {
  let position = start + 1;
  for (; position < bytes.length; position++) {
    const byte = bytes[position];
    if (byte === QUOTE) break;
    if (byte === BACKSLASH || byte < 0x20) throw NOT_TAKEN;
  }
  if (position >= bytes.length) throw NOT_TAKEN;
  cursor.end = position;
  return start + 1;
}

/** @throws NOT_TAKEN when `bytes[start, end)` holds a backslash (an escape) or a control character */
function requirePlainText(bytes: Uint8Array, start: number, end: number): void {
  for (let position = start; position < end; position++) {
    const byte = bytes[position];
    if (byte === BACKSLASH || byte < 0x20) throw NOT_TAKEN;
  }
}

function skipWhitespace(bytes: Uint8Array, position: number): number {
  for (;;) {
    const byte = bytes[position];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return position;
    position++;
  }
}

function expect(bytes: Uint8Array, position: number, byte: number): number {
  position = skipWhitespace(bytes, position);
  if (bytes[position] !== byte) throw NOT_TAKEN;
  return position + 1;
}

/** Expects the object key `key` (plain ASCII) and its colon at `position`; returns the index after the colon. */
function expectKey(bytes: Uint8Array, position: number, key: string, cursor: ScanCursor): number {
  position = skipWhitespace(bytes, position);
  if (bytes[position] !== QUOTE) throw NOT_TAKEN;
  const first = readString(bytes, position, cursor);
  if (cursor.end - first !== key.length) throw NOT_TAKEN;
  for (let index = 0; index < key.length; index++) if (bytes[first + index] !== key.charCodeAt(index)) throw NOT_TAKEN;
  return expect(bytes, cursor.end + 1, COLON);
}

/** Errors are never reported from here (the general way reports them), so locations are not built. */
const UNREPORTED: Locator = () => '';

/** One per {@link FeatureBatchBuilder}: the known categories of its columns as bytes. */
export class DataframeSplitScanner {
  /** Per model column, the trie of its known categories ({@link NO_CATEGORIES} for none, or too many). */
  private readonly tries: CategoryTrie[];

  constructor(private readonly builder: FeatureBatchBuilder) {
    this.tries = builder.knownCategories.map((known) =>
      known === undefined ? NO_CATEGORIES : (CategoryTrie.of(known) ?? NO_CATEGORIES),
    );
  }

  /** @returns the batch, or `undefined` when the body is not one this scanner takes (see the top of the file) */
  scan(body: Uint8Array, maxRows: number): FeatureBatch | undefined {
    try {
      return this.read(body, maxRows, { end: 0 });
    } catch (error) {
      // Out of the subset, or a value the builder refuses: either way the general way answers.
      if (error === NOT_TAKEN || error instanceof InputError) return undefined;
      throw error;
    }
  }

  private read(bytes: Uint8Array, maxRows: number, cursor: ScanCursor): FeatureBatch {
    let position = expect(bytes, 0, OPEN_BRACE);
    position = expectKey(bytes, position, 'dataframe_split', cursor);
    position = expect(bytes, position, OPEN_BRACE);
    position = expectKey(bytes, position, 'columns', cursor);
    const header = readHeader(bytes, position, cursor);
    position = expect(bytes, cursor.end, COMMA);
    position = expectKey(bytes, position, 'data', cursor);
    const batch = this.readRows(bytes, expect(bytes, position, OPEN_BRACKET), header, maxRows, cursor);
    position = expect(bytes, cursor.end, CLOSE_BRACE);
    position = expect(bytes, position, CLOSE_BRACE);
    if (skipWhitespace(bytes, position) !== bytes.length) throw NOT_TAKEN;
    return batch;
  }

  /**
   * The rows after the opening bracket of `data`, each into the batch; sets `cursor.end` past the
   * closing bracket. The loop keeps numbers, text and codes in separate lists of columns, each of one
   * kind of array, so V8 compiles their stores for that kind alone.
   */
  private readRows(
    bytes: Uint8Array,
    position: number,
    header: readonly string[],
    maxRows: number,
    cursor: ScanCursor,
  ): FeatureBatch {
    const builder = this.builder;
    const { positions, batchWarnings } = builder.placeHeader(header, '');
    // Per header column, the model column it fills (-1: not a model input, read and ignored).
    const targets = new Int32Array(header.length).fill(-1);
    positions.forEach((headerIndex, column) => {
      if (headerIndex >= 0) targets[headerIndex] = column;
    });
    const plans = builder.columns;
    const absent = plans.map((_plan, column) => column).filter((column) => positions[column] < 0);
    const tries = this.tries;
    const limits = builder.numericLimits;
    const length = bytes.length;
    const dataStart = position;
    let capacity = Math.min(maxRows, 64);
    let batch = builder.emptyBatch(capacity, batchWarnings);
    let views = ColumnViews.of(batch);
    let row = 0;
    position = skipWhitespace(bytes, position);
    if (bytes[position] === CLOSE_BRACKET) throw NOT_TAKEN;
    for (;;) {
      if (row === capacity) {
        if (row === maxRows) throw NOT_TAKEN;
        // Sized from the bytes read so far, so a typical batch grows once.
        const estimate = Math.ceil(((bytes.length - dataStart) / (position - dataStart)) * row * 1.05) + 1;
        capacity = Math.min(maxRows, Math.max(2 * row, estimate));
        batch = grow(builder, batch, row, capacity);
        views = ColumnViews.of(batch);
      }
      position = expect(bytes, position, OPEN_BRACKET);
      for (let headerIndex = 0; headerIndex < header.length; headerIndex++) {
        // Written out rather than called: this loop runs per cell, and V8 stops inlining calls into a
        // function this long, so each helper here would be a real call.
        if (headerIndex > 0) {
          if (bytes[position] === COMMA) position++;
          else position = expect(bytes, position, COMMA);
        }
        let byte = bytes[position];
        if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) {
          position = skipWhitespace(bytes, position);
          byte = bytes[position];
        }
        const column = targets[headerIndex];
        if (byte === QUOTE) {
          // The string's bytes walk its column's trie up to the next quote. No category has a
          // backslash or a control character (the trie leaves them out), so a string still on a
          // path at its end had neither; only one off every path is checked for them afterwards.
          const trie = column < 0 ? NO_CATEGORIES : tries[column];
          const next = trie.next;
          const classOf = trie.classOf;
          const width = trie.width;
          let state = ROOT_STATE;
          const first = ++position;
          for (; position < length; position++) {
            const character = bytes[position];
            if (character === QUOTE) break;
            state = next[state * width + classOf[character]];
          }
          if (position >= length) throw NOT_TAKEN;
          if (state === DEAD_STATE) requirePlainText(bytes, first, position);
          const end = position++;
          if (column < 0) continue;
          const entry = trie.accept[state];
          if (entry >= 0) {
            (views.texts[column] as string[])[row] = trie.texts[entry];
            const codes = views.codes[column];
            if (codes !== undefined) codes[row] = trie.codes[entry];
          } else {
            builder.store(batch, column, row, utf8(bytes, first, end), UNREPORTED);
          }
        } else if (byte === MINUS || (byte >= ZERO && byte <= NINE)) {
          const value = readJsonNumber(bytes, position, cursor);
          position = cursor.end;
          if (column < 0) continue;
          const numbers = views.numbers[column];
          // Within the column type's range (float32's, for a float32 input); Infinity fails both.
          const limit = limits[column];
          if (numbers !== undefined && value < limit && value > -limit) numbers[row] = value;
          else builder.store(batch, column, row, value, UNREPORTED);
        } else if (
          byte === 0x6e &&
          bytes[position + 1] === 0x75 &&
          bytes[position + 2] === 0x6c &&
          bytes[position + 3] === 0x6c
        ) {
          position += 4;
          if (column >= 0) builder.store(batch, column, row, null, UNREPORTED);
        } else {
          throw NOT_TAKEN;
        }
      }
      position = expect(bytes, position, CLOSE_BRACKET);
      // Model columns absent from the header (optional ones; required ones failed placeHeader).
      for (const column of absent) builder.store(batch, column, row, null, UNREPORTED);
      row++;
      position = skipWhitespace(bytes, position);
      if (bytes[position] === CLOSE_BRACKET) break;
      if (bytes[position] !== COMMA) throw NOT_TAKEN;
      position++;
    }
    cursor.end = position + 1;
    // A row's warnings come in model column order the general way; read in header order they may not.
    if (
      batch.rowWarnings !== undefined &&
      !ascending(positions) &&
      batch.rowWarnings.some((warnings) => (warnings?.length ?? 0) > 1)
    )
      throw NOT_TAKEN;
    return row === capacity ? batch : grow(builder, batch, row, row);
  }
}

/** A batch's columns by kind (undefined where a column is of another kind). */
class ColumnViews {
  private constructor(
    readonly numbers: (Float32Array | Float64Array | undefined)[],
    readonly texts: (string[] | undefined)[],
    readonly codes: (Int32Array | undefined)[],
  ) {}

  static of(batch: FeatureBatch): ColumnViews {
    return new ColumnViews(
      batch.columns.map((column) => (Array.isArray(column) ? undefined : column)),
      batch.columns.map((column) => (Array.isArray(column) ? column : undefined)),
      batch.categoryCodes,
    );
  }
}

/** The trie's state reached by any byte off every path, and never left. */
const DEAD_STATE = 0;
/** The trie's state before any byte. */
const ROOT_STATE = 1;
/**
 * Largest trie kept for a column (states × byte classes, 4 bytes each): a column with more category
 * text than that is read as text and looked up by the builder instead.
 */
const MAX_TRIE_CELLS = 1 << 20;

/**
 * One column's known categories as a trie over their UTF-8 bytes: the scanner walks it with each byte
 * of a string as it looks for the closing quote, so a known category is recognised exactly, in the
 * same pass, with two array reads a byte (no hashing, no second comparison, no string made). Bytes
 * are mapped to classes first (only the bytes some category has get one, at most 222 since quotes,
 * backslashes and control characters never do), which keeps the table small.
 */
class CategoryTrie {
  private constructor(
    /** Per byte value, its class; class 0 is every byte no category has. */
    readonly classOf: Uint8Array,
    /** The number of classes: a state's row length in {@link next}. */
    readonly width: number,
    /** `next[state * width + class]`: the state after a byte of that class. */
    readonly next: Int32Array,
    /** Per state, the entry of the category that ends there, or -1. */
    readonly accept: Int32Array,
    readonly texts: readonly string[],
    readonly codes: Int32Array,
  ) {}

  /** @returns undefined when the trie would be larger than {@link MAX_TRIE_CELLS} */
  static of(known: ReadonlyMap<string, number>): CategoryTrie | undefined {
    const encoded: Buffer[] = [];
    const texts: string[] = [];
    const codes: number[] = [];
    for (const [text, code] of known) {
      const bytes = Buffer.from(text, 'utf8');
      // Text that UTF-8 cannot carry as it is (a lone surrogate) never matches request bytes, nor
      // does text JSON must escape (the scanner relies on no path holding such a byte).
      if (
        bytes.toString('utf8') !== text ||
        bytes.some((byte) => byte === QUOTE || byte === BACKSLASH || byte < 0x20 || byte === DELETE)
      )
        continue;
      encoded.push(bytes);
      texts.push(text);
      codes.push(code);
    }
    const classOf = new Uint8Array(256);
    let width = 1;
    for (const bytes of encoded) for (const byte of bytes) if (classOf[byte] === 0) classOf[byte] = width++;
    // Dead state, root, then one state per distinct prefix (as a map from the parent's key).
    const children: Map<number, number>[] = [new Map(), new Map()];
    const accepting = new Map<number, number>();
    for (let entry = 0; entry < encoded.length; entry++) {
      let state = ROOT_STATE;
      for (const byte of encoded[entry]) {
        let child = children[state].get(classOf[byte]);
        if (child === undefined) {
          child = children.length;
          children.push(new Map());
          children[state].set(classOf[byte], child);
        }
        state = child;
      }
      accepting.set(state, entry);
    }
    if (children.length * width > MAX_TRIE_CELLS) return undefined;
    const next = new Int32Array(children.length * width);
    children.forEach((edges, state) => edges.forEach((child, byteClass) => (next[state * width + byteClass] = child)));
    const accept = new Int32Array(children.length).fill(-1);
    accepting.forEach((entry, state) => (accept[state] = entry));
    return new CategoryTrie(classOf, width, next, accept, texts, Int32Array.from(codes));
  }

  /** For columns without known categories (or too many): every string ends in the dead state. */
  static readonly EMPTY = new CategoryTrie(
    new Uint8Array(256),
    1,
    new Int32Array(2),
    new Int32Array([-1, -1]),
    [],
    new Int32Array(0),
  );
}

const NO_CATEGORIES = CategoryTrie.EMPTY;

/** The list of column names at `position`; sets `cursor.end` past its closing bracket. */
function readHeader(bytes: Uint8Array, position: number, cursor: ScanCursor): string[] {
  position = expect(bytes, position, OPEN_BRACKET);
  const header: string[] = [];
  position = skipWhitespace(bytes, position);
  if (bytes[position] === CLOSE_BRACKET) throw NOT_TAKEN;
  for (;;) {
    position = skipWhitespace(bytes, position);
    if (bytes[position] !== QUOTE) throw NOT_TAKEN;
    const first = readString(bytes, position, cursor);
    header.push(utf8(bytes, first, cursor.end));
    position = skipWhitespace(bytes, cursor.end + 1);
    if (bytes[position] === CLOSE_BRACKET) break;
    if (bytes[position] !== COMMA) throw NOT_TAKEN;
    position++;
  }
  cursor.end = position + 1;
  return header;
}

/** The batch's first `rows` rows in a batch of `capacity` rows (fresh arrays, so none is a view of a larger one). */
function grow(builder: FeatureBatchBuilder, batch: FeatureBatch, rows: number, capacity: number): FeatureBatch {
  const grown = builder.emptyBatch(capacity, batch.batchWarnings);
  grown.columns.forEach((column, index) => {
    const old = batch.columns[index];
    if (Array.isArray(column)) for (let row = 0; row < rows; row++) column[row] = (old as string[])[row];
    else column.set((old as Float32Array | Float64Array).subarray(0, rows));
  });
  grown.categoryCodes.forEach((codes, index) =>
    codes?.set((batch.categoryCodes[index] as Int32Array).subarray(0, rows)),
  );
  if (batch.rowWarnings) {
    grown.rowWarnings = new Array<string[] | undefined>(capacity);
    for (let row = 0; row < rows; row++) {
      const warnings = batch.rowWarnings[row];
      if (warnings !== undefined) grown.rowWarnings[row] = warnings;
    }
  }
  return grown;
}

/** Whether the header positions of the model columns present in it rise with the model's order. */
function ascending(positions: readonly number[]): boolean {
  let previous = -1;
  for (const position of positions) {
    if (position < 0) continue;
    if (position < previous) return false;
    previous = position;
  }
  return true;
}
