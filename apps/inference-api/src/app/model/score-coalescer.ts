/**
 * Dynamic batching for one loaded version: the small batches handed in during one turn of the event
 * loop are scored in one onnxruntime call, and each caller gets its own rows back.
 *
 * Why: a call's fixed cost (tensor creation, the native run's set-up, its `setImmediate` hop) is
 * hundreds of times a row's (PERFORMANCE.md), so with many small requests in flight the calls, not
 * the rows, dominate. Unlike a serving framework's batch window this adds no delay: the group is sent
 * from `setImmediate`, i.e. once the requests whose bytes arrived with the same poll of the sockets
 * have been parsed, which is when onnxruntime-node would have started the lone call anyway.
 *
 * Rows are scored independently by every graph this app serves (the contract checks the output
 * shapes are per row), so a row's answer does not depend on its neighbours; the only difference a
 * caller can see is the last bit of a float when a kernel sums in another order for another batch
 * size, as between onnxruntime builds.
 */
import type { FeatureBatch } from './feature-batch';
import type { Scores } from './loaded-model';

/** Batches above this many rows are scored on their own: a call's fixed cost no longer matters to them. */
export const COALESCE_MAX_ROWS = 256;

interface Waiting {
  batch: FeatureBatch;
  resolve(scores: Scores): void;
  reject(error: unknown): void;
}

export class ScoreCoalescer {
  private waiting: Waiting[] = [];
  private waitingRows = 0;
  private scheduled = false;
  private readonly flushScheduled = () => {
    this.scheduled = false;
    this.flush();
  };

  /**
   * @param run scores the rows of the given batches, in order, in one call (the session's run). It
   *   joins them itself: only the session's inputs need joining (not, say, the text of columns it
   *   takes as codes), and straight into the tensors' own buffers.
   */
  constructor(
    private readonly run: (batches: readonly FeatureBatch[]) => Promise<Scores>,
    private readonly maxRows = COALESCE_MAX_ROWS,
  ) {}

  score(batch: FeatureBatch): Promise<Scores> {
    if (batch.rowCount > this.maxRows) return this.run([batch]);
    if (this.waitingRows + batch.rowCount > this.maxRows) this.flush();
    return new Promise<Scores>((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      this.waitingRows += batch.rowCount;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushScheduled);
      }
    });
  }

  private flush(): void {
    const group = this.waiting;
    if (group.length === 0) return;
    this.waiting = [];
    this.waitingRows = 0;
    if (group.length === 1) {
      settleFrom(group[0], this.run([group[0].batch]));
      return;
    }
    const batches = group.map((entry) => entry.batch);
    this.run(batches).then(
      (scores) => splitByBatch(scores, batches).forEach((part, index) => group[index].resolve(part)),
      // A failed group call: score each batch alone, so a failure belongs to the request that caused it.
      () => {
        for (const entry of group) settleFrom(entry, this.run([entry.batch]));
      },
    );
  }
}

/** The scores of one call over `batches`, split into each batch's rows, in order. */
export function splitByBatch(scores: Scores, batches: readonly FeatureBatch[]): Scores[] {
  let offset = 0;
  return batches.map((batch) => {
    const end = offset + batch.rowCount;
    // Copies, not views: a caller may hand its scores to another thread, which would clone the whole call's buffer.
    const part = { labels: scores.labels.slice(offset, end), probabilities: scores.probabilities.slice(offset, end) };
    offset = end;
    return part;
  });
}

function settleFrom(entry: Waiting, scores: Promise<Scores>): void {
  scores.then(entry.resolve, entry.reject);
}
