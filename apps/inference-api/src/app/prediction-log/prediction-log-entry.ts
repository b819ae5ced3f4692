import type { ColumnValues } from '../model/feature-batch';
import type { ScoredRequest, ShadowScore } from '../observation/prediction-observer';
import { FeaturesJson, type FeatureValues, type PredictionRecord, type Variant } from './prediction-store';

/**
 * One scored request as the prediction log carries it from the hot path to the store: the batch's
 * own column arrays, not one object per row. Making one costs the same for 1 row or 1000, and it
 * crosses to the writer thread as a handful of arrays (typed arrays are copied as memory blocks).
 */
export interface PredictionLogEntry {
  requestId: string;
  receivedAt: number;
  userId: string | null;
  variant: Variant;
  trafficShare: number | null;
  modelName: string;
  alias: string;
  version: string;
  latencyMs: number;
  replica: string;
  columnNames: readonly string[];
  /** Numbers with NaN for missing, or text with '' for missing, per column. */
  columns: ColumnValues[];
  probabilities: ArrayLike<number>;
  labels: ArrayLike<number>;
  shadow: ShadowScore[] | null;
  /** The batch's category codes per column (see FeatureBatch), when the version is fed codes: text columns then cross to the writer thread as codes. */
  categoryCodes?: readonly (Int32Array | undefined)[];
  /** Per coded column, the text of each code (FeatureBatchBuilder.codeTexts). */
  codeTexts?: readonly (readonly string[] | undefined)[];
}

export function entryOf(
  request: ScoredRequest,
  replica: string,
  shadow: ShadowScore[] | null = null,
): PredictionLogEntry {
  const { model, batch, scores } = request;
  return {
    requestId: request.requestId,
    receivedAt: request.receivedAt,
    userId: request.userId ?? null,
    variant: request.variant,
    trafficShare: request.trafficShare,
    modelName: model.ref.name,
    alias: model.ref.alias,
    version: model.ref.version,
    latencyMs: request.scoringMs,
    replica,
    columnNames: model.builder.columnNames,
    columns: batch.columns,
    probabilities: scores.probabilities,
    labels: scores.labels,
    shadow,
    categoryCodes: batch.categoryCodes,
    codeTexts: model.builder.codeTexts,
  };
}

export function entryRows(entry: PredictionLogEntry): number {
  return entry.labels.length;
}

/** One record per row, the features as the model received them (missing → null). */
export function recordsOf(entry: PredictionLogEntry): PredictionRecord[] {
  const rows = entryRows(entry);
  const records: PredictionRecord[] = new Array(rows);
  for (let row = 0; row < rows; row++) {
    const features: FeatureValues = {};
    for (let index = 0; index < entry.columnNames.length; index++)
      setFeature(features, entry.columnNames[index], loggedValue(entry.columns[index][row]));
    records[row] = {
      requestId: entry.requestId,
      row,
      receivedAt: entry.receivedAt,
      userId: entry.userId,
      variant: entry.variant,
      modelName: entry.modelName,
      alias: entry.alias,
      version: entry.version,
      features,
      probability: entry.probabilities[row],
      prediction: entry.labels[row] as 0 | 1,
      latencyMs: entry.latencyMs,
      trafficShare: entry.trafficShare,
      shadow: entry.shadow?.[row] ?? null,
      replica: entry.replica,
    };
  }
  return records;
}

/**
 * Sets a feature as an own property whatever its name: assigned, a column named `__proto__` would
 * set the object's prototype (or be ignored) and go unlogged, where bundleRecords' text keeps it.
 */
function setFeature(features: FeatureValues, name: string, value: number | string | null): void {
  if (name === '__proto__')
    Object.defineProperty(features, name, { value, enumerable: true, writable: true, configurable: true });
  else features[name] = value;
}

/** A feature as the log keeps it: NaN, ±Infinity, '' and absent cells are missing (null). */
function loggedValue(value: number | string | undefined): number | string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  return value === '' || value === undefined ? null : value;
}

