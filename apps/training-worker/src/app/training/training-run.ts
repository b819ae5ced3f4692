/**
 * One training run against MLflow, from data to a registered model version. Framework-free: the CLI
 * (`train`) and the REST jobs both call it, so both log, gate and register the same way.
 *
 *   createRun   experiment (get or create) → run `train-<timestamp>` with provenance tags
 *   execute     train → ONNX + MLflow Model directory, train_stats.json, schema, split, metrics
 *               → params, metrics, tags, artifacts → quality gate → register a version (READY)
 *               → run FINISHED; on any error the run is FAILED with the message as tag `error`.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import {
  exportPipelineToOnnx,
  readCsv,
  syntheticChurnRecords,
  trainChurnModel,
  writeMlflowModelDirectory,
  type ClassificationMetrics,
  type CustomerRecord,
  type TrainedChurnModel,
  type TrainingData,
} from '@churn/churn-pipeline';
import { buildTrainingStatistics, type TrainingStatistics } from '@churn/drift-stats';
import {
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  type MlflowClient,
  type ModelVersion,
} from '@churn/mlflow-client';

import { MAX_ERROR_TAG_LENGTH, RUN_ARTIFACT, RUN_METRIC, RUN_TAG, VERSION_TAG } from './run-tags';
import { describeData, reportedError, type TrainingRequest } from './training-request';

/** Stages of a run, in order, as reported to {@link StageListener} and shown as job progress. */
export const TRAINING_STAGES = [
  'queued',
  'load',
  'split',
  'preprocess',
  'fit',
  'evaluate',
  'export',
  'log',
  'gate',
  'register',
  'done',
] as const;
export type TrainingStageName = (typeof TRAINING_STAGES)[number];

/**
 * Called as the run advances with a line for a human; `detail` marks repeated lines within a stage
 * (solver iterations) that a terse display may skip.
 */
export type StageListener = (stage: TrainingStageName, message: string, detail: boolean) => void;

/** The MLflow run a training writes to. */
export interface TrainingRunRef {
  runId: string;
  runName: string;
  experimentId: string;
  /** The run's artifact root, e.g. `mlflow-artifacts:/1/<run>/artifacts`. */
  artifactUri: string;
}

export interface GateResult {
  /** The F1 the model needed. */
  threshold: number;
  f1: number;
  passed: boolean;
  /** Why the gate refused, when it did. */
  reason?: string;
}

export interface TrainingOutcome {
  run: TrainingRunRef;
  metrics: ClassificationMetrics;
  /** Where the MLflow Model directory went: `<artifact root>/model`. */
  modelArtifactUri: string;
  gate: GateResult;
  /** The version registered; undefined when the gate refused or registration was off. */
  registeredVersion?: string;
}

/** A run that failed after its MLflow run existed; the run is FAILED and `cause` is the original error. */
export class TrainingRunFailedError extends Error {
  override readonly name = 'TrainingRunFailedError';

  constructor(
    readonly runId: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * The run is no longer this trainer's to finish: someone else settled it (a job whose worker was
 * presumed gone). Nothing more is written to it; in particular no version is registered.
 */
export class RunSettledElsewhereError extends Error {
  override readonly name = 'RunSettledElsewhereError';
}

/**
 * Checked before a run's lasting effects: registering a version, and finishing the run (its last write).
 * @throws {RunSettledElsewhereError} when the run is no longer the caller's
 */
export type RunOwnershipCheck = (before: 'register' | 'finish') => Promise<void>;

/** Rows saved as the model's input example: the first training rows. */
const INPUT_EXAMPLE_ROWS = 5;
/** Registration waits at most this long for MLflow to mark a version READY. */
const REGISTRATION_TIMEOUT_MS = 120_000;

export interface TrainingRunnerOptions {
  /** Provenance recorded on every run (undefined = not known, tag omitted). */
  gitCommit?: string;
  /** Where temporary artifact directories go; the OS temp dir by default. */
  workDir?: string;
}

export class TrainingRunner {
  constructor(
    private readonly mlflow: MlflowClient,
    private readonly options: TrainingRunnerOptions = {},
  ) {}

