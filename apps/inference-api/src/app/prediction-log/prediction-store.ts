import type { Variant } from '../observation/prediction-observer';

export type { Variant };

/** What the challenger answered for the same row when shadow scoring was on (never returned to the caller). */
export interface ShadowResult {
  alias: string;
  version: string;
  probability: number;
  prediction: 0 | 1;
}

/**
 * One scored row as the prediction log keeps it. `(requestId, row)` is the key: a `/predict` batch
 * of n customers gives rows 0..n-1 of one request id. Re-inserting a row already logged (a retried
 * write) changes nothing; a different prediction under a key already taken (a client that reused
 * its request id) is not logged but reported as a duplicate, for the rejected rows.
 */
export interface PredictionRecord {
  requestId: string;
  row: number;
  /** Milliseconds since the epoch, an integer. */
  receivedAt: number;
  userId: string | null;
  variant: Variant;
  modelName: string;
  alias: string;
  version: string;
  /** Stored as JSON text; NaN and ±Infinity become null there (JSON has no such numbers). */
  features: FeatureValues | FeaturesJson;
  probability: number;
  prediction: 0 | 1;
  latencyMs: number;
  /** The challenger's share in force when the request was A/B-routed, else null. */
  trafficShare: number | null;
  shadow: ShadowResult | null;
  /** Which process served it. */
  replica: string;
}

/** A row's features by column name, the missing ones null. */
export type FeatureValues = Record<string, number | string | null>;

/**
 * Features already written as the JSON text the store keeps them in: the writer thread makes it
 * straight from a bundle's columns, with no object per row in between (bundleRecords). The text is
 * JSON.stringify's for the values, keys in column order (an object would put names that are array
 * indexes, like "7", first; both parse to the same values). Trusted as valid JSON without control
 * characters: the store writes it unchecked, so only bundleRecords makes one.
 */
export class FeaturesJson {
  constructor(readonly text: string) {}

  /** The values, for JSON.stringify of a whole record (the JSONL copy, a row set aside). */
  toJSON(): FeatureValues {
    return JSON.parse(this.text) as FeatureValues;
  }
}

export interface LabelKey {
  requestId: string;
  row: number;
}

/** Ground truth for one logged row. */
export interface FeedbackLabel extends LabelKey {
  actual: 0 | 1;
}

/**
 * Where each label went: `joined` to a prediction inside the feedback window, `unknown` (no such
 * prediction yet; kept, so it joins once a batched write brings the prediction), `expired` (the
 * prediction is older than the window; not kept).
 */
export interface FeedbackOutcome {
  joined: LabelKey[];
  unknown: LabelKey[];
  expired: LabelKey[];
}

/** A logged prediction with the ground truth joined to it at read time (null until a label arrives). */
export interface StoredPrediction extends PredictionRecord {
  features: FeatureValues;
  actual: 0 | 1 | null;
  labelledAt: number | null;
}

/** The predictions of one registered model whose receivedAt lies in [since, until). */
export interface PredictionQuery {
  modelName: string;
  since?: number;
  until?: number;
}

/**
 * Counts for one (variant, alias, version) group. The confusion matrix covers labelled rows only;
 * the shadow sums cover rows with a shadow result, as differences shadow − served probability.
 */
export interface VariantAggregate {
  variant: Variant;
  alias: string;
  version: string;
  count: number;
  labelled: number;
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
  shadowCount: number;
  shadowAgreements: number;
  /** Σ(shadow − served) probability. */
  shadowDifferenceSum: number;
  /** Σ|shadow − served| probability. */
  shadowAbsDifferenceSum: number;
  /** max |shadow − served| probability; null without shadow rows. */
  shadowAbsDifferenceMax: number | null;
}

/** Distinct user ids the A/B split sent to each side. */
export interface VariantAssignments {
  champion: number;
  challenger: number;
}

export interface RetentionOutcome {
  predictions: number;
  feedback: number;
  rejected: number;
}

/** What retention keeps: rows received at or after `cutoff`, and at most `maxRows` of the newest (0: no limit). */
export interface RetentionPolicy {
  cutoff: number;
  maxRows: number;
  /** Rows deleted per statement (and transaction), so that no single delete holds the database for long. */
  batchRows: number;
}

