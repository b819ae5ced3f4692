/**
 * The live window of one served version, bounded by rows and by age without recounting: a ring of
 * buckets, each a `DriftWindow` over the version's frozen bins and levels. Rows go into the newest
 * bucket; a bucket is closed when it holds its share of the rows or spans its share of the time,
 * and whole buckets fall off the old end. A report merges the buckets (`DriftWindow.merge` adds
 * counts exactly and samples the union uniformly), so old rows leave without being revisited.
 * A version without training statistics still has its rows counted (size and time range), with no
 * feature windows.
 */
import {
  DEFAULT_WINDOW_SAMPLE_CAPACITY,
  DriftWindow,
  type LiveColumns,
  type LiveRow,
  type TrainingStatistics,
} from '@churn/drift-stats';

/** Buckets in the ring: the window's size and age are kept to within one twelfth. */
export const WINDOW_BUCKETS = 12;

export interface WindowLimits {
  /** Rows kept: between (buckets − 1)/buckets of this and this, rounded up to whole buckets. */
  maxRows: number;
  /** Rows older than this are dropped, a bucket at a time (so some may be up to one bucket's span older). */
  maxAgeMs: number;
}

/** A window's contents at one moment: the merged counts and the time range of the rows in it. */
export interface WindowSnapshot {
  /** Undefined when the version has no training statistics. */
  window: DriftWindow | undefined;
  /** Rows in the window. */
  size: number;
  /** `Date.now()` of the oldest and newest row; undefined when empty. */
  from: number | undefined;
  to: number | undefined;
}

interface Bucket {
  window: DriftWindow | undefined;
  rows: number;
  from: number;
  to: number;
}

export class RollingDriftWindow {
  private readonly buckets: Bucket[] = [];
  private readonly bucketRows: number;
  private readonly bucketMs: number;
  private nextSeed = 1;

  constructor(
    readonly reference: TrainingStatistics | undefined,
    private readonly limits: WindowLimits,
  ) {
    this.bucketRows = Math.max(1, Math.ceil(limits.maxRows / WINDOW_BUCKETS));
    this.bucketMs = limits.maxAgeMs / WINDOW_BUCKETS;
  }

  /**
   * Records one row received at `at` (ms). Rows are expected in roughly increasing time.
   * @throws {DriftInputError} naming the column when a value has the wrong type (nothing is recorded)
   */
  add(row: LiveRow, at: number): void {
    const bucket = this.bucketFor(at);
    bucket.window?.add(row);
    bucket.rows++;
    bucket.to = Math.max(bucket.to, at);
  }

  /**
   * Records the first `rowCount` rows of a batch given as columns (see `DriftWindow.addColumns`), all
   * received at `at` (ms): the same buckets, counts and samples as `add` called row by row, a bucket's
   * share of the rows at a time.
   * @throws {DriftInputError} naming the column when a value has the wrong type (the rows bound for
   *   the bucket being filled are then not recorded; earlier buckets keep theirs)
   */
  addColumns(columns: LiveColumns, rowCount: number, at: number): void {
    let start = 0;
    while (start < rowCount) {
      const bucket = this.bucketFor(at);
      const end = Math.min(rowCount, start + this.bucketRows - bucket.rows);
      bucket.window?.addColumns(columns, start, end);
      bucket.rows += end - start;
      bucket.to = Math.max(bucket.to, at);
      start = end;
    }
  }

  /** Rows currently held (before age expiry at the next snapshot). */
  get rows(): number {
    return this.buckets.reduce((sum, bucket) => sum + bucket.rows, 0);
  }

  /** Newest row's time, or undefined when empty. */
  get lastRowAt(): number | undefined {
    return this.buckets.at(-1)?.to;
  }

  /** Drops buckets whose newest row is older than maxAgeMs at `now`, then merges the rest. */
  snapshot(now: number): WindowSnapshot {
    while (this.buckets.length > 0 && this.buckets[0].to < now - this.limits.maxAgeMs) this.buckets.shift();
    if (this.buckets.length === 0) {
      return { window: this.emptyWindow(1), size: 0, from: undefined, to: undefined };
    }
    let window = this.buckets[0].window;
    for (const bucket of this.buckets.slice(1)) if (window && bucket.window) window = window.merge(bucket.window);
    return { window, size: this.rows, from: this.buckets[0].from, to: this.buckets.at(-1)?.to };
  }

  /** The newest bucket, or a new one when it is full or spans its share of the time at `at`. */
  private bucketFor(at: number): Bucket {
    const newest = this.buckets.at(-1);
    if (newest !== undefined && newest.rows < this.bucketRows && at - newest.from < this.bucketMs) return newest;
    // Each bucket samples with its own seed, so merged samples are not correlated copies.
    const bucket: Bucket = { window: this.emptyWindow(this.nextSeed++), rows: 0, from: at, to: at };
    this.buckets.push(bucket);
    if (this.buckets.length > WINDOW_BUCKETS) this.buckets.shift();
    return bucket;
  }

  private emptyWindow(seed: number): DriftWindow | undefined {
    return this.reference === undefined
      ? undefined
      : DriftWindow.forReference(this.reference, DEFAULT_WINDOW_SAMPLE_CAPACITY, seed);
  }
}
