import { joinedCodes, joinInto, type ColumnValues } from '../model/feature-batch';
import type { PredictionRecord, Variant } from '../prediction-log';
import type { ScoredRequest, ShadowScore } from '../scoring/prediction-observer';

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

export function entryOf(request: ScoredRequest, replica: string, shadow: ShadowScore[] | null = null): PredictionLogEntry {
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
    const features: Record<string, number | string | null> = {};
    for (let index = 0; index < entry.columnNames.length; index++) {
      const value = entry.columns[index][row];
      features[entry.columnNames[index]] = typeof value === 'number' ? (Number.isFinite(value) ? value : null) : value === '' || value === undefined ? null : value;
    }
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
 * The entries of one turn of the event loop on their way to the writer thread, for one column
 * list: the rows joined column by column, the request fields as parallel lists. Cloned for the
 * thread as a few dozen arrays however many requests it holds; cloned entry by entry, a
 * single-customer request cost some sixty small objects (its one-value column arrays, its copy of
 * the column names), and that clone was the request thread's largest cost after the socket write.
 */
export interface PredictionLogBundle {
  columnNames: readonly string[];
  replica: string;
  requestIds: string[];
  receivedAt: number[];
  userIds: (string | null)[];
  variants: Variant[];
  trafficShares: (number | null)[];
  modelNames: string[];
  aliases: string[];
  versions: string[];
  latencyMs: number[];
  /** Rows of each entry, in order; the joined arrays below hold them one after the other. */
  rowCounts: number[];
  /**
   * Numbers with NaN for missing (joined columns as float64, in which float32 values are exact);
   * text with '' for missing, or as codes when the version is fed codes (a 1000-row batch's sixteen
   * text columns cost more to clone than everything else in it).
   */
  columns: (ColumnValues | CodedLogColumn)[];
  probabilities: Float32Array;
  labels: Int32Array;
  shadows: (ShadowScore[] | null)[];
}

/** A text column as codes: `texts[code]` for a code of 0 or more; a row with code -1 is missing ('') unless listed in `otherRows` with its text. */
export interface CodedLogColumn {
  codes: Int32Array;
  texts: readonly string[];
  otherRows: number[];
  otherTexts: string[];
}

/** Entries bundled by column list (each loaded version has its own list), in order within each bundle. */
export function bundleEntries(entries: readonly PredictionLogEntry[]): PredictionLogBundle[] {
  const byColumns = new Map<readonly string[], PredictionLogEntry[]>();
  for (const entry of entries) {
    const group = byColumns.get(entry.columnNames);
    if (group) group.push(entry);
    else byColumns.set(entry.columnNames, [entry]);
  }
  return [...byColumns.values()].map(bundleOf);
}

function bundleOf(entries: readonly PredictionLogEntry[]): PredictionLogBundle {
  let rows = 0;
  for (const entry of entries) rows += entryRows(entry);
  const first = entries[0];
  // One entry (a large batch, usually): its own arrays go as they are, with no copy before the clone's.
  const alone = entries.length === 1;
  const columns = first.columns.map((column, index): ColumnValues | CodedLogColumn => {
    const texts = first.codeTexts?.[index];
    if (texts !== undefined && entries.every((entry) => entry.categoryCodes?.[index] !== undefined)) return codedText(entries, index, rows, texts);
    if (alone) return column;
    const parts = entries.map((entry) => entry.columns[index]);
    return Array.isArray(column) ? joinInto(new Array<string>(rows), parts as string[][]) : joinInto(new Float64Array(rows), parts as (Float32Array | Float64Array)[]);
  });
  const probabilities = alone && first.probabilities instanceof Float32Array ? first.probabilities : joinInto(new Float32Array(rows), entries.map((entry) => entry.probabilities));
  const labels = alone && first.labels instanceof Int32Array ? first.labels : joinInto(new Int32Array(rows), entries.map((entry) => entry.labels));
  const bundle: PredictionLogBundle = {
    columnNames: first.columnNames,
    replica: first.replica,
    requestIds: [],
    receivedAt: [],
    userIds: [],
    variants: [],
    trafficShares: [],
    modelNames: [],
    aliases: [],
    versions: [],
    latencyMs: [],
    rowCounts: [],
    columns,
    probabilities,
    labels,
    shadows: [],
  };
  for (const entry of entries) {
    bundle.requestIds.push(entry.requestId);
    bundle.receivedAt.push(entry.receivedAt);
    bundle.userIds.push(entry.userId);
    bundle.variants.push(entry.variant);
    bundle.trafficShares.push(entry.trafficShare);
    bundle.modelNames.push(entry.modelName);
    bundle.aliases.push(entry.alias);
    bundle.versions.push(entry.version);
    bundle.latencyMs.push(entry.latencyMs);
    bundle.rowCounts.push(entryRows(entry));
    bundle.shadows.push(entry.shadow);
  }
  return bundle;
}

/** The entries' text column `index` as their codes joined, with the text of every uncoded row that is not missing (unknown categories). */
function codedText(entries: readonly PredictionLogEntry[], index: number, rows: number, texts: readonly string[]): CodedLogColumn {
  const otherRows: number[] = [];
  const otherTexts: string[] = [];
  const codes = joinedCodes(entries, index, rows, (at, text) => {
    if (text === '') return;
    otherRows.push(at);
    otherTexts.push(text);
  });
  return { codes, texts, otherRows, otherTexts };
}

function decodedText(column: CodedLogColumn): string[] {
  const text = new Array<string>(column.codes.length);
  for (let row = 0; row < text.length; row++) {
    const code = column.codes[row];
    text[row] = code >= 0 ? column.texts[code] : '';
  }
  for (let other = 0; other < column.otherRows.length; other++) text[column.otherRows[other]] = column.otherTexts[other];
  return text;
}

/** The entries a bundle was made of, their arrays views into the bundle's. */
export function unbundleEntries(bundle: PredictionLogBundle): PredictionLogEntry[] {
  const entries: PredictionLogEntry[] = new Array(bundle.rowCounts.length);
  const columns = bundle.columns.map((column): ColumnValues => (isCodedText(column) ? decodedText(column) : column));
  let offset = 0;
  for (let index = 0; index < entries.length; index++) {
    const end = offset + bundle.rowCounts[index];
    entries[index] = {
      requestId: bundle.requestIds[index],
      receivedAt: bundle.receivedAt[index],
      userId: bundle.userIds[index],
      variant: bundle.variants[index],
      trafficShare: bundle.trafficShares[index],
      modelName: bundle.modelNames[index],
      alias: bundle.aliases[index],
      version: bundle.versions[index],
      latencyMs: bundle.latencyMs[index],
      replica: bundle.replica,
      columnNames: bundle.columnNames,
      columns: columns.map((column) => (Array.isArray(column) ? column.slice(offset, end) : column.subarray(offset, end))),
      probabilities: bundle.probabilities.subarray(offset, end),
      labels: bundle.labels.subarray(offset, end),
      shadow: bundle.shadows[index],
    };
    offset = end;
  }
  return entries;
}

function isCodedText(column: ColumnValues | CodedLogColumn): column is CodedLogColumn {
  return !Array.isArray(column) && 'codes' in column;
}