  /**
   * Creates the experiment when missing and the MLflow run (status RUNNING) with its provenance
   * tags; `extraTags` are added (job markers, idempotency key).
   */
  async createRun(request: TrainingRequest, extraTags: Record<string, string> = {}): Promise<TrainingRunRef> {
    const experiment = await this.mlflow.experiments.getOrCreate(request.experiment);
    const runName = `train-${compactTimestamp(new Date())}`;
    const tags: Record<string, string> = {
      [RUN_TAG.dataFile]: request.dataPath === undefined ? describeData(request) : basename(request.dataPath),
      [RUN_TAG.modelType]: 'LogisticRegression',
      [RUN_TAG.user]: request.user,
      [RUN_TAG.mlflowUser]: request.user,
      [RUN_TAG.sourceName]: request.sourceName,
      [RUN_TAG.sourceType]: 'LOCAL',
      [RUN_TAG.modelName]: request.modelName,
      ...(this.options.gitCommit === undefined ? {} : { [RUN_TAG.gitCommit]: this.options.gitCommit }),
      ...extraTags,
    };
    const run = await this.mlflow.runs.create(
      { experiment_id: experiment.experiment_id, run_name: runName, tags },
      { retrySafely: true },
    );
    return {
      runId: run.info.run_id,
      runName,
      experimentId: experiment.experiment_id,
      artifactUri: run.info.artifact_uri,
    };
  }