/** What {@link PredictionStore.insert} did not log: rows whose key holds a different prediction already. */
export interface InsertOutcome {
  duplicates: PredictionRecord[];
}

/** A row the log set aside instead of writing, and why. */
export interface RejectedRow {
  record: PredictionRecord;
  reason: string;
}

/** A set-aside row as kept in the rejected-rows table: its key fields made printable, the whole record as JSON text. */
export interface StoredRejection {
  requestId: string;
  row: number;
  receivedAt: number;
  rejectedAt: number;
  replica: string;
  reason: string;
  /** The record as JSON, NaN and ±Infinity written as strings and control characters escaped, so nothing about it is lost. */
  record: string;
}

/** The backends a prediction store runs on. */
export type PredictionStoreKind = 'sqlite' | 'postgres';

/**
 * The prediction log and ground-truth feedback every inference-api replica shares: a SQLite file on
 * one host, PostgreSQL for several. Both backends run the same SQL and answer identically.
 */
export interface PredictionStore {
  readonly kind: PredictionStoreKind;
  /** Where the store lives, with any password masked: for logs and /ready. */
  readonly description: string;
  /**
   * Opens the connection and makes sure the tables exist: on a PostgreSQL schema that is already
   * migrated it runs no DDL (the runtime role may not), otherwise it creates tables and indexes
   * ({@link migrate}); safe when two processes race at start.
   */
  init(): Promise<void>;
  /** Opens the connection and creates whatever tables and indexes are missing (`main.js migrate-store`, as the owner role). */
  migrate(): Promise<void>;
  /**
   * Writes every record in one transaction; a key already present is left as it is, and a record
   * that differs from the one logged under its key is returned as a duplicate.
   * @throws PredictionStoreInputError for a record that {@link predictionRecordProblem} refuses;
   *   whatever the database throws otherwise (see {@link isDataError})
   */
  insert(records: readonly PredictionRecord[]): Promise<InsertOutcome>;
  /** Keeps rows that cannot be logged, with their reasons, in the rejected-rows table; never refuses one for its content. */
  reject(rows: readonly RejectedRow[], rejectedAt: number): Promise<void>;
  /** The newest set-aside rows first, at most `limit`. */
  rejections(limit?: number): Promise<StoredRejection[]>;
  /** Whether an error thrown by {@link insert} is the rows' fault (retrying cannot help) rather than an outage. */
  isDataError(error: unknown): boolean;
  /** Keeps labels (last one wins, labelled at `now`) unless their prediction is older than `now − windowMs`. */
  recordFeedback(
    labels: readonly FeedbackLabel[],
    options: { now: number; windowMs: number },
  ): Promise<FeedbackOutcome>;
  /** Every matching prediction, ordered by receivedAt, requestId, row, read a page at a time. */
  predictions(query: PredictionQuery, pageSize?: number): AsyncIterable<StoredPrediction>;
  /** Per (variant, alias, version): counts, confusion matrix of labelled rows, shadow agreement. */
  aggregate(query: PredictionQuery): Promise<VariantAggregate[]>;
  /** Distinct user ids per side among rows A/B-routed with exactly this challenger share (the sample-ratio check). */
  assignments(query: PredictionQuery & { trafficShare: number }): Promise<VariantAssignments>;
  /**
   * Retention: predictions received before the cutoff or beyond the newest `maxRows`, oldest first,
   * a batch per transaction; feedback labelled before the cutoff whose prediction is gone; rejected
   * rows set aside before the cutoff or beyond the newest `maxRows`.
   */
  applyRetention(policy: RetentionPolicy): Promise<RetentionOutcome>;
  close(): Promise<void>;
}

/** A record or query the store refuses, named by field (and by request id and row for records). */
export class PredictionStoreInputError extends Error {
  override readonly name = 'PredictionStoreInputError';

  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** The store was used before `init()` or after `close()`. */
export class PredictionStoreStateError extends Error {
  override readonly name = 'PredictionStoreStateError';
}