/**
 * One version's entries on their way to the writer thread (those of one post interval, see
 * WorkerThreadSink): the rows joined column by column, the request fields packed. Laid out for the structured clone,
 * whose cost follows the number of values it walks more than their size: a dozen column arrays
 * post several times faster than a list, a code array and a copy of the category texts per entry
 * (PERFORMANCE.md).
 */
export interface PredictionLogBundle {
  /** The version's column names and code texts as JSON ({@link BundleLayout}): one string, made once per version. */
  layout: string;
  replica: string;
  /** Each entry's request id, then its user id, one after the other; `idLengths` holds their lengths (-1: no user id). */
  ids: string;
  idLengths: Int32Array;
  /** The distinct variants, model names, aliases and versions; `nameIndexes` holds the four of each entry. */
  names: string[];
  nameIndexes: Int32Array;
  /** The receivedAt, latencyMs and trafficShare (NaN: none) of each entry. */
  numbers: Float64Array;
  /** Rows of each entry, in order; the joined arrays below hold them one after the other. */
  rowCounts: Int32Array;
  /**
   * Per column, numbers with NaN for missing (joined columns as float64, in which float32 values
   * are exact) or text with '' for missing; null for a column sent as codes, in `codes`.
   */
  columns: (ColumnValues | null)[];
  /**
   * The codes of the columns sent as codes (text columns of a version fed codes: a 1000-row batch's
   * sixteen text columns cost more to clone than everything else in it), one column of all the
   * bundle's rows after another, in column order. A code of -1 is a missing value ('') unless the
   * cell is in `otherCells`.
   */
  codes: Int32Array;
  /** Cells of coded columns whose text has no code (categories the model does not know), as (coded column ordinal, row) pairs; their texts in `otherTexts`. */
  otherCells: number[];
  otherTexts: string[];
  probabilities: Float32Array;
  labels: Int32Array;
  /** Each entry's shadow scores; null when no entry has any. */
  shadows: (ShadowScore[] | null)[] | null;
}

/** What {@link PredictionLogBundle.layout} holds. */
interface BundleLayout {
  columnNames: readonly string[];
  /** Per column, the text of each code when the version is fed codes for it (FeatureBatchBuilder.codeTexts). */
  codeTexts: readonly (readonly string[] | null)[];
}

/** The layout string of each version, by its column list and code texts (both one array per loaded version). */
const layoutsByColumns = new WeakMap<readonly string[], Map<unknown, string>>();

function layoutOf(entry: PredictionLogEntry): string {
  let byCodeTexts = layoutsByColumns.get(entry.columnNames);
  if (!byCodeTexts) layoutsByColumns.set(entry.columnNames, (byCodeTexts = new Map()));
  let layout = byCodeTexts.get(entry.codeTexts);
  if (layout === undefined) {
    const value: BundleLayout = {
      columnNames: entry.columnNames,
      codeTexts: entry.columnNames.map((_, index) => entry.codeTexts?.[index] ?? null),
    };
    layout = JSON.stringify(value);
    byCodeTexts.set(entry.codeTexts, layout);
  }
  return layout;
}

/** Entries bundled by version (column list and code texts), in order within each bundle. */
export function bundleEntries(entries: readonly PredictionLogEntry[]): PredictionLogBundle[] {
  const bundler = new PredictionLogBundler();
  for (const entry of entries) bundler.append(entry);
  return bundler.take();
}

/**
 * Bundles entries as they arrive, one {@link BundleBuilder} per version (its column list and code
 * texts, one array each per loaded version), until {@link take} hands the bundles over. A version's
 * builder, and the room its arrays have grown to, is kept from one take to the next while entries
 * of that version keep coming: growing them again for every bundle cost more than the copying.
 */
export class PredictionLogBundler {
  private readonly builders = new Map<readonly string[], Map<unknown, BundleBuilder>>();
  private rowsHeld = 0;

  /** Rows appended since the last {@link take}. */
  get rows(): number {
    return this.rowsHeld;
  }