  /**
   * Trains, logs, gates and registers into an existing run (from {@link createRun}), then finishes
   * it. A gate refusal is an outcome, not an error: the run FINISHES with `gate_passed=false`.
   *
   * @throws {TrainingRunFailedError} for any failure (bad data, MLflow errors); the run is then
   *   FAILED with tag `error`, and no version is left registered. When `stillOurs` finds the run
   *   settled by someone else, it is left as they settled it.
   */
  async execute(
    run: TrainingRunRef,
    request: TrainingRequest,
    onStage: StageListener = () => undefined,
    stillOurs: RunOwnershipCheck = async () => undefined,
  ): Promise<TrainingOutcome> {
    const workDir = await mkdtemp(join(this.options.workDir ?? tmpdir(), 'training-worker-'));
    try {
      const outcome = await this.trainLogAndRegister(run, request, workDir, onStage, stillOurs);
      await stillOurs('finish');
      await this.mlflow.runs.update({ run_id: run.runId, status: 'FINISHED', end_time: Date.now() });
      onStage(
        'done',
        outcome.registeredVersion === undefined
          ? 'done: not registered'
          : `done: ${request.modelName} v${outcome.registeredVersion}`,
        false,
      );
      return outcome;
    } catch (error) {
      if (!(error instanceof RunSettledElsewhereError)) await this.markFailed(run.runId, reportedError(error, request));
      throw new TrainingRunFailedError(run.runId, error);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** Marks a run FAILED with the error's message as tag `error` (best effort: MLflow may be the failure). */
  async markFailed(runId: string, error: unknown): Promise<void> {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_TAG_LENGTH);
    try {
      await this.mlflow.runs.setTag({ run_id: runId, key: RUN_TAG.error, value: message });
      await this.mlflow.runs.update({ run_id: runId, status: 'FAILED', end_time: Date.now() });
    } catch {
      // The original error is what the caller reports; a second one from MLflow adds nothing.
    }
  }

  private async trainLogAndRegister(
    run: TrainingRunRef,
    request: TrainingRequest,
    workDir: string,
    onStage: StageListener,
    stillOurs: RunOwnershipCheck,
  ): Promise<TrainingOutcome> {
    const syntheticRows =
      request.dataPath === undefined
        ? [...syntheticChurnRecords({ rows: request.syntheticRows, seed: request.seed })]
        : undefined;
    const data: TrainingData =
      syntheticRows === undefined ? { csvPath: request.dataPath as string } : { rows: syntheticRows };
    const trained = await trainChurnModel({
      ...data,
      schema: request.schema,
      seed: request.seed,
      onProgress: (progress) => onStage(progress.stage, progress.message, progress.status === 'progress'),
    });

    onStage('export', 'export: ONNX graph, MLflow Model directory, training statistics', false);
    const modelDir = join(workDir, RUN_ARTIFACT.modelDir);
    const exampleRows = trained.split.train.slice(0, INPUT_EXAMPLE_ROWS);
    await writeMlflowModelDirectory(modelDir, {
      fitted: trained.pipeline,
      onnxBytes: exportPipelineToOnnx(trained.pipeline),
      inputExample:
        syntheticRows === undefined
          ? await csvRecordsAt(request.dataPath as string, exampleRows)
          : exampleRows.map((row) => syntheticRows[row]),
      metadata: { run_id: run.runId, data_sha256: trained.data.sha256 },
    });
    const files = await writeRunFiles(workDir, request, trained, trainingStatistics(trained, request));

    onStage('log', `log: params, metrics and artifacts to run ${run.runId}`, false);
    const trainingSeconds = Object.values(trained.timings).reduce((sum, ms) => sum + ms, 0) / 1000;
    await this.mlflow.runs.logBatch({
      run_id: run.runId,
      params: runParams(request, trained),
      metrics: [
        { key: RUN_METRIC.f1, value: trained.metrics.f1 },
        { key: RUN_METRIC.accuracy, value: trained.metrics.accuracy },
        { key: RUN_METRIC.precision, value: trained.metrics.precision },
        { key: RUN_METRIC.recall, value: trained.metrics.recall },
        { key: RUN_METRIC.rocAuc, value: trained.metrics.rocAuc },
        { key: RUN_METRIC.logLoss, value: trained.metrics.logLoss },
        { key: RUN_METRIC.iterations, value: trained.fit.iterations },
        { key: RUN_METRIC.trainingSeconds, value: trainingSeconds },
      ],
    });
    await this.mlflow.artifacts.logDirectory({
      run_id: run.runId,
      local_dir: modelDir,
      artifact_path: RUN_ARTIFACT.modelDir,
    });
    for (const file of files) await this.mlflow.artifacts.logFile({ run_id: run.runId, local_path: file });
    const modelArtifactUri = `${run.artifactUri.replace(/\/+$/, '')}/${RUN_ARTIFACT.modelDir}`;

    const gate = qualityGate(trained.metrics.f1, request.gateF1);
    onStage(
      'gate',
      gate.passed ? `gate: F1 ${gate.f1.toFixed(4)} ≥ ${gate.threshold}, passed` : `gate: ${gate.reason}`,
      false,
    );
    await this.mlflow.runs.logBatch({
      run_id: run.runId,
      tags: {
        [RUN_TAG.gatePassed]: String(gate.passed),
        ...(gate.reason === undefined ? {} : { [RUN_TAG.gateReason]: gate.reason }),
      },
    });
    if (!gate.passed || !request.register) {
      return { run, metrics: trained.metrics, modelArtifactUri, gate };
    }

    await stillOurs('register');
    onStage('register', `register: new version of ${request.modelName}`, false);
    const version = await this.registerVersion(request.modelName, modelArtifactUri, run.runId, {
      [VERSION_TAG.f1]: String(trained.metrics.f1),
      [VERSION_TAG.rocAuc]: String(trained.metrics.rocAuc),
      [VERSION_TAG.gateF1]: String(request.gateF1),
      [VERSION_TAG.gatePassed]: 'true',
      [VERSION_TAG.dataSha256]: trained.data.sha256,
      [VERSION_TAG.runId]: run.runId,
    });
    await this.mlflow.runs.setTag({ run_id: run.runId, key: RUN_TAG.registeredVersion, value: version.version });
    return { run, metrics: trained.metrics, modelArtifactUri, gate, registeredVersion: version.version };
  }

  /**
   * Registers `source` as a new version of `name` (creating the registered model when missing, safe
   * against a concurrent creator) and waits until MLflow marks it READY. A version that never gets
   * READY is deleted so that no unusable version stays behind.
   */
  private async registerVersion(
    name: string,
    source: string,
    runId: string,
    tags: Record<string, string>,
  ): Promise<ModelVersion> {
    await this.ensureRegisteredModel(name);
    const created = await this.mlflow.modelVersions.create({ name, source, run_id: runId, tags });
    try {
      return await this.mlflow.modelVersions.waitUntilReady(
        { name, version: created.version },
        { timeoutMs: REGISTRATION_TIMEOUT_MS, pollIntervalMs: 200 },
      );
    } catch (error) {
      await this.mlflow.modelVersions.delete({ name, version: created.version }).catch(() => undefined);
      throw error;
    }
  }

  private async ensureRegisteredModel(name: string): Promise<void> {
    try {
      await this.mlflow.registeredModels.get(name);
      return;
    } catch (error) {
      if (!(error instanceof ResourceDoesNotExistError)) throw error;
    }
    try {
      await this.mlflow.registeredModels.create({
        name,
        description: 'Churn classifier registered by training-worker.',
      });
    } catch (error) {
      if (!(error instanceof ResourceAlreadyExistsError)) throw error;
    }
  }
}

/**
 * The quality gate: a model whose test F1 is below `threshold` is not registered.
 * @example qualityGate(0.61, 0.5) // { threshold: 0.5, f1: 0.61, passed: true }
 */
export function qualityGate(f1: number, threshold: number): GateResult {
  if (f1 >= threshold) return { threshold, f1, passed: true };
  return { threshold, f1, passed: false, reason: `F1 ${f1.toFixed(4)} is below the gate ${threshold}` };
}

function runParams(request: TrainingRequest, trained: TrainedChurnModel): Record<string, string> {
  const p = trained.parameters;
  return {
    seed: String(p.seed),
    test_share: String(p.testShare),
    C: String(p.C),
    class_weight: p.classWeight ?? 'none',
    solver: 'newton-cholesky',
    tolerance: String(p.tolerance),
    max_iterations: String(p.maxIterations),
    threshold: String(p.threshold),
    gate_f1: String(request.gateF1),
    data: describeData(request),
    data_sha256: trained.data.sha256,
    rows_total: String(trained.data.rows),
    rows_train: String(trained.data.trainRows),
    rows_test: String(trained.data.testRows),
    rows_positive: String(trained.data.positiveRows),
    features: String(trained.featureNames.length),
    schema: request.schemaSource,
    model_name: request.modelName,
    register: String(request.register),
  };
}

/** train_stats.json: drift reference statistics of the raw training-split columns. */
function trainingStatistics(trained: TrainedChurnModel, request: TrainingRequest): TrainingStatistics {
  const columns = trained.trainingColumns();
  const values: Record<string, (number | string | null)[]> = {};
  for (const { name, values: numbers } of columns.numeric)
    values[name] = Array.from(numbers, (x) => (Number.isNaN(x) ? null : x));
  for (const { name, values: levels } of columns.categorical) values[name] = levels;
  return buildTrainingStatistics(
    values,
    { numeric: request.schema.numeric, categorical: request.schema.categorical },
    { seed: request.seed },
  );
}

/** Writes the run's JSON artifacts into `dir`; returns their paths. */
async function writeRunFiles(
  dir: string,
  request: TrainingRequest,
  trained: TrainedChurnModel,
  stats: TrainingStatistics,
): Promise<string[]> {
  const m = trained.metrics;
  const cm = m.confusionMatrix;
  const contents: Record<string, unknown> = {
    [RUN_ARTIFACT.trainStats]: stats,
    [RUN_ARTIFACT.schema]: request.schema,
    [RUN_ARTIFACT.split]: {
      seed: trained.split.seed,
      test_share: trained.split.testShare,
      train: trained.split.train,
      test: trained.split.test,
    },
    [RUN_ARTIFACT.metrics]: {
      f1: m.f1,
      accuracy: m.accuracy,
      precision: m.precision,
      recall: m.recall,
      roc_auc: m.rocAuc,
      log_loss: m.logLoss,
      support: m.support,
      threshold: m.threshold,
      iterations: trained.fit.iterations,
      converged: trained.fit.converged,
    },
    [RUN_ARTIFACT.confusionMatrix]: {
      labels: [0, 1],
      matrix: [
        [cm.trueNegatives, cm.falsePositives],
        [cm.falseNegatives, cm.truePositives],
      ],
      true_negatives: cm.trueNegatives,
      false_positives: cm.falsePositives,
      false_negatives: cm.falseNegatives,
      true_positives: cm.truePositives,
    },
  };
  const paths: string[] = [];
  for (const [name, value] of Object.entries(contents)) {
    const path = join(dir, name);
    await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
    paths.push(path);
  }
  return paths;
}

/** The CSV's data rows at the given 0-based indices (the order the dataset loader numbered them), as records. */
async function csvRecordsAt(path: string, rowIndices: readonly number[]): Promise<CustomerRecord[]> {
  const wanted = new Map(rowIndices.map((row, position) => [row, position]));
  const found: CustomerRecord[] = new Array(rowIndices.length);
  const last = Math.max(...rowIndices);
  const { header, batches } = await readCsv(createReadStream(path));
  let index = 0;
  for await (const batch of batches) {
    for (const row of batch) {
      const position = wanted.get(index);
      if (position !== undefined)
        found[position] = Object.fromEntries(header.map((column, i) => [column, row.fields[i]]));
      index += 1;
    }
    if (index > last) break;
  }
  return found;
}

/** `20260115-101530` in UTC: sortable, and readable in MLflow's run list. */
function compactTimestamp(time: Date): string {
  return time.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
