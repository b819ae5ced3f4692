import type { ColumnValues, FeatureBatch, FeatureBatchBuilder } from '../model/feature-batch';
import type { LoadedModel } from '../model/loaded-model';
import type { ModelSlot } from '../model/model-slot';
import { COALESCE_MAX_ROWS } from '../model/score-coalescer';
import type { ShadowScore } from '../observation/prediction-observer';

/** Jobs taken from the queue per step: as many as the version would join into one call at most. */
const JOBS_PER_STEP = COALESCE_MAX_ROWS;

/** What became of one request handed to the shadow queue. */
export type ShadowOutcome = 'scored' | 'dropped' | 'failed';

/** What the shadow queue has done so far. */
export interface ShadowStats {
  scored: number;
  dropped: number;
  failed: number;
  queued: number;
  /** Estimated memory the queued requests hold (see {@link featureBatchBytes}). */
  queuedBytes: number;
}

/** Per row, what a parsed request holds beside its values (the row's object and its keys). */
const ROW_OVERHEAD_BYTES = 64;
/** Per text value, V8's string header and the array slot pointing to it. */
const TEXT_OVERHEAD_BYTES = 24;

/**
 * Roughly what a request held for the shadow queue keeps in memory: its feature values (numbers as
 * stored, text at two bytes a character plus a header) and a per-row overhead. A job holds the
 * request's parsed rows until the challenger has read them, which is about as large again; the
 * estimate is for bounding the queue, not for accounting to the byte.
 * @example featureBatchBytes({ rowCount: 2, columns: [new Float64Array(2), ['ab', 'c']] }) // 2*64 + 16 + (24+4) + (24+2) = 198
 */
export function featureBatchBytes(batch: Pick<FeatureBatch, 'rowCount' | 'columns'>): number {
  let bytes = batch.rowCount * ROW_OVERHEAD_BYTES;
  for (const column of batch.columns as ColumnValues[]) {
    if (!Array.isArray(column)) {
      bytes += column.byteLength;
      continue;
    }
    for (const text of column) bytes += TEXT_OVERHEAD_BYTES + 2 * (text?.length ?? 0);
  }
  return bytes;
}

interface ShadowJob {
  slot: ModelSlot;
  bytes: number;
  prepare: (builder: FeatureBatchBuilder) => FeatureBatch;
  settle: (scores: ShadowScore[] | null) => void;
}

/**
 * Scores requests a second time with the challenger, after their response is on its way. One call
 * runs at a time and the queue is bounded: when the challenger cannot keep up, requests go
 * unshadowed (counted) instead of piling up memory or taking CPU from the requests being answered.
 * Each job rebuilds its rows with the challenger's own column plan, since versions may differ in
 * their inputs; the jobs waiting for one slot are handed to it in the same turn, so the version's
 * own batching (score-coalescer.ts) scores them in one call, a call's fixed cost being many times a row's.
 */
export class ShadowScorer {
  private readonly queue: ShadowJob[] = [];
  private queuedBytes = 0;
  private draining = false;
  private closed = false;
  private readonly counts = { scored: 0, dropped: 0, failed: 0 };

  /**
   * @param capacity requests queued at most
   * @param onOutcome told of every request: scored, dropped (queue full) or failed (with why)
   * @param capacityBytes estimated bytes queued at most: a few large batches fill the queue as
   *   surely as many small requests (one request alone is always taken)
   */
  constructor(
    private readonly capacity: number,
    private readonly onOutcome: (outcome: ShadowOutcome, error?: Error) => void = () => undefined,
    private readonly capacityBytes = Number.POSITIVE_INFINITY,
  ) {}

  get stats(): ShadowStats {
    return { ...this.counts, queued: this.queue.length, queuedBytes: this.queuedBytes };
  }

  /**
   * Queues a request for the challenger; never throws, never waits.
   * @returns the challenger's scores when they exist, null when the queue was full or scoring failed
   */
  submit(
    slot: ModelSlot,
    prepare: (builder: FeatureBatchBuilder) => FeatureBatch,
    bytes = 0,
  ): Promise<ShadowScore[] | null> {
    if (
      this.closed ||
      this.queue.length >= this.capacity ||
      (this.queue.length > 0 && this.queuedBytes + bytes > this.capacityBytes)
    ) {
      this.counts.dropped++;
      this.onOutcome('dropped');
      return Promise.resolve(null);
    }
    return new Promise((settle) => {
      this.queue.push({ slot, bytes, prepare, settle });
      this.queuedBytes += bytes;
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Stops taking jobs; those queued are still scored. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await new Promise((resolve) => setImmediate(resolve));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        await this.scoreTogether(this.takeGroup());
        // Let waiting I/O (new requests) run between shadow calls.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  /** The next queued jobs for the first job's slot, in order, at most JOBS_PER_STEP (at least one). */
  private takeGroup(): ShadowJob[] {
    const group = [this.queue.shift() as ShadowJob];
    while (this.queue.length > 0 && this.queue[0].slot === group[0].slot && group.length < JOBS_PER_STEP)
      group.push(this.queue.shift() as ShadowJob);
    for (const job of group) this.queuedBytes -= job.bytes;
    return group;
  }

  private async scoreTogether(jobs: ShadowJob[]): Promise<void> {
    let model: LoadedModel;
    try {
      model = jobs[0].slot.acquire();
    } catch (error) {
      for (const job of jobs) this.fail(job, error as Error);
      return;
    }
    try {
      // Handed over in one turn, the jobs share one onnxruntime call; each fails alone, whether its
      // rows cannot be read by the challenger (its inputs differ) or its scoring fails.
      await Promise.all(
        jobs.map(async (job) => {
          let batch: FeatureBatch;
          let scores;
          try {
            batch = job.prepare(model.builder);
            scores = await model.score(batch);
          } catch (error) {
            this.fail(job, error as Error);
            return;
          }
          const results: ShadowScore[] = new Array(batch.rowCount);
          for (let row = 0; row < batch.rowCount; row++) {
            results[row] = {
              alias: model.ref.alias,
              version: model.ref.version,
              probability: scores.probabilities[row],
              prediction: scores.labels[row] as 0 | 1,
            };
          }
          this.counts.scored++;
          this.onOutcome('scored');
          job.settle(results);
        }),
      );
    } finally {
      model.release();
    }
  }

  private fail(job: ShadowJob, error: Error): void {
    this.counts.failed++;
    this.onOutcome('failed', error);
    job.settle(null);
  }
}
