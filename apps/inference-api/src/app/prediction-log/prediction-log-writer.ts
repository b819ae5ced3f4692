// The bounded queue between scored requests and the shared store: batches rows into the store,
// sets aside the rows the store refuses, and rides out store outages without losing queued rows.
import { setImmediate as nextTurn } from 'node:timers/promises';

import type { PredictionRecord, PredictionStore, RejectedRow } from './prediction-store';
import type { RotatingJsonlFile } from './rotating-jsonl-file';
import { predictionRecordProblem } from './sql-prediction-store';

export interface PredictionLogWriterOptions {
  store: PredictionStore;
  /** Also append every record here, once, for log shippers. */
  jsonl?: RotatingJsonlFile;
  /** Rows held at most, including the batch being written; more are dropped and counted. */
  queueCapacity: number;
  /** Rows per store write; reaching it starts a write without waiting for the timer. */
  batchSize: number;
  /** A partial batch waits at most this long. */
  flushIntervalMs: number;
  /** Longest pause between attempts while the store is out (the first pause is flushIntervalMs, doubling). */
  maxRetryDelayMs?: number;
  /** Told of every failed store or JSONL write and every rejected row (the writer itself never throws). */
  onError?: (error: Error) => void;
  /** The clock rejections are stamped with. */
  now?: () => number;
}

