import { Worker } from 'node:worker_threads';

import {
  emptyWriterStats,
  PredictionLogWriter,
  RotatingJsonlFile,
  type DropReason,
  type PredictionLogWriterStats,
  type PredictionStore,
} from './index';
import {
  entryRows,
  PredictionLogBundler,
  recordsOf,
  type PredictionLogBundle,
  type PredictionLogEntry,
} from './prediction-log-entry';
import { SQLITE_BUSY_TIMEOUT_MS } from './sqlite-database';

/** What the log writer needs to know, plain data so it can be handed to a thread. */
export interface PredictionLogSettings {
  storeUrl: string;
  queueCapacity: number;
  batchSize: number;
  flushIntervalMs: number;
  jsonl: { path: string; maxBytes: number; keep: number } | undefined;
}

/**
 * Where scored requests go on their way to the store. `enqueue` never waits, and throws only for an
 * entry that does not fit its version's columns (a bug upstream), counting nothing of it.
 */
export interface PredictionLogSink {
  enqueue(entry: PredictionLogEntry): void;
  readonly stats: PredictionLogWriterStats;
  /** Resolves once everything enqueued so far has been written (or has failed and stays queued). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Messages between the main thread and the writer thread. */
export type ToWriterThread =
  | { type: 'entries'; bundles: PredictionLogBundle[] }
  | { type: 'flush'; id: number }
  | { type: 'close' }
  /** Write no more batches, so that a close that overran ends (PredictionLogWriter.abandonWrites). */
  | { type: 'stop' };
export type FromWriterThread =
  | { type: 'stats'; stats: PredictionLogWriterStats }
  /** Sent once a message of entries has been taken into the writer's queue, with the rows it held. */
  | { type: 'taken'; rows: number; stats: PredictionLogWriterStats }
  | { type: 'flushed'; id: number }
  | { type: 'error'; message: string };

/** The subcommand the bundle runs as in the writer thread (see main.ts). */
export const PREDICTION_LOG_THREAD_COMMAND = 'prediction-log-writer';

/**
 * Expands and writes in the calling thread: what the in-process test applications use, since a
 * thread needs the built bundle to start from.
 */
export class InThreadSink implements PredictionLogSink {
  private readonly writer: PredictionLogWriter;

  constructor(store: PredictionStore, settings: PredictionLogSettings, onError: (message: string) => void) {
    this.writer = new PredictionLogWriter({
      store,
      jsonl: settings.jsonl ? new RotatingJsonlFile(settings.jsonl) : undefined,
      queueCapacity: settings.queueCapacity,
      batchSize: settings.batchSize,
      flushIntervalMs: settings.flushIntervalMs,
      onError: (error) => onError(error.message),
    });
  }

  enqueue(entry: PredictionLogEntry): void {
    this.writer.enqueue(recordsOf(entry));
  }

