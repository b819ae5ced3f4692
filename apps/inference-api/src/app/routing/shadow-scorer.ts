import type { FeatureBatch, FeatureBatchBuilder } from '../model/feature-batch';
import type { ModelSlot } from '../model/model-slot';
import type { ShadowScore } from '../scoring/prediction-observer';

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
 * Scores requests a second time with the challenger, after their response is on its way. One job
 * runs at a time and the queue is bounded: when the challenger cannot keep up, requests go
 * unshadowed (counted) instead of piling up memory or taking CPU from the requests being answered.
 * Each job rebuilds its rows with the challenger's own column plan, since versions may differ in
 * their inputs.
 */
export class ShadowScorer {
  private readonly queue: ShadowJob[] = [];
  private draining = false;
  private closed = false;
  private readonly counts = { scored: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly capacity: number,
    private readonly onFailure: (error: Error) => void = () => undefined,
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
      for (let job = this.queue.shift(); job !== undefined; job = this.queue.shift()) {
        job.settle(await this.score(job));
        // Let waiting I/O (new requests) run between shadow jobs.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  private async score(job: ShadowJob): Promise<ShadowScore[] | null> {
    try {
      const model = job.slot.acquire();
      try {
        const scores = await model.score(job.prepare(model.builder));
        const results: ShadowScore[] = new Array(scores.labels.length);
        for (let row = 0; row < results.length; row++) {
          results[row] = { alias: model.ref.alias, version: model.ref.version, probability: scores.probabilities[row], prediction: scores.labels[row] as 0 | 1 };
        }
        this.counts.scored++;
        return results;
      } finally {
        model.release();
      }
    } catch (error) {
      this.counts.failed++;
      this.onFailure(error as Error);
      return null;
    }
  }
}
