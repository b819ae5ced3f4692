import type { ColumnValues } from '../model/feature-batch';
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
