import { Pool, types, type PoolClient } from 'pg';

import { PredictionStoreStateError } from './prediction-store';
import type { SqlDatabase, SqlRow, SqlTransaction, SqlValue } from './sql-database';

/** A few connections per replica: writes are batched and reports are rare. */
export const POSTGRES_POOL_SIZE = 4;
export const POSTGRES_CONNECT_TIMEOUT_MS = 5_000;
/** The server cancels a statement after this long (a retention delete over a large log is the slowest). */
export const POSTGRES_STATEMENT_TIMEOUT_MS = 60_000;

/** Any 64-bit key, the same in every replica: it serialises their schema step. */
const SCHEMA_LOCK_KEY = 7_253_004_112;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * COUNT and SUM of integers come back as bigint or numeric, which pg gives as strings to keep their
 * precision; our counts and millisecond times are far below 2^53, so numbers are exact.
 */
const numericTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? (value: string) => Number(value)
      : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
};

/** `?` placeholders (the SQL both dialects share) as PostgreSQL's `$1, $2, …`. */
export function numberPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/** A PostgreSQL database shared by every replica, through a small pool. */
export class PostgresDatabase implements SqlDatabase {
  readonly schemaTypes = { keyText: 'TEXT COLLATE "C"' };
  private pool: Pool | undefined;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly description: string,
  ) {}

  async open(): Promise<void> {
    if (this.pool) return;
    this.pool = new Pool({
      connectionString: this.connectionString,
      max: POSTGRES_POOL_SIZE,
      connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
      query_timeout: POSTGRES_STATEMENT_TIMEOUT_MS + 5_000,
      application_name: 'inference-api',
      types: numericTypes,
    });
    // An idle connection dropped by the server (restart, failover) is reported here; without a
    // listener it would crash the process. The pool replaces it, and the next query reports any
    // lasting outage to its caller.
    this.pool.on('error', () => undefined);
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.executor(this.open_()).all(sql, params);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.executor(this.open_()).run(sql, params);
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.open_().connect();
    // The pool listens for errors on idle clients only. A server that goes away between two
    // statements of a transaction (a restart, an admin shutdown) makes a checked-out client emit
    // 'error', which unheard would end the process (or the writer thread). Heard, it fails the next
    // statement (the outage the caller retries), and the broken client is not put back in the pool.
    let broken: Error | undefined;
    const onError = (error: Error) => (broken ??= error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      try {
        const result = await work(this.executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackFailed: Error) => (broken ??= rollbackFailed));
        throw error;
      }
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /**
   * `CREATE TABLE IF NOT EXISTS` is not safe against a concurrent twin (both see no table, one
   * fails on the catalogue's unique index), so replicas starting together take turns on an
   * advisory lock held until the transaction ends.
   */
  createSchema(statements: readonly string[]): Promise<void> {
    return this.transaction(async (tx) => {
      await tx.all('SELECT pg_advisory_xact_lock(?)', [SCHEMA_LOCK_KEY]);
      for (const statement of statements) await tx.run(statement);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /**
   * SQLSTATE class 22 (data exception: a NUL byte in text, a value out of range, bad encoding) and
   * class 23 (integrity constraint violation) are the row's fault. Everything else — connection
   * errors, which carry no SQLSTATE, admin shutdown (57P), insufficient resources (53), a missing
   * table or privilege (42) — is the database's state, which a later attempt may find repaired.
   */
  isDataError(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
  }

  private executor(target: Pool | PoolClient): SqlTransaction {
    return {
      all: async (sql, params = []) => (await target.query(numberPlaceholders(sql), [...params])).rows as SqlRow[],
      run: async (sql, params = []) => (await target.query(numberPlaceholders(sql), [...params])).rowCount ?? 0,
      runEach: async (sql, rows) => {
        const numbered = numberPlaceholders(sql);
        const changes: number[] = [];
        for (const params of rows) changes.push((await target.query(numbered, [...params])).rowCount ?? 0);
        return changes;
      },
    };
  }

  private open_(): Pool {
    if (this.closed) throw new PredictionStoreStateError(`the prediction store ${this.description} is closed`);
    if (!this.pool)
      throw new PredictionStoreStateError(`the prediction store ${this.description} is used before init()`);
    return this.pool;
  }
}
