/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | null;

/** A result row as the driver gives it, column name to value. */
export type SqlRow = Record<string, unknown>;

/** Runs statements written with `?` placeholders, in whichever dialect sits below. */
export interface SqlExecutor {
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** A statement without result rows; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** What a transaction's work gets: statements, and one statement run once per parameter row (an embedded database's fastest bulk insert). */
export interface SqlTransaction extends SqlExecutor {
  /** Resolves to the number of rows each run changed, in order. */
  runEach(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<number[]>;
}

/**
 * The little a {@link SqlPredictionStore} needs from a database: statements, transactions, and a
 * schema step that two processes starting together cannot both run at once. Every statement the
 * store sends is written once in SQL that SQLite and PostgreSQL read alike; only `schemaTypes`
 * differ (PostgreSQL's text keys take the "C" collation so that both order them byte-wise).
 */
export interface SqlDatabase extends SqlExecutor {
  readonly schemaTypes: { keyText: string };
  open(): Promise<void>;
  /** Runs `work` in one transaction, committed when it resolves and rolled back when it rejects. */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** Runs the DDL statements in one transaction that excludes every other process's schema step. */
  createSchema(statements: readonly string[]): Promise<void>;
  close(): Promise<void>;
  /**
   * Whether `error` (thrown by a statement) is about the values sent — a row the database refuses,
   * which fails again however often it is retried — rather than about the database being
   * unreachable, locked, full or misconfigured, which a later attempt may get past.
   */
  isDataError(error: unknown): boolean;
}