/** Why rows were dropped: the queue was full, the writer was closed, or the thread holding them ended. */
export const DROP_REASONS = ['queue_full', 'closed', 'writer_exit'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/**
 * Live counters, for `/metrics`. Every row handed to the log is in exactly one place:
 * `received = written + rejected + dropped + queued` at every moment.
 */
export interface PredictionLogWriterStats {
  /** Rows handed to the log. */
  readonly received: number;
  /** Rows the store accepted. */
  readonly written: number;
  /** Rows the store refused (bad values, a request id already logged), kept in its rejected-rows table. */
  readonly rejected: number;
  /** Rows lost: the sum of {@link droppedBy}. */
  readonly dropped: number;
  readonly droppedBy: Readonly<Record<DropReason, number>>;
  /** Store writes that failed for an outage; their rows stayed queued for the next attempt. */
  readonly failedWrites: number;
  /** Rows held now, the batch in flight included. */
  readonly queued: number;
}

export const DEFAULT_MAX_RETRY_DELAY_MS = 5_000;

/** A writer option that cannot work; names the option. */
export class PredictionLogWriterOptionsError extends Error {
  override readonly name = 'PredictionLogWriterOptionsError';
}

/** Counts of no rows at all. */
export function emptyWriterStats(): PredictionLogWriterStats {
  return {
    received: 0,
    written: 0,
    rejected: 0,
    dropped: 0,
    droppedBy: { queue_full: 0, closed: 0, writer_exit: 0 },
    failedWrites: 0,
    queued: 0,
  };
}

/**
 * A queued row: whether the JSONL file has it already (a retried store write must not repeat it
 * there), and once the store has refused it, why (it then waits only for the rejected-rows table).
 */
interface QueuedRow {
  record: PredictionRecord;
  shipped: boolean;
  rejection?: string;
  done?: boolean;
}

/** A store error that a later attempt may get past (connection, lock, disk); it ends the current run. */
class StoreOutage extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Takes prediction records off the request path: `enqueue` only appends to a bounded queue, and
 * batches go to the store in the background, one write in flight at a time.
 *
 * Two kinds of failure are told apart, because they need opposite answers. A row the store refuses
 * (a NaN probability, NUL in a text field, a request id already logged) fails again however often
 * it is retried: it is checked before the batch and, should the database still refuse the batch,
 * found by halving it, then set aside in the rejected-rows table with its reason, and the rows
 * behind it go on. A store outage (PostgreSQL down, a locked or full SQLite file) keeps every row
 * queued and retries with a doubling pause; only the queue's bound drops rows, counted.
 */
export class PredictionLogWriter {
  private readonly queue: QueuedRow[] = [];
  private readonly counters = {
    received: 0,
    written: 0,
    rejected: 0,
    failedWrites: 0,
    droppedBy: { queue_full: 0, closed: 0, writer_exit: 0 } as Record<DropReason, number>,
  };
  private readonly timer: NodeJS.Timeout;
  private readonly maxRetryDelayMs: number;
  private readonly now: () => number;
  private running: Promise<void> | undefined;
  private closed = false;
  /** Set by abandonWrites(): no batch is started any more. */
  private abandoned = false;
  /** Consecutive failed attempts, and when the next may start. */
  private outages = 0;
  private retryAt = 0;

  constructor(private readonly options: PredictionLogWriterOptions) {
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    for (const [name, value] of [
      ['queueCapacity', options.queueCapacity],
      ['batchSize', options.batchSize],
      ['flushIntervalMs', options.flushIntervalMs],
      ['maxRetryDelayMs', this.maxRetryDelayMs],
    ] as const) {
      if (!(Number.isSafeInteger(value) && value > 0))
        throw new PredictionLogWriterOptionsError(`${name} must be a positive integer, got ${value}`);
    }
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => {
      if (!this.running && this.queue.length > 0 && Date.now() >= this.retryAt) void this.write('all');
    }, options.flushIntervalMs);
    // A pending flush must not keep a finished process alive; close() flushes on shutdown.
    this.timer.unref();
  }

  /** A snapshot of the counters (plain data: it crosses to the main thread as it is). */
  get stats(): PredictionLogWriterStats {
    const { received, written, rejected, failedWrites, droppedBy } = this.counters;
    return {
      received,
      written,
      rejected,
      dropped: droppedBy.queue_full + droppedBy.closed + droppedBy.writer_exit,
      droppedBy: { ...droppedBy },
      failedWrites,
      queued: this.queue.length,
    };
  }

  /** Queues the rows of one request, all or none; false when they were dropped. Never throws. */
  enqueue(records: readonly PredictionRecord[]): boolean {
    this.counters.received += records.length;
    if (this.closed || this.queue.length + records.length > this.options.queueCapacity) {
      this.counters.droppedBy[this.closed ? 'closed' : 'queue_full'] += records.length;
      return false;
    }
    for (const record of records) this.queue.push({ record, shipped: false });
    if (!this.running && this.queue.length >= this.options.batchSize && Date.now() >= this.retryAt)
      void this.write('full-batches');
    return true;
  }

  /** Writes every row queued now (after the write in flight), outage pause or not; an outage leaves rows queued. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    await this.write('all');
  }

  /**
   * Stops the timer, flushes, and closes the JSONL file; the store stays open (it is shared). Rows
   * the last flush could not write are dropped and counted (reason `closed`).
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    this.counters.droppedBy.closed += this.queue.length;
    this.queue.length = 0;
    await this.options.jsonl?.close().catch((error: unknown) => this.report(error));
  }

  /**
   * Starts no more batches, the one in flight aside: what is queued stays queued, and close() counts
   * it dropped (reason `closed`). For a close that overran: the writer thread is then told to stop
   * and must exit between two store calls, never inside one (prediction-log-sink.ts, STOP_GRACE_MS).
   */
  abandonWrites(): void {
    this.abandoned = true;
  }

  /**
   * One run of batches over the rows queued at its start: all of them, or as many full batches as
   * they make. Stops at an outage, so an outage costs one attempt per pause. Between batches it lets
   * the event loop turn: a store whose calls are synchronous (SQLite) would otherwise hold the thread
   * for the whole run, and messages (abandonWrites) could not reach it. Rows that arrive meanwhile
   * wait for the next run, so a flush or close waiting on this one is not kept waiting by new load.
   */
  private write(mode: 'all' | 'full-batches'): Promise<void> {
    const run = async () => {
      let remaining = this.queue.length;
      while (
        !this.abandoned &&
        this.queue.length > 0 &&
        (mode === 'all' ? remaining > 0 : remaining >= this.options.batchSize)
      ) {
        const batch = this.queue.slice(0, this.options.batchSize);
        let outage: StoreOutage | undefined;
        try {
          await this.writeBatch(batch);
        } catch (error) {
          outage = error instanceof StoreOutage ? error : new StoreOutage(error);
        }
        // Rows written or set aside leave the queue even when an outage cut the batch short.
        const left = batch.filter((row) => !row.done);
        this.queue.splice(0, batch.length, ...left);
        remaining -= batch.length - left.length;
        if (outage) {
          this.counters.failedWrites++;
          this.outages++;
          this.retryAt = Date.now() + this.retryDelay();
          this.report(outage.cause);
          return;
        }
        this.outages = 0;
        this.retryAt = 0;
        await nextTurn();
      }
    };
    const running = run().finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /** flushIntervalMs doubling per consecutive outage up to maxRetryDelayMs, less up to a fifth at random (replicas spread out). */
  private retryDelay(): number {
    const doubled = Math.min(this.options.flushIntervalMs * 2 ** Math.min(this.outages - 1, 30), this.maxRetryDelayMs);
    return Math.round(doubled * (1 - Math.random() * 0.2));
  }

  /** @throws {StoreOutage} when the store cannot be written now; rows done before it are marked done */
  private async writeBatch(batch: readonly QueuedRow[]): Promise<void> {
    const unshipped = batch.filter((row) => !row.shipped);
    if (this.options.jsonl && unshipped.length > 0) {
      // The file is a copy for shippers, not the record: a failed append is reported, not retried.
      await this.options.jsonl.append(unshipped.map((row) => row.record)).catch((error: unknown) => this.report(error));
    }
    for (const row of unshipped) row.shipped = true;
    const toInsert: QueuedRow[] = [];
    for (const row of batch) {
      if (row.rejection !== undefined) continue;
      const found = predictionRecordProblem(row.record);
      if (found) row.rejection = `${found.field}: ${found.problem}`;
      else toInsert.push(row);
    }
    try {
      await this.insert(toInsert);
    } finally {
      // Set aside what was found so far, outage or not: those rows must not wait for the next attempt.
      await this.setAside(batch.filter((row) => row.rejection !== undefined && !row.done));
    }
  }

  /**
   * Inserts the rows; when the store refuses the batch for its data, halves it until the refused
   * rows stand alone, so k bad rows in n cost about 2k·log2(n) statements and no good row is lost.
   */
  private async insert(rows: readonly QueuedRow[]): Promise<void> {
    if (rows.length === 0) return;
    let duplicates: PredictionRecord[];
    try {
      ({ duplicates } = await this.options.store.insert(rows.map((row) => row.record)));
    } catch (error) {
      if (!this.options.store.isDataError(error)) throw new StoreOutage(error);
      if (rows.length === 1) {
        rows[0].rejection = (error as Error).message;
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await this.insert(rows.slice(0, half));
      await this.insert(rows.slice(half));
      return;
    }
    const duplicate = new Set(duplicates);
    for (const row of rows) {
      if (duplicate.has(row.record)) {
        row.rejection = `duplicate: request ${row.record.requestId} row ${row.record.row} is already logged with another prediction`;
      } else {
        row.done = true;
        this.counters.written++;
      }
    }
  }

  private async setAside(rows: QueuedRow[]): Promise<void> {
    if (rows.length === 0) return;
    const rejected: RejectedRow[] = rows.map((row) => ({ record: row.record, reason: row.rejection as string }));
    try {
      await this.options.store.reject(rejected, this.now());
    } catch (error) {
      throw new StoreOutage(error);
    }
    for (const row of rows) row.done = true;
    this.counters.rejected += rows.length;
    this.report(
      new Error(
        `prediction log set aside ${rows.length} row(s) the store refuses (kept in its rejected-rows table): ${rejected[0].reason}`,
      ),
    );
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A throwing error hook must not stop the writer; there is nowhere further to report to.
    }
  }
}