  append(entry: PredictionLogEntry): void {
    let byCodeTexts = this.builders.get(entry.columnNames);
    if (!byCodeTexts) this.builders.set(entry.columnNames, (byCodeTexts = new Map()));
    let builder = byCodeTexts.get(entry.codeTexts);
    if (!builder) byCodeTexts.set(entry.codeTexts, (builder = new BundleBuilder(layoutOf(entry), entry)));
    builder.append(entry);
    this.rowsHeld += entryRows(entry);
  }

  /**
   * The bundles of everything appended since the last take, one per version, in the order the
   * bundler first saw the versions; the builders of versions that had no entry since then are let go.
   */
  take(): PredictionLogBundle[] {
    const bundles: PredictionLogBundle[] = [];
    for (const [columnNames, byCodeTexts] of this.builders) {
      for (const [codeTexts, builder] of byCodeTexts)
        if (builder.isEmpty) byCodeTexts.delete(codeTexts);
        else bundles.push(builder.finish());
      if (byCodeTexts.size === 0) this.builders.delete(columnNames);
    }
    this.rowsHeld = 0;
    return bundles;
  }
}

/** How a bundle carries a column: joined numbers, joined text, or codes (in `codes`). */
const enum ColumnKind {
  Number,
  Text,
  Coded,
}

/** Rows (and requests) a new bundle's arrays have room for. */
const FIRST_ROOM = 16;
/** Rows (or requests) beyond which a builder's arrays are not kept for its next bundle (a batch of 1000 rows is kept). */
const KEPT_ROWS = 4096;

/** Rows from which a column is copied by TypedArray.set (one native copy) rather than cell by cell. */
const SET_FROM_ROWS = 16;

/** A copy of `array` with room for `length` values (its first `length` when it holds more). */
function resized<T extends Float64Array | Float32Array | Int32Array>(array: T, length: number): T {
  const copy = new (array.constructor as new (length: number) => T)(length);
  copy.set(array.length > length ? array.subarray(0, length) : array);
  return copy;
}

/**
 * One version's entries copied into growing arrays as they arrive, so that none is held until the
 * bundle is posted (held entries outlived the young generation: see WorkerThreadSink), then
 * copied out, trimmed, into a {@link PredictionLogBundle}; the arrays are kept for the next one
 * unless they grew past {@link KEPT_ROWS}. A column fed as codes takes -1 and the cell's text (in
 * `otherTexts`) for an entry that came without codes, as for a category without a code.
 */
class BundleBuilder {
  private readonly replica: string;
  private readonly kinds: ColumnKind[];
  /** Per column, its place among the columns of its kind (`numbers`, `texts` or `codes` below). */
  private readonly slots: number[];
  private readonly numberColumns: Float64Array[] = [];
  private textColumns: string[][] = [];
  private readonly codeColumns: Int32Array[] = [];
  private entries = 0;
  private entryCapacity = FIRST_ROOM;
  private rows = 0;
  private rowCapacity = FIRST_ROOM;
  private idParts: string[] = [];
  private idLengths = new Int32Array(2 * FIRST_ROOM);
  private names: string[] = [];
  private nameIndex = new Map<string, number>();
  private nameIndexes = new Int32Array(4 * FIRST_ROOM);
  private numbers = new Float64Array(3 * FIRST_ROOM);
  private rowCounts = new Int32Array(FIRST_ROOM);
  private probabilities = new Float32Array(FIRST_ROOM);
  private labels = new Int32Array(FIRST_ROOM);
  private otherCells: number[] = [];
  private otherTexts: string[] = [];
  private shadows: (ShadowScore[] | null)[] | null = null;

  constructor(
    private readonly layout: string,
    first: PredictionLogEntry,
  ) {
    this.replica = first.replica;
    this.kinds = first.columns.map((column, index) =>
      first.codeTexts?.[index] !== undefined
        ? ColumnKind.Coded
        : Array.isArray(column)
          ? ColumnKind.Text
          : ColumnKind.Number,
    );
    this.slots = this.kinds.map((kind) => {
      if (kind === ColumnKind.Text) return this.textColumns.push([]) - 1;
      if (kind === ColumnKind.Coded) return this.codeColumns.push(new Int32Array(FIRST_ROOM)) - 1;
      return this.numberColumns.push(new Float64Array(FIRST_ROOM)) - 1;
    });
  }

