import { concatFeatureBatches, type FeatureBatch, type FeatureBatchBuilder } from '../model/feature-batch';
import type { ModelSlot } from '../model/model-slot';
import type { ShadowScore } from '../scoring/prediction-observer';

/** Rows scored together at most: queued requests are joined into one onnxruntime call up to this. */
const MAX_ROWS_PER_CALL = 256;

/** What became of one request handed to the shadow queue. */
export type ShadowOutcome = 'scored' | 'dropped' | 'failed';

/** What the shadow queue has done so far. */
export interface ShadowStats {
  scored: number;
  dropped: number;
  failed: number;
  queued: number;
}

interface ShadowJob {
  slot: ModelSlot;
  prepare: (builder: FeatureBatchBuilder) => FeatureBatch;
  settle: (scores: ShadowScore[] | null) => void;
}

/**
 * Scores requests a second time with the challenger, after their response is on its way. One call
 * runs at a time and the queue is bounded: when the challenger cannot keep up, requests go
 * unshadowed (counted) instead of piling up memory or taking CPU from the requests being answered.
 * Each job rebuilds its rows with the challenger's own column plan, since versions may differ in
 * their inputs; the jobs waiting for one slot are scored in one call (up to {@link MAX_ROWS_PER_CALL}
 * rows), because a call's fixed cost is many times a row's.
 */
export class ShadowScorer {
  private readonly queue: ShadowJob[] = [];
  private draining = false;
  private closed = false;
  private readonly counts = { scored: 0, dropped: 0, failed: 0 };

  /** @param onOutcome told of every request: scored, dropped (queue full) or failed (with why) */
  constructor(
    private readonly capacity: number,
    private readonly onOutcome: (outcome: ShadowOutcome, error?: Error) => void = () => undefined,
  ) {}

  get stats(): ShadowStats {
    return { ...this.counts, queued: this.queue.length };
  }

  /**
   * Queues a request for the challenger; never throws, never waits.
   * @returns the challenger's scores when they exist, null when the queue was full or scoring failed
   */
  submit(slot: ModelSlot, prepare: (builder: FeatureBatchBuilder) => FeatureBatch): Promise<ShadowScore[] | null> {
    if (this.closed || this.queue.length >= this.capacity) {
      this.counts.dropped++;
      this.onOutcome('dropped');
      return Promise.resolve(null);
    }
    return new Promise((settle) => {
      this.queue.push({ slot, prepare, settle });
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

  /** The next queued jobs for the first job's slot, in order, up to about MAX_ROWS_PER_CALL rows (at least one job). */
  private takeGroup(): ShadowJob[] {
    const group = [this.queue.shift() as ShadowJob];
    while (this.queue.length > 0 && this.queue[0].slot === group[0].slot && group.length < MAX_ROWS_PER_CALL) group.push(this.queue.shift() as ShadowJob);
    return group;
  }

  private async scoreTogether(jobs: ShadowJob[]): Promise<void> {
    let model;
    try {
      model = jobs[0].slot.acquire();
    } catch (error) {
      for (const job of jobs) this.fail(job, error as Error);
      return;
    }
    try {
      // A request whose rows the challenger cannot read (its inputs differ) fails alone.
      const prepared: { job: ShadowJob; batch: FeatureBatch }[] = [];
      const later: ShadowJob[] = [];
      let rows = 0;
      for (const job of jobs) {
        try {
          const batch = job.prepare(model.builder);
          if (prepared.length > 0 && rows + batch.rowCount > MAX_ROWS_PER_CALL) {
            later.push(job);
            continue;
          }
          prepared.push({ job, batch });
          rows += batch.rowCount;
        } catch (error) {
          this.fail(job, error as Error);
        }
      }
      // Over the row budget: back to the front of the queue, in order, for the next call.
      this.queue.unshift(...later);
      if (prepared.length === 0) return;
      let scores;
      try {
        scores = await model.score(concatFeatureBatches(prepared.map((entry) => entry.batch)));
      } catch (error) {
        for (const { job } of prepared) this.fail(job, error as Error);
        return;
      }
      let offset = 0;
      for (const { job, batch } of prepared) {
        const results: ShadowScore[] = new Array(batch.rowCount);
        for (let row = 0; row < batch.rowCount; row++) {
          results[row] = { alias: model.ref.alias, version: model.ref.version, probability: scores.probabilities[offset + row], prediction: scores.labels[offset + row] as 0 | 1 };
        }
        offset += batch.rowCount;
        this.counts.scored++;
        this.onOutcome('scored');
        job.settle(results);
      }
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
