import { joinedCodes, joinInto, type ColumnValues } from '../model/feature-batch';
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
 * The entries of one turn of the event loop on their way to the writer thread, for one version:
 * the rows joined column by column, the request fields packed. Laid out for the structured clone,
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
  const byLayout = new Map<string, PredictionLogEntry[]>();
  for (const entry of entries) {
    const layout = layoutOf(entry);
    const group = byLayout.get(layout);
    if (group) group.push(entry);
    else byLayout.set(layout, [entry]);
  }
  return [...byLayout].map(([layout, group]) => bundleOf(layout, group));
}

function bundleOf(layout: string, entries: readonly PredictionLogEntry[]): PredictionLogBundle {
  let rows = 0;
  for (const entry of entries) rows += entryRows(entry);
  const first = entries[0];
  // One entry (a large batch, usually): its own arrays go as they are, with no copy before the clone's.
  const alone = entries.length === 1;
  const probabilities =
    alone && first.probabilities instanceof Float32Array
      ? first.probabilities
      : joinInto(
          new Float32Array(rows),
          entries.map((entry) => entry.probabilities),
        );
  const labels =
    alone && first.labels instanceof Int32Array
      ? first.labels
      : joinInto(
          new Int32Array(rows),
          entries.map((entry) => entry.labels),
        );
  return {
    layout,
    replica: first.replica,
    ...packedRequests(entries),
    ...joinedColumns(entries, rows),
    probabilities,
    labels,
  };
}

/** The entries' columns joined: numbers and text as arrays of all the rows, columns fed as codes into one array of codes. */
function joinedColumns(
  entries: readonly PredictionLogEntry[],
  rows: number,
): Pick<PredictionLogBundle, 'columns' | 'codes' | 'otherCells' | 'otherTexts'> {
  const first = entries[0];
  const coded = first.columns.map(
    (_, index) =>
      first.codeTexts?.[index] !== undefined && entries.every((entry) => entry.categoryCodes?.[index] !== undefined),
  );
  const codes = new Int32Array(coded.filter(Boolean).length * rows);
  const otherCells: number[] = [];
  const otherTexts: string[] = [];
  let ordinal = 0;
  const columns = first.columns.map((column, index): ColumnValues | null => {
    if (coded[index]) {
      const at = ordinal++;
      joinedCodes(
        entries,
        index,
        rows,
        (row, text) => {
          if (text === '') return;
          otherCells.push(at, row);
          otherTexts.push(text);
        },
        codes,
        at * rows,
      );
      return null;
    }
    if (entries.length === 1) return column; // its own array, as in bundleOf
    const parts = entries.map((entry) => entry.columns[index]);
    return Array.isArray(column)
      ? joinInto(new Array<string>(rows), parts as string[][])
      : joinInto(new Float64Array(rows), parts as (Float32Array | Float64Array)[]);
  });
  return { columns, codes, otherCells, otherTexts };
}

/** The entries' request fields packed: ids in one string, names as indexes, numbers in one array. */
function packedRequests(
  entries: readonly PredictionLogEntry[],
): Pick<PredictionLogBundle, 'ids' | 'idLengths' | 'names' | 'nameIndexes' | 'numbers' | 'rowCounts' | 'shadows'> {
  const count = entries.length;
  const idParts: string[] = new Array(2 * count);
  const idLengths = new Int32Array(2 * count);
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const indexOfName = (name: string): number => {
    let index = nameIndex.get(name);
    if (index === undefined) nameIndex.set(name, (index = names.push(name) - 1));
    return index;
  };
  const nameIndexes = new Int32Array(4 * count);
  const numbers = new Float64Array(3 * count);
  const rowCounts = new Int32Array(count);
  let shadows: (ShadowScore[] | null)[] | null = null;
  for (let index = 0; index < count; index++) {
    const entry = entries[index];
    idParts[2 * index] = entry.requestId;
    idParts[2 * index + 1] = entry.userId ?? '';
    idLengths[2 * index] = entry.requestId.length;
    idLengths[2 * index + 1] = entry.userId === null ? -1 : entry.userId.length;
    nameIndexes[4 * index] = indexOfName(entry.variant);
    nameIndexes[4 * index + 1] = indexOfName(entry.modelName);
    nameIndexes[4 * index + 2] = indexOfName(entry.alias);
    nameIndexes[4 * index + 3] = indexOfName(entry.version);
    numbers[3 * index] = entry.receivedAt;
    numbers[3 * index + 1] = entry.latencyMs;
    numbers[3 * index + 2] = entry.trafficShare ?? Number.NaN;
    rowCounts[index] = entryRows(entry);
    if (entry.shadow !== null) (shadows ??= new Array<ShadowScore[] | null>(count).fill(null))[index] = entry.shadow;
  }
  return { ids: idParts.join(''), idLengths, names, nameIndexes, numbers, rowCounts, shadows };
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
