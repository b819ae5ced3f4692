import {
  addToRollups,
  compareText,
  MINUTE_USERS,
  MINUTES,
  MinuteUsersSeen,
  rolledUpAssignments,
  rolledUpCounts,
  ROLLUP_TRIMS,
  rollupSchemaStatements,
  splitRange,
  trimRollups,
  USER_ROWS_PER_STATEMENT,
} from './prediction-rollups';
import {
  FeaturesJson,
  PredictionStoreInputError,
  type FeatureValues,
  type FeedbackLabel,
  type FeedbackOutcome,
  type InsertOutcome,
  type LabelKey,
  type PredictionQuery,
  type PredictionRecord,
  type PredictionStore,
  type PredictionStoreKind,
  type RejectedRow,
  type RetentionOutcome,
  type RetentionPolicy,
  type StoredPrediction,
  type StoredRejection,
  type Variant,
  type VariantAggregate,
  type VariantAssignments,
} from './prediction-store';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from './sql-database';

const PREDICTIONS = 'prediction_log';
const FEEDBACK = 'prediction_feedback';
const REJECTED = 'prediction_log_rejected';
const LOG_TABLES = [PREDICTIONS, FEEDBACK, REJECTED, MINUTES, MINUTE_USERS, ROLLUP_TRIMS];

/** Columns of {@link PREDICTIONS} in insert order; `row` is a reserved word in PostgreSQL, hence `row_index`. */
const PREDICTION_COLUMNS = [
  'request_id',
  'row_index',
  'received_at',
  'user_id',
  'variant',
  'model_name',
  'alias',
  'version',
  'features',
  'probability',
  'prediction',
  'latency_ms',
  'traffic_share',
  'shadow_alias',
  'shadow_version',
  'shadow_probability',
  'shadow_prediction',
  'replica',
] as const;

/**
 * Rows per multi-row INSERT: 18 parameters each stays far below SQLite's 32,766 and PostgreSQL's
 * 65,535 bound parameters per statement.
 */
const INSERT_CHUNK_ROWS = 500;
/** Request ids per `IN (…)` lookup when feedback arrives, for the same reason. */
const LOOKUP_CHUNK_KEYS = 500;
export const DEFAULT_PAGE_SIZE = 1_000;

const VARIANTS: readonly Variant[] = ['production', 'champion', 'challenger'];