  get isEmpty(): boolean {
    return this.entries === 0;
  }

  /**
   * @throws {Error} before changing anything, when the entry has another number of columns than
   *   the version's first (nothing else in it can fail part-way and leave the bundle out of step)
   */
  append(entry: PredictionLogEntry): void {
    if (entry.columns.length !== this.kinds.length)
      throw new Error(
        `prediction log entry ${entry.requestId}: ${entry.columns.length} columns where its version has ${this.kinds.length}`,
      );
    const count = entryRows(entry);
    const at = this.rows;
    if (at + count > this.rowCapacity) this.resizeRows(Math.max(at + count, 2 * this.rowCapacity));
    this.appendRequest(entry, count);
    for (let row = 0; row < count; row++) {
      this.probabilities[at + row] = entry.probabilities[row];
      this.labels[at + row] = entry.labels[row];
    }
    for (let index = 0; index < this.kinds.length; index++) {
      const column = entry.columns[index];
      const slot = this.slots[index];
      const kind = this.kinds[index];
      if (kind === ColumnKind.Number) {
        const joined = this.numberColumns[slot];
        if (count >= SET_FROM_ROWS) joined.set(column as Float32Array | Float64Array, at);
        else for (let row = 0; row < count; row++) joined[at + row] = column[row] as number;
      } else if (kind === ColumnKind.Text) {
        const joined = this.textColumns[slot];
        for (let row = 0; row < count; row++) joined.push(column[row] as string);
      } else this.appendCodes(entry.categoryCodes?.[index], column, slot, count);
    }
    this.rows += count;
  }

  /** A coded column's cells: the codes, and the text of each cell without one (a missing value has no text). */
  private appendCodes(codes: Int32Array | undefined, texts: ColumnValues, slot: number, count: number): void {
    const joined = this.codeColumns[slot];
    const at = this.rows;
    if (codes === undefined) joined.fill(-1, at, at + count);
    else if (count >= SET_FROM_ROWS) joined.set(codes, at);
    else for (let row = 0; row < count; row++) joined[at + row] = codes[row];
    for (let row = 0; row < count; row++) {
      if (joined[at + row] >= 0) continue;
      const text = texts[row];
      if (typeof text === 'string' && text !== '') {
        this.otherCells.push(slot, at + row);
        this.otherTexts.push(text);
      }
    }
  }

  /** Every row array with room for `capacity` rows. */
  private resizeRows(capacity: number): void {
    this.probabilities = resized(this.probabilities, capacity);
    this.labels = resized(this.labels, capacity);
    for (let slot = 0; slot < this.numberColumns.length; slot++)
      this.numberColumns[slot] = resized(this.numberColumns[slot], capacity);
    for (let slot = 0; slot < this.codeColumns.length; slot++)
      this.codeColumns[slot] = resized(this.codeColumns[slot], capacity);
    this.rowCapacity = capacity;
  }

  /** Every per-request array with room for `capacity` requests. */
  private resizeEntries(capacity: number): void {
    this.idLengths = resized(this.idLengths, 2 * capacity);
    this.nameIndexes = resized(this.nameIndexes, 4 * capacity);
    this.numbers = resized(this.numbers, 3 * capacity);
    this.rowCounts = resized(this.rowCounts, capacity);
    this.entryCapacity = capacity;
  }

