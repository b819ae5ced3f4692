import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import Database from 'better-sqlite3';

import { SQLITE_MEMORY } from '../config/prediction-store-url';
import { PredictionStoreStateError } from './prediction-store';
import type { SqlDatabase, SqlRow, SqlTransaction, SqlValue } from './sql-database';

/** How long a statement waits for another process's write lock on the file before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * The tail of the call queue of each SQLite file open in this process, shared by every connection
 * to it. A transaction that awaits between BEGIN and COMMIT would otherwise deadlock a second
 * connection of the same process: its BEGIN IMMEDIATE blocks the event loop for the whole busy
 * timeout, and the first transaction cannot reach its COMMIT meanwhile. Other processes are
 * separate threads of control, and the busy timeout serves them.
 */
const callQueues = new Map<string | symbol, Promise<unknown>>();

/** SQLite result codes (and their extended forms, e.g. SQLITE_CONSTRAINT_NOTNULL) that a row's values cause. */
const SQLITE_DATA_ERROR_CODES = ['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG', 'SQLITE_RANGE'];

/**
 * The size in bytes of a database page in a store file this process creates: four times SQLite's
 * default, so a page holds four times as many of the log's rows (a few hundred bytes each, appended
 * to a table and three indexes). The log-writer suite measures the writer's CPU per row with both
 * (bench/RESULTS.md, PERFORMANCE.md).
 */
export const SQLITE_PAGE_BYTES = 16_384;

/** Compiled statements kept per connection. */
const MAX_CACHED_STATEMENTS = 64;

/**
 * A SQLite file shared by the processes of one host. WAL lets readers and one writer work at once,
 * the busy timeout makes a second process wait for the lock instead of failing, and
 * synchronous=NORMAL is durable across process crashes (WAL mode loses at most the last commits on
 * power loss), which suits a log.
 *
 * better-sqlite3 is synchronous, so each statement blocks the event loop while it runs (and up to
 * the busy timeout while another process holds the lock). Its one connection is used by one call
 * at a time: a transaction's awaits would otherwise let another call's statements into it.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly schemaTypes = { keyText: 'TEXT' };
  private connection: Database.Database | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;
  private readonly queueKey: string | symbol;

  constructor(readonly path: string) {
    // An in-memory database is private to its connection, so it queues alone.
    this.queueKey = path === SQLITE_MEMORY ? Symbol(path) : path;
  }

  async open(): Promise<void> {
    if (this.connection) return;
    if (this.path !== SQLITE_MEMORY) mkdirSync(dirname(this.path), { recursive: true });
    const connection = new Database(this.path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    try {
      // Takes effect only on a file that holds no database yet (new or empty); others keep theirs.
      connection.pragma(`page_size = ${SQLITE_PAGE_BYTES}`);
      await enableWal(connection);
      connection.pragma('synchronous = NORMAL');
    } catch (error) {
      connection.close();
      throw error;
    }
    this.connection = connection;
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.exclusive(async () => this.executor().all(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.exclusive(async () => this.executor().run(sql, params));
  }

  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    // IMMEDIATE takes the write lock up front (waiting up to the busy timeout): a deferred
    // transaction that reads first and writes later could fail at once with SQLITE_BUSY when
    // another process wrote in between.
    return this.exclusive(async () => {
      const connection = this.open_();
      connection.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.executor());
        connection.exec('COMMIT');
        return result;
      } catch (error) {
        if (connection.inTransaction) connection.exec('ROLLBACK');
        throw error;
      }
    });
  }

  createSchema(statements: readonly string[]): Promise<void> {
    return this.transaction(async (tx) => {
      for (const statement of statements) await tx.run(statement);
    });
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      this.closed = true;
      this.connection?.close();
      this.connection = undefined;
      this.statements.clear();
    });
  }

  /**
   * Constraint and type errors, and better-sqlite3's own refusals of a value it cannot bind, are the
   * row's fault; busy and locked files, I/O errors, a full disk or a closed store are not.
   */
  isDataError(error: unknown): boolean {
    if (error instanceof TypeError || error instanceof RangeError) return true;
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && SQLITE_DATA_ERROR_CODES.some((prefix) => code.startsWith(prefix));
  }

  /** Statements straight on the connection; only inside {@link exclusive}. */
  private executor(): SqlTransaction {
    const connection = this.open_();
    return {
      all: async (sql, params = []) => this.prepared(connection, sql).all(...params) as SqlRow[],
      run: async (sql, params = []) => this.prepared(connection, sql).run(...params).changes,
      runEach: async (sql, rows) => {
        const statement = this.prepared(connection, sql);
        return rows.map((params) => statement.run(...params).changes);
      },
    };
  }

  /**
   * The connection's compiled statement for `sql`, compiled once: the log writes the same few
   * statements thousands of times, and compiling each time cost as much as the insert itself.
   */
  private prepared(connection: Database.Database, sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      // Statements with a varying shape (IN lists of different lengths) must not grow the cache without bound.
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      statement = connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private open_(): Database.Database {
    if (this.closed) throw new PredictionStoreStateError(`the prediction store sqlite:${this.path} is closed`);
    if (!this.connection)
      throw new PredictionStoreStateError(`the prediction store sqlite:${this.path} is used before init()`);
    return this.connection;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = (callQueues.get(this.queueKey) ?? Promise.resolve()).then(work);
    const tail = result.catch(() => undefined);
    callQueues.set(this.queueKey, tail);
    // The last call out removes the entry, so closed files leave nothing behind.
    void tail.then(() => {
      if (callQueues.get(this.queueKey) === tail) callQueues.delete(this.queueKey);
    });
    return result;
  }
}

/**
 * Switches the file to WAL, waiting while another process holds its lock: SQLite can answer a
 * journal-mode change with SQLITE_BUSY at once, without its busy handler, when two replicas open
 * (and create) one file at the same moment.
 */
async function enableWal(connection: Database.Database): Promise<void> {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      connection.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    }
  }
}
