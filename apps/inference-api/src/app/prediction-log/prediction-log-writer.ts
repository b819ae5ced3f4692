import type { PredictionRecord, PredictionStore } from './prediction-store';
import type { RotatingJsonlFile } from './rotating-jsonl-file';

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
  /** Told of every failed store or JSONL write (the writer itself never throws). */
  onError?: (error: Error) => void;
}

/** Live counters, for `/metrics`. */
export interface PredictionLogWriterStats {
  /** Rows the store accepted. */
  readonly written: number;
  /** Rows refused because the queue was full (or the writer closed). */
  readonly dropped: number;
  /** Store writes that failed; their rows stayed queued for the next attempt. */
  readonly failedWrites: number;
  /** Rows held now, the batch in flight included. */
  readonly queued: number;
}

/** A writer option that cannot work; names the option. */
export class PredictionLogWriterOptionsError extends Error {
  override readonly name = 'PredictionLogWriterOptionsError';
}

/** A queued row, and whether the JSONL file has it already (a retried store write must not repeat it there). */
interface QueuedRow {
  record: PredictionRecord;
  shipped: boolean;
}

/**
 * Takes prediction records off the request path: `enqueue` only appends to a bounded queue, and
 * batches go to the store in the background, one write in flight at a time. A store outage keeps
 * the rows queued (up to capacity) and retries them on the next tick; what does not fit is dropped
 * and counted rather than slowing or failing predictions.
 */
export class PredictionLogWriter {
  readonly stats: PredictionLogWriterStats;
  private readonly queue: QueuedRow[] = [];
  private readonly counters = { written: 0, dropped: 0, failedWrites: 0 };
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: PredictionLogWriterOptions) {
    for (const name of ['queueCapacity', 'batchSize', 'flushIntervalMs'] as const) {
      const value = options[name];
      if (!(Number.isSafeInteger(value) && value > 0))
        throw new PredictionLogWriterOptionsError(`${name} must be a positive integer, got ${value}`);
    }
    const { counters, queue } = this;
    this.stats = {
      get written() {
        return counters.written;
      },
      get dropped() {
        return counters.dropped;
      },
      get failedWrites() {
        return counters.failedWrites;
      },
      get queued() {
        return queue.length;
      },
    };
    this.timer = setInterval(() => {
      if (!this.running && this.queue.length > 0) void this.write('all');
    }, options.flushIntervalMs);
    // A pending flush must not keep a finished process alive; close() flushes on shutdown.
    this.timer.unref();
  }

  /** Queues the rows of one request, all or none; false when they were dropped. Never throws. */
  enqueue(records: readonly PredictionRecord[]): boolean {
    if (this.closed || this.queue.length + records.length > this.options.queueCapacity) {
      this.counters.dropped += records.length;
      return false;
    }
    for (const record of records) this.queue.push({ record, shipped: false });
    if (!this.running && this.queue.length >= this.options.batchSize) void this.write('full-batches');
    return true;
  }

  /** Writes every row queued now (after the write in flight); a failed write leaves its rows queued. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    await this.write('all');
  }

  /** Stops the timer, flushes, and closes the JSONL file; the store stays open (it is shared). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.options.jsonl?.close().catch((error: unknown) => this.report(error));
  }

  /**
   * One run of batches: while full batches are queued, or until the rows queued at the start are
   * written. Stops at the first failure, so an outage costs one attempt per tick.
   */
  private write(mode: 'all' | 'full-batches'): Promise<void> {
    const run = async () => {
      let remaining = this.queue.length;
      while (this.queue.length > 0 && (mode === 'all' ? remaining > 0 : this.queue.length >= this.options.batchSize)) {
        const batch = this.queue.slice(0, this.options.batchSize);
        if (!(await this.writeBatch(batch))) return;
        this.queue.splice(0, batch.length);
        remaining -= batch.length;
      }
    };
    const running = run().finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  private async writeBatch(batch: readonly QueuedRow[]): Promise<boolean> {
    const unshipped = batch.filter((row) => !row.shipped);
    if (this.options.jsonl && unshipped.length > 0) {
      // The file is a copy for shippers, not the record: a failed append is reported, not retried.
      await this.options.jsonl.append(unshipped.map((row) => row.record)).catch((error: unknown) => this.report(error));
    }
    for (const row of unshipped) row.shipped = true;
    try {
      await this.options.store.insert(batch.map((row) => row.record));
    } catch (error) {
      this.counters.failedWrites++;
      this.report(error);
      return false;
    }
    this.counters.written += batch.length;
    return true;
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A throwing error hook must not stop the writer; there is nowhere further to report to.
    }
  }
}