  /** The request's own fields: ids as text, names as indexes, numbers in one array. */
  private appendRequest(entry: PredictionLogEntry, count: number): void {
    const index = this.entries++;
    if (index === this.entryCapacity) this.resizeEntries(2 * this.entryCapacity);
    this.idParts.push(entry.requestId);
    this.idLengths[2 * index] = entry.requestId.length;
    if (entry.userId === null) this.idLengths[2 * index + 1] = -1;
    else {
      this.idParts.push(entry.userId);
      this.idLengths[2 * index + 1] = entry.userId.length;
    }
    this.nameIndexes[4 * index] = this.indexOfName(entry.variant);
    this.nameIndexes[4 * index + 1] = this.indexOfName(entry.modelName);
    this.nameIndexes[4 * index + 2] = this.indexOfName(entry.alias);
    this.nameIndexes[4 * index + 3] = this.indexOfName(entry.version);
    this.numbers[3 * index] = entry.receivedAt;
    this.numbers[3 * index + 1] = entry.latencyMs;
    this.numbers[3 * index + 2] = entry.trafficShare ?? Number.NaN;
    this.rowCounts[index] = count;
    if (this.shadows) this.shadows.push(entry.shadow);
    else if (entry.shadow !== null)
      (this.shadows = new Array<ShadowScore[] | null>(index).fill(null)).push(entry.shadow);
  }

  private indexOfName(name: string): number {
    let index = this.nameIndex.get(name);
    if (index === undefined) this.nameIndex.set(name, (index = this.names.push(name) - 1));
    return index;
  }

  /**
   * The bundle, every array trimmed to what it holds (a clone copies a typed array's whole buffer);
   * the builder is then empty, ready for the next.
   */
  finish(): PredictionLogBundle {
    const rows = this.rows;
    const codes = new Int32Array(this.codeColumns.length * rows);
    for (let slot = 0; slot < this.codeColumns.length; slot++)
      codes.set(this.codeColumns[slot].subarray(0, rows), slot * rows);
    const columns = this.kinds.map((kind, index): ColumnValues | null => {
      if (kind === ColumnKind.Coded) return null;
      const slot = this.slots[index];
      return kind === ColumnKind.Text ? this.textColumns[slot] : this.numberColumns[slot].slice(0, rows);
    });
    const bundle: PredictionLogBundle = {
      layout: this.layout,
      replica: this.replica,
      ids: this.idParts.join(''),
      idLengths: this.idLengths.slice(0, 2 * this.entries),
      names: this.names,
      nameIndexes: this.nameIndexes.slice(0, 4 * this.entries),
      numbers: this.numbers.slice(0, 3 * this.entries),
      rowCounts: this.rowCounts.slice(0, this.entries),
      columns,
      codes,
      otherCells: this.otherCells,
      otherTexts: this.otherTexts,
      probabilities: this.probabilities.slice(0, rows),
      labels: this.labels.slice(0, rows),
      shadows: this.shadows,
    };
    this.empty();
    return bundle;
  }

  /** Starts the next bundle, in the arrays of this one unless they grew past {@link KEPT_ROWS}. */
  private empty(): void {
    this.entries = 0;
    this.rows = 0;
    this.idParts = [];
    this.names = [];
    this.nameIndex = new Map();
    this.otherCells = [];
    this.otherTexts = [];
    this.shadows = null;
    this.textColumns = this.textColumns.map(() => []);
    if (this.rowCapacity > KEPT_ROWS) this.resizeRows(FIRST_ROOM);
    if (this.entryCapacity > KEPT_ROWS) this.resizeEntries(FIRST_ROOM);
  }
}

/** A layout as the writer thread uses it: what it says, and the pieces of each row's features JSON. */
interface ParsedLayout extends BundleLayout {
  /** Per column, the text before its value: `{"name":` for the first, `,"name":` for the others. */
  keyTexts: readonly string[];
  /** Per coded column, the JSON of each code's text (`null` for ''); undefined for the others. */
  codeJson: readonly (readonly string[] | undefined)[];
}

/** The layouts the writer thread has read, by their text (one per version it has seen). */
const parsedLayouts = new Map<string, ParsedLayout>();
const MAX_PARSED_LAYOUTS = 64;

function parsedLayout(layout: string): ParsedLayout {
  let parsed = parsedLayouts.get(layout);
  if (!parsed) {
    if (parsedLayouts.size >= MAX_PARSED_LAYOUTS) parsedLayouts.clear();
    const { columnNames, codeTexts } = JSON.parse(layout) as BundleLayout;
    parsed = {
      columnNames,
      codeTexts,
      keyTexts: columnNames.map((name, index) => `${index === 0 ? '{' : ','}${JSON.stringify(name)}:`),
      codeJson: codeTexts.map((texts) => texts?.map(textJson)),
    };
    parsedLayouts.set(layout, parsed);
  }
  return parsed;
}