/** Tables and indexes, as `CREATE … IF NOT EXISTS` so that init() can run on every start. */
function schemaStatements(kind: PredictionStoreKind, keyText: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${PREDICTIONS} (
      request_id ${keyText} NOT NULL,
      row_index INTEGER NOT NULL,
      received_at BIGINT NOT NULL,
      user_id ${keyText},
      variant ${keyText} NOT NULL,
      model_name ${keyText} NOT NULL,
      alias ${keyText} NOT NULL,
      version ${keyText} NOT NULL,
      features TEXT NOT NULL,
      probability DOUBLE PRECISION NOT NULL,
      prediction SMALLINT NOT NULL,
      latency_ms DOUBLE PRECISION NOT NULL,
      traffic_share DOUBLE PRECISION,
      shadow_alias ${keyText},
      shadow_version ${keyText},
      shadow_probability DOUBLE PRECISION,
      shadow_prediction SMALLINT,
      replica ${keyText} NOT NULL,
      PRIMARY KEY (request_id, row_index)
    )`,
    // Reads are always one model over a time range, paged by the same key they are ordered by.
    `CREATE INDEX IF NOT EXISTS ${PREDICTIONS}_model_time ON ${PREDICTIONS} (model_name, received_at, request_id, row_index)`,
    // Retention deletes by time alone, across models.
    `CREATE INDEX IF NOT EXISTS ${PREDICTIONS}_received_at ON ${PREDICTIONS} (received_at)`,
    `CREATE TABLE IF NOT EXISTS ${FEEDBACK} (
      request_id ${keyText} NOT NULL,
      row_index INTEGER NOT NULL,
      actual SMALLINT NOT NULL,
      labelled_at BIGINT NOT NULL,
      PRIMARY KEY (request_id, row_index)
    )`,
    `CREATE INDEX IF NOT EXISTS ${FEEDBACK}_labelled_at ON ${FEEDBACK} (labelled_at)`,
    // Rows the log set aside. No key: a row may be refused for its key itself (a duplicate, an
    // empty or unprintable request id), and what matters is keeping each one with its reason.
    `CREATE TABLE IF NOT EXISTS ${REJECTED} (
      request_id TEXT NOT NULL,
      row_index BIGINT NOT NULL,
      received_at BIGINT NOT NULL,
      rejected_at BIGINT NOT NULL,
      replica TEXT NOT NULL,
      reason TEXT NOT NULL,
      record TEXT NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS ${REJECTED}_rejected_at ON ${REJECTED} (rejected_at)`,
    ...rollupSchemaStatements(PREDICTIONS, keyText, kind),
  ];
}

/**
 * The prediction store on any {@link SqlDatabase}. Every statement is plain SQL that SQLite and
 * PostgreSQL evaluate alike (integer milliseconds, double-precision probabilities, byte-ordered
 * text keys), so both backends answer every method identically.
 */
export class SqlPredictionStore implements PredictionStore {
  /** A/B users this store's writes put in the users rollup lately. */
  private readonly usersSeen = new MinuteUsersSeen();

  constructor(
    readonly kind: PredictionStoreKind,
    readonly description: string,
    private readonly database: SqlDatabase,
  ) {}

  async init(): Promise<void> {
    await this.database.open();
    if (this.kind === 'postgres' && (await this.migrated())) return;
    try {
      await this.database.createSchema(schemaStatements(this.kind, this.database.schemaTypes.keyText));
    } catch (error) {
      if (this.kind !== 'postgres') throw error;
      throw new Error(
        `the prediction log's tables are missing and this role cannot create them (${(error as Error).message}): ` +
          'run `node main.js migrate-store` with INFERENCE_STORE_URL naming the owner role first',
      );
    }
  }

  async migrate(): Promise<void> {
    await this.database.open();
    await this.database.createSchema(schemaStatements(this.kind, this.database.schemaTypes.keyText));
  }

  /** Whether every table of the log exists in the role's schema (PostgreSQL's catalogue). */
  private async migrated(): Promise<boolean> {
    const rows = await this.database.all(
      `SELECT COUNT(*) AS present FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename IN (${LOG_TABLES.map(() => '?').join(', ')})`,
      LOG_TABLES,
    );
    return Number(rows[0]?.['present']) === LOG_TABLES.length;
  }

  async insert(records: readonly PredictionRecord[]): Promise<InsertOutcome> {
    records.forEach(checkRecord);
    if (records.length === 0) return { duplicates: [] };
    const outcome = await this.database
      .transaction(async (tx) => {
        // SQLite runs in this process: one compiled single-row statement per row is its fastest bulk
        // insert. PostgreSQL is a round trip away: a few statements of many rows each.
        const conflicts: PredictionRecord[] = [];
        const inserted: PredictionRecord[] = [];
        if (this.kind === 'sqlite') {
          const changes = await tx.runEach(insertSql(1), records.map(recordValues));
          changes.forEach((changed, index) => (changed === 0 ? conflicts : inserted).push(records[index]));
        } else {
          for (let start = 0; start < records.length; start += INSERT_CHUNK_ROWS) {
            const chunk = records.slice(start, start + INSERT_CHUNK_ROWS);
            const written = await tx.all(
              `${insertSql(chunk.length)} RETURNING request_id, row_index`,
              chunk.flatMap(recordValues),
            );
            const keys = new Set(
              written.map((row) => keyOf({ requestId: String(row.request_id), row: Number(row.row_index) })),
            );
            for (const record of chunk) (keys.delete(keyOf(record)) ? inserted : conflicts).push(record);
          }
        }
        const users = await addToRollups(
          tx,
          inserted,
          this.kind === 'sqlite' ? 1 : USER_ROWS_PER_STATEMENT,
          this.usersSeen,
        );
        return { users, duplicates: conflicts.length === 0 ? [] : await notAlreadyLogged(tx, conflicts) };
      })
      .catch((error: unknown) => {
        // Whether the rollup holds what this store remembers is unknown after a failure (a lost
        // connection, a failover): the next write reads the count afresh and writes every user.
        this.usersSeen.forget();
        throw error;
      });
    this.usersSeen.commit(outcome.users);
    return { duplicates: outcome.duplicates };
  }

  async reject(rows: readonly RejectedRow[], rejectedAt: number): Promise<void> {
    checkInteger('rejectedAt', rejectedAt);
    if (rows.length === 0) return;
    await this.database.transaction(async (tx) => {
      await tx.runEach(
        `INSERT INTO ${REJECTED} (request_id, row_index, received_at, rejected_at, replica, reason, record) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        rows.map(({ record, reason }) => [
          printable(record.requestId),
          Number.isSafeInteger(record.row) ? record.row : -1,
          Number.isSafeInteger(record.receivedAt) ? record.receivedAt : rejectedAt,
          rejectedAt,
          printable(record.replica),
          printable(reason),
          recordJson(record),
        ]),
      );
    });
  }

  async rejections(limit = DEFAULT_PAGE_SIZE): Promise<StoredRejection[]> {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new PredictionStoreInputError('limit', `must be a positive integer, got ${limit}`);
    const rows = await this.database.all(`SELECT * FROM ${REJECTED} ORDER BY rejected_at DESC LIMIT ?`, [limit]);
    return rows.map((row) => ({
      requestId: String(row.request_id),
      row: Number(row.row_index),
      receivedAt: Number(row.received_at),
      rejectedAt: Number(row.rejected_at),
      replica: String(row.replica),
      reason: String(row.reason),
      record: String(row.record),
    }));
  }

  isDataError(error: unknown): boolean {
    return error instanceof PredictionStoreInputError || this.database.isDataError(error);
  }

  async recordFeedback(
    labels: readonly FeedbackLabel[],
    options: { now: number; windowMs: number },
  ): Promise<FeedbackOutcome> {
    checkInteger('now', options.now);
    if (!(options.windowMs >= 0))
      throw new PredictionStoreInputError('windowMs', `must be a number of milliseconds >= 0, got ${options.windowMs}`);
    labels.forEach(checkLabel);
    const outcome: FeedbackOutcome = { joined: [], unknown: [], expired: [] };
    if (labels.length === 0) return outcome;
    const oldestAccepted = options.now - options.windowMs;
    await this.database.transaction(async (tx) => {
      const receivedAt = await receivedTimes(tx, labels);
      for (const label of labels) {
        const key: LabelKey = { requestId: label.requestId, row: label.row };
        const received = receivedAt.get(keyOf(label));
        if (received !== undefined && received < oldestAccepted) {
          outcome.expired.push(key);
          continue;
        }
        (received === undefined ? outcome.unknown : outcome.joined).push(key);
        await tx.run(
          `INSERT INTO ${FEEDBACK} (request_id, row_index, actual, labelled_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (request_id, row_index) DO UPDATE SET actual = excluded.actual, labelled_at = excluded.labelled_at`,
          [label.requestId, label.row, label.actual, options.now],
        );
      }
    });
    return outcome;
  }

  async *predictions(query: PredictionQuery, pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<StoredPrediction> {
    if (!Number.isSafeInteger(pageSize) || pageSize < 1)
      throw new PredictionStoreInputError('pageSize', `must be a positive integer, got ${pageSize}`);
    const range = rangeFilter(query);
    let after: SqlValue[] | undefined;
    for (;;) {
      const rows = await this.database.all(
        `SELECT p.*, f.actual, f.labelled_at
         FROM ${PREDICTIONS} p LEFT JOIN ${FEEDBACK} f ON f.request_id = p.request_id AND f.row_index = p.row_index
         WHERE ${range.sql}${after ? ' AND (p.received_at, p.request_id, p.row_index) > (?, ?, ?)' : ''}
         ORDER BY p.received_at, p.request_id, p.row_index
         LIMIT ?`,
        [...range.params, ...(after ?? []), pageSize],
      );
      for (const row of rows) yield storedPrediction(row);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = [Number(last.received_at), String(last.request_id), Number(last.row_index)];
    }
  }

  /** Counts and shadow sums from the per-minute rollups (see prediction-rollups.ts), labels joined from the feedback side. */
  async aggregate(query: PredictionQuery): Promise<VariantAggregate[]> {
    const range = rangeFilter(query);
    const counts = await rolledUpCounts(this.database, PREDICTIONS, query.modelName, splitRange(query));
    // Feedback first (CROSS JOIN keeps SQLite's join order): labels are the smaller side.
    const labelRows = await this.database.all(
      `SELECT p.variant, p.alias, p.version,
         COUNT(*) AS labelled,
         SUM(CASE WHEN f.actual = 1 AND p.prediction = 1 THEN 1 ELSE 0 END) AS true_positives,
         SUM(CASE WHEN f.actual = 0 AND p.prediction = 1 THEN 1 ELSE 0 END) AS false_positives,
         SUM(CASE WHEN f.actual = 0 AND p.prediction = 0 THEN 1 ELSE 0 END) AS true_negatives,
         SUM(CASE WHEN f.actual = 1 AND p.prediction = 0 THEN 1 ELSE 0 END) AS false_negatives
       FROM ${FEEDBACK} f CROSS JOIN ${PREDICTIONS} p
       WHERE p.request_id = f.request_id AND p.row_index = f.row_index AND ${range.sql}
       GROUP BY p.variant, p.alias, p.version`,
      range.params,
    );
    const labels = new Map(labelRows.map((row) => [JSON.stringify([row.variant, row.alias, row.version]), row]));
    return counts
      .map((group) => {
        const row = labels.get(JSON.stringify([group.variant, group.alias, group.version]));
        return {
          ...group,
          labelled: Number(row?.labelled ?? 0),
          truePositives: Number(row?.true_positives ?? 0),
          falsePositives: Number(row?.false_positives ?? 0),
          trueNegatives: Number(row?.true_negatives ?? 0),
          falseNegatives: Number(row?.false_negatives ?? 0),
        };
      })
      .sort(
        (a, b) =>
          compareText(a.variant, b.variant) || compareText(a.alias, b.alias) || compareText(a.version, b.version),
      );
  }

  async assignments(query: PredictionQuery & { trafficShare: number }): Promise<VariantAssignments> {
    if (!Number.isFinite(query.trafficShare))
      throw new PredictionStoreInputError('trafficShare', `must be a finite number, got ${query.trafficShare}`);
    rangeFilter(query);
    const users = await rolledUpAssignments(this.database, PREDICTIONS, query, splitRange(query));
    return { champion: users.get('champion') ?? 0, challenger: users.get('challenger') ?? 0 };
  }

  async applyRetention(policy: RetentionPolicy): Promise<RetentionOutcome> {
    checkInteger('cutoff', policy.cutoff);
    for (const name of ['maxRows', 'batchRows'] as const)
      if (!Number.isSafeInteger(policy[name]) || policy[name] < (name === 'maxRows' ? 0 : 1))
        throw new PredictionStoreInputError(
          name,
          `must be a whole number${name === 'maxRows' ? '' : ' >= 1'}, got ${policy[name]}`,
        );
    const outcome: RetentionOutcome = { predictions: 0, feedback: 0, rejected: 0 };
    // Oldest first, one batch per transaction: a sweep over millions of rows never holds the write
    // lock (or, for SQLite in this thread, the event loop) for more than one batch.
    const deleteBatches = async (where: string, params: () => Promise<SqlValue[] | undefined>) => {
      for (;;) {
        const bound = await params();
        if (bound === undefined) return;
        const deleted = await this.database.run(
          `DELETE FROM ${PREDICTIONS} WHERE (request_id, row_index) IN (
             SELECT request_id, row_index FROM ${PREDICTIONS} ${where} ORDER BY received_at, request_id, row_index LIMIT ?)`,
          bound,
        );
        outcome.predictions += deleted;
        if (deleted === 0) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await deleteBatches('WHERE received_at < ?', async () => [policy.cutoff, policy.batchRows]);
    if (policy.maxRows > 0) {
      await deleteBatches('', async () => {
        const [{ count }] = await this.database.all(`SELECT COUNT(*) AS count FROM ${PREDICTIONS}`);
        const excess = Number(count) - policy.maxRows;
        return excess > 0 ? [Math.min(excess, policy.batchRows)] : undefined;
      });
    }
    if (outcome.predictions > 0)
      await this.database.transaction(async (tx) => {
        // SQLite's transaction already holds the write lock; PostgreSQL's writers add to the
        // rollups after their rows, so holding them off the table keeps both in step.
        if (this.kind === 'postgres')
          await tx.run(`LOCK TABLE ${MINUTES}, ${MINUTE_USERS} IN SHARE ROW EXCLUSIVE MODE`);
        await trimRollups(tx, PREDICTIONS);
      });
    // A label whose prediction is still logged stays with it; one that never found its
    // prediction (or lost it just now) goes once it is itself older than the cutoff.
    outcome.feedback = await this.database.run(
      `DELETE FROM ${FEEDBACK} WHERE labelled_at < ? AND NOT EXISTS (
         SELECT 1 FROM ${PREDICTIONS} WHERE ${PREDICTIONS}.request_id = ${FEEDBACK}.request_id AND ${PREDICTIONS}.row_index = ${FEEDBACK}.row_index)`,
      [policy.cutoff],
    );
    outcome.rejected = await this.database.run(`DELETE FROM ${REJECTED} WHERE rejected_at < ?`, [policy.cutoff]);
    if (policy.maxRows > 0) {
      outcome.rejected += await this.database.run(
        `DELETE FROM ${REJECTED} WHERE rejected_at < (
           SELECT MIN(rejected_at) FROM (SELECT rejected_at FROM ${REJECTED} ORDER BY rejected_at DESC LIMIT ?) newest)`,
        [policy.maxRows],
      );
    }
    return outcome;
  }

  close(): Promise<void> {
    return this.database.close();
  }
}

function keyOf(key: LabelKey): string {
  return JSON.stringify([key.requestId, key.row]);
}

/** receivedAt of every logged prediction the labels name, by {@link keyOf}. */
async function receivedTimes(tx: SqlExecutor, labels: readonly FeedbackLabel[]): Promise<Map<string, number>> {
  const requestIds = [...new Set(labels.map((label) => label.requestId))];
  const found = new Map<string, number>();
  for (let start = 0; start < requestIds.length; start += LOOKUP_CHUNK_KEYS) {
    const chunk = requestIds.slice(start, start + LOOKUP_CHUNK_KEYS);
    const rows = await tx.all(
      `SELECT request_id, row_index, received_at FROM ${PREDICTIONS} WHERE request_id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const row of rows)
      found.set(keyOf({ requestId: String(row.request_id), row: Number(row.row_index) }), Number(row.received_at));
  }
  return found;
}

/**
 * The conflicting records that are not already logged as they are: a write retried after its
 * commit went through (a connection lost at COMMIT) finds its own rows, which count as written.
 * Served by the same replica at the same millisecond with the same version and score is "the same".
 */
async function notAlreadyLogged(tx: SqlExecutor, conflicts: readonly PredictionRecord[]): Promise<PredictionRecord[]> {
  const logged = new Map<string, SqlRow>();
  const requestIds = [...new Set(conflicts.map((record) => record.requestId))];
  for (let start = 0; start < requestIds.length; start += LOOKUP_CHUNK_KEYS) {
    const chunk = requestIds.slice(start, start + LOOKUP_CHUNK_KEYS);
    const rows = await tx.all(
      `SELECT request_id, row_index, received_at, replica, version, probability FROM ${PREDICTIONS} WHERE request_id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const row of rows) logged.set(keyOf({ requestId: String(row.request_id), row: Number(row.row_index) }), row);
  }
  return conflicts.filter((record) => {
    const row = logged.get(keyOf(record));
    return !(
      row &&
      Number(row.received_at) === record.receivedAt &&
      String(row.replica) === record.replica &&
      String(row.version) === record.version &&
      Number(row.probability) === record.probability
    );
  });
}

/** Text with control characters (NUL included, which PostgreSQL refuses in text) written as \uXXXX escapes. */
function printable(text: unknown): string {
  return String(text).replace(CONTROL_CHARACTERS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A record as JSON text that keeps what JSON cannot say: NaN and ±Infinity become the strings
 * "NaN", "Infinity", "-Infinity", and a bigint its digits; a record that still cannot be written
 * (a cycle) is kept as its printable text.
 */
function recordJson(record: PredictionRecord): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) =>
      (typeof value === 'number' && !Number.isFinite(value)) || typeof value === 'bigint' ? String(value) : value,
    );
  } catch (error) {
    return JSON.stringify({ unserialisable: printable(String(record)), error: (error as Error).message });
  }
}

function rangeFilter(query: PredictionQuery): { sql: string; params: SqlValue[] } {
  if (typeof query.modelName !== 'string' || query.modelName === '')
    throw new PredictionStoreInputError('modelName', 'must be a non-empty string');
  const clauses = ['p.model_name = ?'];
  const params: SqlValue[] = [query.modelName];
  if (query.since !== undefined) {
    checkInteger('since', query.since);
    clauses.push('p.received_at >= ?');
    params.push(query.since);
  }
  if (query.until !== undefined) {
    checkInteger('until', query.until);
    clauses.push('p.received_at < ?');
    params.push(query.until);
  }
  return { sql: clauses.join(' AND '), params };
}

/** INSERT of `rows` records, a re-inserted key ignored. */
function insertSql(rows: number): string {
  const tuple = `(${PREDICTION_COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO ${PREDICTIONS} (${PREDICTION_COLUMNS.join(', ')}) VALUES ${new Array<string>(rows).fill(tuple).join(', ')}
           ON CONFLICT (request_id, row_index) DO NOTHING`;
}

function recordValues(record: PredictionRecord): SqlValue[] {
  const shadow = record.shadow;
  return [
    record.requestId,
    record.row,
    record.receivedAt,
    record.userId,
    record.variant,
    record.modelName,
    record.alias,
    record.version,
    featuresJson(record),
    record.probability,
    record.prediction,
    record.latencyMs,
    record.trafficShare,
    shadow?.alias ?? null,
    shadow?.version ?? null,
    shadow?.probability ?? null,
    shadow?.prediction ?? null,
    record.replica,
  ];
}

/**
 * The features as JSON text: NaN and ±Infinity become null, the missing value the features already
 * use; control characters are escaped, so NUL never reaches PostgreSQL's text. Text made beforehand
 * (FeaturesJson) is the same JSON.stringify's, written as it is.
 * @throws PredictionStoreInputError when JSON cannot hold a value (a bigint, a cycle)
 */
function featuresJson(record: PredictionRecord): string {
  if (record.features instanceof FeaturesJson) return record.features.text;
  try {
    return JSON.stringify(record.features);
  } catch (error) {
    throw new PredictionStoreInputError(
      `request ${printable(record.requestId)}, row ${record.row}: features`,
      (error as Error).message,
    );
  }
}

function storedPrediction(row: SqlRow): StoredPrediction {
  const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    requestId: String(row.request_id),
    row: Number(row.row_index),
    receivedAt: Number(row.received_at),
    userId: row.user_id === null ? null : String(row.user_id),
    variant: row.variant as Variant,
    modelName: String(row.model_name),
    alias: String(row.alias),
    version: String(row.version),
    features: JSON.parse(String(row.features)) as FeatureValues,
    probability: Number(row.probability),
    prediction: Number(row.prediction) as 0 | 1,
    latencyMs: Number(row.latency_ms),
    trafficShare: nullableNumber(row.traffic_share),
    shadow:
      row.shadow_alias === null
        ? null
        : {
            alias: String(row.shadow_alias),
            version: String(row.shadow_version),
            probability: Number(row.shadow_probability),
            prediction: Number(row.shadow_prediction) as 0 | 1,
          },
    replica: String(row.replica),
    actual: nullableNumber(row.actual) as 0 | 1 | null,
    labelledAt: nullableNumber(row.labelled_at),
  };
}

function checkInteger(field: string, value: number): void {
  if (!Number.isSafeInteger(value))
    throw new PredictionStoreInputError(field, `must be an integer number of milliseconds, got ${value}`);
}

/** Text columns of a record: what PostgreSQL refuses (NUL) or a log reader would trip over (other control characters) must not reach them. */
const TEXT_FIELDS = ['requestId', 'userId', 'modelName', 'alias', 'version', 'replica'] as const;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, 'g');

/**
 * Why the store would refuse a record, as the field (relative to the record) and the problem; undefined
 * when it is fine. These checks keep both backends identical: SQLite would store NaN as NULL (and
 * fail NOT NULL) where PostgreSQL keeps it, would keep a fractional time PostgreSQL's BIGINT refuses,
 * and keeps NUL in text where PostgreSQL refuses the whole statement.
 * @example predictionRecordProblem({ ...record, probability: NaN }) // { field: 'probability', problem: 'must be a finite number, got NaN' }
 */
export function predictionRecordProblem(record: PredictionRecord): { field: string; problem: string } | undefined {
  const problem = (field: string, text: string) => ({ field, problem: text });
  if (typeof record.requestId !== 'string' || record.requestId === '')
    return problem('requestId', 'must be a non-empty string');
  for (const field of TEXT_FIELDS) {
    const value = record[field];
    if (value === null && field === 'userId') continue;
    if (typeof value !== 'string') return problem(field, `must be a string, got ${typeof value}`);
    const control = CONTROL_CHARACTER.exec(value);
    if (control)
      return problem(
        field,
        `must not contain control characters, got U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} at ${control.index}`,
      );
  }
  if (!Number.isSafeInteger(record.row) || record.row < 0)
    return problem('row', `must be an integer >= 0, got ${record.row}`);
  if (!Number.isSafeInteger(record.receivedAt))
    return problem('receivedAt', `must be an integer number of milliseconds, got ${record.receivedAt}`);
  if (!VARIANTS.includes(record.variant))
    return problem('variant', `must be one of ${VARIANTS.join(', ')}, got ${String(record.variant)}`);
  if (!Number.isFinite(record.probability))
    return problem('probability', `must be a finite number, got ${record.probability}`);
  if (record.prediction !== 0 && record.prediction !== 1)
    return problem('prediction', `must be 0 or 1, got ${String(record.prediction)}`);
  if (!Number.isFinite(record.latencyMs))
    return problem('latencyMs', `must be a finite number, got ${record.latencyMs}`);
  if (record.trafficShare !== null && !Number.isFinite(record.trafficShare))
    return problem('trafficShare', `must be a finite number or null, got ${record.trafficShare}`);
  if (typeof record.features !== 'object' || record.features === null)
    return problem('features', 'must be an object of column values');
  if (record.shadow) {
    for (const field of ['alias', 'version'] as const) {
      const value = record.shadow[field];
      if (typeof value !== 'string' || CONTROL_CHARACTER.test(value))
        return problem(`shadow.${field}`, 'must be a string without control characters');
    }
    if (!Number.isFinite(record.shadow.probability))
      return problem('shadow.probability', `must be a finite number, got ${record.shadow.probability}`);
    if (record.shadow.prediction !== 0 && record.shadow.prediction !== 1)
      return problem('shadow.prediction', `must be 0 or 1, got ${String(record.shadow.prediction)}`);
  }
  return undefined;
}

function checkRecord(record: PredictionRecord, index: number): void {
  const found = predictionRecordProblem(record);
  if (found)
    throw new PredictionStoreInputError(
      `records[${index}] (request ${printable(record.requestId)}, row ${record.row}).${found.field}`,
      found.problem,
    );
}

function checkLabel(label: FeedbackLabel, index: number): void {
  if (typeof label.requestId !== 'string')
    throw new PredictionStoreInputError(`labels[${index}].requestId`, 'must be a string');
  if (!Number.isSafeInteger(label.row))
    throw new PredictionStoreInputError(`labels[${index}].row`, `must be an integer, got ${label.row}`);
  if (label.actual !== 0 && label.actual !== 1)
    throw new PredictionStoreInputError(`labels[${index}].actual`, `must be 0 or 1, got ${String(label.actual)}`);
}
