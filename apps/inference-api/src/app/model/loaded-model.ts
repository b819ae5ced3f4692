/**
 * One model version, opened and warmed, ready to score. Requests take a lease on the version they
 * start with (`acquire`/`release`), so a swap never pulls a session out from under a running request:
 * the replaced version is retired and its session released once its last lease ends.
 */
import type { InferenceSession } from 'onnxruntime-node';

import type { TrainingStatistics } from '@churn/drift-stats';

import { FeatureBatchBuilder, type FeatureBatch } from './feature-batch';
import type { SignatureColumn } from './mlmodel';
import type { ModelContract } from './model-contract';
import { ModelOutputError } from './model-errors';
import { ScoreCoalescer, splitByBatch } from './score-coalescer';
import { SessionFeeds } from './session-feeds';

/** Which version produced an answer: the `model` object of every response. */
export interface ModelRef {
  name: string;
  alias: string;
  version: string;
}

/** What `GET /model` reports about a loaded version. */
export interface ModelVersionInfo {
  runId: string | undefined;
  /** The version's registry source, e.g. `mlflow-artifacts:/1/<run>/artifacts/model`. */
  source: string;
  /** Numeric version tags (`f1`, `roc_auc`, `gate_f1`, …). */
  metrics: Record<string, number>;
  tags: Record<string, string>;
  signature: SignatureColumn[];
  /** The MLflow Model directory in the cache. */
  localDir: string;
  /** The version's folder in the model cache (model-cache.ts), kept while it is served. */
  cacheDir: string;
  /** How the cached copy was chosen: reused after checking it against MLflow, or downloaded (again, and why). */
  cacheNote: string;
  loadedAt: Date;
  /** Milliseconds from the start of the load to ready (download, open, check, warm). */
  loadMs: number;
  /** Drift reference of this version, when the run logged `train_stats.json`. */
  trainStats: TrainingStatistics | undefined;
  /** Why `train_stats.json` is absent or unusable, for `/model`. */
  trainStatsNote: string | undefined;
  /** Categorical inputs the session takes as int64 codes instead of text (integer-coded-categories.ts). */
  integerCodedInputs: string[];
  /** Inputs the session takes packed into one tensor per element type (packed-inputs.ts). */
  packedInputs: string[];
  /** Why a serving copy is not the one run (it failed, did not fit or scored differently; or none could be checked), one note each. */
  servingCopyNotes: string[];
}

/** Labels and positive-class probabilities of a scored batch, one entry per row. */
export interface Scores {
  labels: Int32Array;
  probabilities: Float32Array;
}

export class LoadedModel {
  readonly builder: FeatureBatchBuilder;
  private leases = 0;
  private retired = false;
  private released = false;
  private readonly outputNames: string[];
  private readonly feeds: SessionFeeds;
  private readonly coalescer = new ScoreCoalescer((batch) => this.runSession(batch));

  constructor(
    readonly ref: ModelRef,
    readonly info: ModelVersionInfo,
    readonly contract: ModelContract,
    private readonly session: InferenceSession,
  ) {
    this.builder = new FeatureBatchBuilder(contract.columns);
    this.feeds = new SessionFeeds(contract.columns, contract.packedInputs);
    this.outputNames = contract.labelOutput
      ? [contract.labelOutput, contract.probabilityOutput]
      : [contract.probabilityOutput];
  }

  /** `churn_model@production (v2)`, as `/health` shows it. */
  get label(): string {
    return `${this.ref.name}@${this.ref.alias} (v${this.ref.version})`;
  }

  /** Takes a lease; pair with {@link release} in a `finally`. */
  acquire(): this {
    this.leases++;
    return this;
  }

  release(): void {
    this.leases--;
    if (this.retired && this.leases === 0) this.dispose();
  }

  /** Called once the version is no longer current: its session is freed after the last lease. */
  retire(): void {
    this.retired = true;
    if (this.leases === 0) this.dispose();
  }

  get inUse(): number {
    return this.leases;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /**
   * Runs the graph on a prepared batch, in one call with the other small batches scored in the same
   * turn of the event loop (score-coalescer.ts). Hold a lease while awaiting.
   * @throws {ModelOutputError} when a row's probability is not a number in [0, 1]
   */
  async score(batch: FeatureBatch): Promise<Scores> {
    const scores = await this.coalescer.score(batch);
    requireProbabilities(this.ref, scores, batch.rowCount);
    return scores;
  }

  /**
   * `batches` scored in one session call, as the coalescer joins a turn's batches, but with no
   * fallback to a call per batch when the joined call fails: what checks that joining works use
   * (serving-copy-check.ts). Hold a lease while awaiting.
   * @throws whatever the session throws; {ModelOutputError} as {@link score}
   */
  async scoreTogether(batches: readonly FeatureBatch[]): Promise<Scores[]> {
    const scores = await this.runSession(batches);
    requireProbabilities(
      this.ref,
      scores,
      batches.reduce((rows, batch) => rows + batch.rowCount, 0),
    );
    return splitByBatch(scores, batches);
  }

  /** One session call over the rows of `batches`, in order: each input joined straight into its tensor. */
  private async runSession(batches: readonly FeatureBatch[]): Promise<Scores> {
    let rows = 0;
    for (const batch of batches) rows += batch.rowCount;
    const feeds = this.feeds.of(batches, rows);
    const results = await this.session.run(feeds, this.outputNames);
    const rawProbability = results[this.contract.probabilityOutput].data as Float32Array;
    let probabilities: Float32Array;
    if (this.contract.probabilityWidth === 1) {
      probabilities = rawProbability;
    } else {
      probabilities = new Float32Array(rows);
      for (let row = 0; row < rows; row++) probabilities[row] = rawProbability[row * 2 + 1];
    }
    const labels = new Int32Array(rows);
    if (this.contract.labelOutput) {
      const rawLabels = results[this.contract.labelOutput].data as BigInt64Array;
      for (let row = 0; row < rows; row++) labels[row] = Number(rawLabels[row]);
    } else {
      for (let row = 0; row < rows; row++) labels[row] = probabilities[row] >= 0.5 ? 1 : 0;
    }
    return { labels, probabilities };
  }

  /** Frees the session now (shutdown, or a version that failed its warm-up). */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    void this.session.release().catch(() => undefined);
  }
}

/**
 * Every row's probability is a number in [0, 1]; otherwise the batch is refused (a graph fed values
 * it was not trained for, or with a broken weight, can answer NaN or Infinity, which JSON would carry
 * as `null` and a client would read as a prediction).
 * @throws {ModelOutputError} naming the first such row and counting them all
 */
export function requireProbabilities(ref: ModelRef, scores: Scores, rowCount: number): void {
  const probabilities = scores.probabilities;
  let first = -1;
  let invalid = 0;
  for (let row = 0; row < rowCount; row++) {
    const probability = probabilities[row];
    if (probability >= 0 && probability <= 1) continue;
    if (first < 0) first = row;
    invalid++;
  }
  if (first >= 0) throw new ModelOutputError(ref, first, probabilities[first], invalid);
}