/** A text feature as JSON, as JSON.stringify writes it in the features object: '' is missing (null). */
function textJson(text: string | undefined): string {
  return text === '' || text === undefined ? 'null' : JSON.stringify(text);
}

/**
 * The records of a bundle's entries, one list per entry in order: what {@link recordsOf} gives for
 * each entry {@link bundleEntries} was given, except that each row's features come as the JSON text
 * JSON.stringify would write for them (FeaturesJson), made straight from the bundle's columns. No
 * entry, column view or features object is made per request or row in between (PERFORMANCE.md).
 */
export function bundleRecords(bundle: PredictionLogBundle): PredictionRecord[][] {
  const { columnNames, keyTexts, codeJson } = parsedLayout(bundle.layout);
  const rows = bundle.labels.length;
  const width = columnNames.length;
  // Per column, where a coded column's codes start in `codes` (-1: the column is in `columns`).
  const codesAt = new Int32Array(width).fill(-1);
  let coded = 0;
  for (let index = 0; index < width; index++) if (bundle.columns[index] === null) codesAt[index] = coded++ * rows;
  // Texts without a code, by their cell's place in `codes`.
  const otherTexts = new Map<number, string>();
  for (let other = 0; other < bundle.otherTexts.length; other++)
    otherTexts.set(bundle.otherCells[2 * other] * rows + bundle.otherCells[2 * other + 1], bundle.otherTexts[other]);

  /** A cell as JSON.stringify writes its logged value (loggedValue): NaN, ±Infinity, '' and absent cells as null. */
  const cellJson = (index: number, row: number): string => {
    const at = codesAt[index];
    if (at >= 0) {
      const code = bundle.codes[at + row];
      return code >= 0 ? ((codeJson[index] as readonly string[])[code] ?? 'null') : textJson(otherTexts.get(at + row));
    }
    const value = (bundle.columns[index] as ColumnValues)[row];
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
    return textJson(value);
  };
  const featuresJson = (row: number): FeaturesJson => {
    if (width === 0) return new FeaturesJson('{}');
    let text = '';
    for (let column = 0; column < width; column++) text += keyTexts[column] + cellJson(column, row);
    return new FeaturesJson(`${text}}`);
  };

  const count = bundle.rowCounts.length;
  const entries: PredictionRecord[][] = new Array(count);
  let idAt = 0;
  const nextId = (length: number): string | null => {
    if (length < 0) return null;
    const id = bundle.ids.slice(idAt, idAt + length);
    idAt += length;
    return id;
  };
  for (let index = 0, offset = 0; index < count; index++) {
    const requestId = nextId(bundle.idLengths[2 * index]) as string;
    const userId = nextId(bundle.idLengths[2 * index + 1]);
    const share = bundle.numbers[3 * index + 2];
    const shadow = bundle.shadows?.[index] ?? null;
    const records: PredictionRecord[] = new Array(bundle.rowCounts[index]);
    for (let row = 0; row < records.length; row++) {
      const at = offset + row;
      records[row] = {
        requestId,
        row,
        receivedAt: bundle.numbers[3 * index],
        userId,
        variant: bundle.names[bundle.nameIndexes[4 * index]] as Variant,
        modelName: bundle.names[bundle.nameIndexes[4 * index + 1]],
        alias: bundle.names[bundle.nameIndexes[4 * index + 2]],
        version: bundle.names[bundle.nameIndexes[4 * index + 3]],
        features: featuresJson(at),
        probability: bundle.probabilities[at],
        prediction: bundle.labels[at] as 0 | 1,
        latencyMs: bundle.numbers[3 * index + 1],
        trafficShare: Number.isNaN(share) ? null : share,
        shadow: shadow?.[row] ?? null,
        replica: bundle.replica,
      };
    }
    entries[index] = records;
    offset += records.length;
  }
  return entries;
}