  get stats(): PredictionLogWriterStats {
    return this.writer.stats;
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

/** How long shutdown waits for the writer thread's last flush before giving up on it. */
export const CLOSE_TIMEOUT_MS = 30_000;
/**
 * How long a writer thread told to stop has to finish its close before it is terminated. It starts
 * no batch after the one in flight, and a batch makes at most two SQLite transactions (its rows,
 * then the rows set aside), each waiting at most the busy timeout for the lock. Terminating it is
 * the last resort: inside a SQLite call that then fails, it aborts the whole process
 * (better-sqlite3 cannot create the error in a terminating thread).
 */
export const STOP_GRACE_MS = 2 * SQLITE_BUSY_TIMEOUT_MS + 5_000;
/** How long bundled entries wait for others before they are posted to the writer thread (see WorkerThreadSink). */
export const POST_INTERVAL_MS = 10;
/** Pause before a writer thread that died is started again. */
export const RESTART_DELAY_MS = 1000;

/** Counts of the sink's own and of its threads', added up. */
function sumStats(...parts: PredictionLogWriterStats[]): PredictionLogWriterStats {
  const total = emptyWriterStats();
  const droppedBy = total.droppedBy as Record<DropReason, number>;
  for (const part of parts) {
    const sum = total as { -readonly [K in keyof PredictionLogWriterStats]: PredictionLogWriterStats[K] };
    sum.received += part.received;
    sum.written += part.written;
    sum.rejected += part.rejected;
    sum.dropped += part.dropped;
    sum.failedWrites += part.failedWrites;
    sum.queued += part.queued;
    for (const reason of Object.keys(droppedBy) as DropReason[]) droppedBy[reason] += part.droppedBy[reason];
  }
  return total;
}

/**
 * Hands entries to a writer thread, which expands them into rows and owns the store connection and
 * the JSONL file: building a record per row, serialising features and the database's own work then
 * cost the request-serving thread nothing. Each entry is copied into its version's bundle as it
 * arrives (PredictionLogBundler), so no entry's arrays are held: held for a while (a timer, a row
 * count), entries outlived the young generation and were promoted, which made every scavenge copy
 * them and took the request thread's p99 from single to double-digit milliseconds. The bundles (a
 * few flat arrays each) are posted together every {@link POST_INTERVAL_MS}, or at the end of the
 * turn in which a store batch's worth of rows came to wait (not inside the request that tipped it,
 * before its answer): a message per turn cost both threads a wake-up and a message each way.
 * Batching for the store happens on the other side. Beyond `queueCapacity` rows waiting, requests
 * are not logged and counted as dropped.
 */
export class WorkerThreadSink implements PredictionLogSink {
  private worker!: Worker;
  /** Entries not posted yet, in their bundles. */
  private bundler = new PredictionLogBundler();
  /** Rows handed to this sink, and those it dropped itself (its bound reached, or closing). */
  private receivedHere = 0;
  private readonly droppedHere: Record<DropReason, number> = { queue_full: 0, closed: 0, writer_exit: 0 };
  /** The current thread's last report, and the final counts of the threads before it. */
  private remote = emptyWriterStats();
  private earlierThreads = emptyWriterStats();
  /**
   * Rows posted to the thread that it has not taken yet. Counted here, not reported by the thread:
   * a thread that cannot keep up has a backlog of messages it has not read, and its timers (its
   * periodic report) do not run while it works through them, so its own figures would say the
   * queue is empty while unread rows pile up without bound.
   */
  private inFlightRows = 0;
  private readonly flushWaiters = new Map<number, () => void>();
  private nextFlushId = 0;
  private closing = false;
  /** False between a thread's exit and its successor's start: entries wait here meanwhile. */
  private alive = false;
  private postScheduled = false;
  private readonly postScheduledBundles = () => {
    this.postScheduled = false;
    this.send();
  };
  private batchSendScheduled = false;
  private readonly sendWaitingBatch = () => {
    this.batchSendScheduled = false;
    this.send();
  };

  constructor(
    private readonly script: string,
    private readonly settings: PredictionLogSettings,
    private readonly onError: (message: string) => void,
  ) {
    this.start();
  }

  /** @throws {Error} for an entry its version's bundle cannot take (PredictionLogBundler.append); nothing of it is counted */
  enqueue(entry: PredictionLogEntry): void {
    const rows = entryRows(entry);
    if (
      this.closing ||
      this.bundler.rows + this.inFlightRows + this.remote.queued + rows > this.settings.queueCapacity
    ) {
      this.receivedHere += rows;
      this.droppedHere[this.closing ? 'closed' : 'queue_full'] += rows;
      return;
    }
    this.bundler.append(entry);
    this.receivedHere += rows;
    if (this.bundler.rows >= this.settings.batchSize) {
      if (!this.batchSendScheduled) {
        this.batchSendScheduled = true;
        setImmediate(this.sendWaitingBatch);
      }
    } else if (!this.postScheduled) {
      this.postScheduled = true;
      setTimeout(this.postScheduledBundles, POST_INTERVAL_MS).unref();
    }
  }

  /**
   * Rows handed to the thread count as received here, not there, and as queued until the thread
   * has taken them: so `received = written + rejected + dropped + queued` holds at every moment.
   */
  get stats(): PredictionLogWriterStats {
    const here = emptyWriterStats();
    const local = here as { -readonly [K in keyof PredictionLogWriterStats]: PredictionLogWriterStats[K] };
    local.received = this.receivedHere - this.remote.received - this.earlierThreads.received;
    local.droppedBy = { ...this.droppedHere };
    local.dropped = this.droppedHere.queue_full + this.droppedHere.closed + this.droppedHere.writer_exit;
    local.queued = this.bundler.rows + this.inFlightRows;
    return sumStats(here, this.earlierThreads, this.remote);
  }

  flush(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    this.send();
    const id = this.nextFlushId++;
    return new Promise((resolve) => {
      this.flushWaiters.set(id, resolve);
      if (this.post({ type: 'flush', id })) return;
      this.flushWaiters.delete(id);
      resolve();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (!this.alive) {
      // Between a thread's exit and its successor: nothing can write what waits here.
      this.droppedHere.closed += this.bundler.rows;
      this.bundler = new PredictionLogBundler();
      return;
    }
    this.send();
    // Not events.once: it rejects on an 'error' event, and an 'exit' always follows one.
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.post({ type: 'close' });
    if ((await Promise.race([exited, timeAfter(CLOSE_TIMEOUT_MS)])) === 'timeout') {
      this.onError(`the prediction log's writer thread did not finish within ${CLOSE_TIMEOUT_MS} ms; stopping it`);
      this.post({ type: 'stop' });
      if ((await Promise.race([exited, timeAfter(STOP_GRACE_MS)])) === 'timeout') {
        this.onError(`the prediction log's writer thread did not stop within ${STOP_GRACE_MS} ms; terminating it`);
        await this.worker.terminate();
      }
    }
    for (const resolve of this.flushWaiters.values()) resolve();
    this.flushWaiters.clear();
  }

  private start(): void {
    this.worker = new Worker(this.script, { argv: [PREDICTION_LOG_THREAD_COMMAND], workerData: this.settings });
    this.alive = true;
    this.worker.on('message', (message: FromWriterThread) => {
      if (message.type === 'stats') this.remote = message.stats;
      else if (message.type === 'taken') {
        this.inFlightRows -= message.rows;
        this.remote = message.stats;
      } else if (message.type === 'error') this.onError(message.message);
      else {
        this.flushWaiters.get(message.id)?.();
        this.flushWaiters.delete(message.id);
      }
    });
    this.worker.on('error', (error) => this.onError(`the prediction log's writer thread failed: ${error.message}`));
    this.worker.on('exit', (code) => {
      // What it held (by its last report) and what it had not taken yet is lost with it: dropped,
      // reason writer_exit, or closed when it was stopped while closing (a thread that closes
      // cleanly reports nothing held first). Rows it wrote after that report are in the store but
      // counted dropped.
      const lost = this.remote.queued + this.inFlightRows;
      this.earlierThreads = sumStats(this.earlierThreads, { ...this.remote, queued: 0 });
      this.remote = emptyWriterStats();
      this.droppedHere[this.closing ? 'closed' : 'writer_exit'] += lost;
      this.inFlightRows = 0;
      this.alive = false;
      for (const resolve of this.flushWaiters.values()) resolve();
      this.flushWaiters.clear();
      if (this.closing) {
        if (lost > 0)
          this.onError(`the prediction log's writer thread stopped while closing; ${lost} row(s) it held are dropped`);
        return;
      }
      this.onError(
        `the prediction log's writer thread exited with code ${code}; ${lost} row(s) it held are dropped; starting a new one`,
      );
      setTimeout(() => {
        // Closed meanwhile: close() has counted what waited here, and no thread may outlive it.
        if (this.closing) return;
        this.start();
        this.send();
      }, RESTART_DELAY_MS).unref();
    });
  }

  /** Posts every entry waiting to the writer thread, unless there is none (between threads, they wait). */
  private send(): void {
    const rows = this.bundler.rows;
    if (rows === 0 || !this.alive) return;
    const bundles = this.bundler.take();
    if (this.post({ type: 'entries', bundles })) this.inFlightRows += rows;
    // Not handed over, so never to be taken: dropped, like rows a thread held when it exited.
    else this.droppedHere.writer_exit += rows;
  }

  /** Posts `message`; false (reported) when the thread cannot be given it. */
  private post(message: ToWriterThread): boolean {
    try {
      this.worker.postMessage(message);
      return true;
    } catch (error) {
      this.onError(`could not hand a message to the prediction log's writer thread: ${(error as Error).message}`);
      return false;
    }
  }
}

/** Resolves 'timeout' after `ms`, keeping no process alive for it. */
function timeAfter(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}
