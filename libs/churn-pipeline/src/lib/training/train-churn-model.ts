/**
 * Training end to end: load the data against a schema, split it, learn the preprocessing and the
 * classifier on the training rows, evaluate on the test rows. What the training worker's CLI and REST
 * jobs call; MLflow logging and model export are theirs.
 */
import type { Readable } from 'node:stream';

import { loadCsvDataset, loadCsvFile, loadRecordsDataset, type ChurnDataset } from '../data/churn-dataset';
import type { CsvSource } from '../data/csv-reader';
import { OptionError } from '../errors';
import { evaluateClassifier, type ClassificationMetrics } from '../metrics/classification-metrics';
import { fitLogisticRegression, type LogisticRegressionFit } from '../model/logistic-regression';
import type { CustomerRecord, FeatureSchema, FittedPipeline } from '../pipeline-contract';
import { buildDesignMatrix, featureNames, fitPreprocessing } from '../preprocessing/preprocessing';
import { defaultChurnSchema, validateSchema } from '../schema/feature-schema';
import { predictProbaFromDesign } from '../scoring/predict-proba';
import { DEFAULT_TEST_SHARE, stratifiedSplit, type SplitIndices } from '../split/stratified-split';
import { trainingColumns, type TrainingColumns } from './training-columns';

/** Stages reported to {@link TrainChurnModelOptions.onProgress}, in order. */
export type TrainingStage = 'load' | 'split' | 'preprocess' | 'fit' | 'evaluate';

/** One progress report: a stage started, advanced (a solver iteration) or finished. */
export interface TrainingProgress {
  stage: TrainingStage;
  status: 'started' | 'progress' | 'finished';
  /** A line for a human, e.g. `fit: iteration 3, loss 2345.67`. */
  message: string;
  /** Milliseconds since training started. */
  elapsedMs: number;
}

/** Where the rows come from: exactly one of a CSV path, a CSV stream, or in-memory records. */
export type TrainingData =
  | { csvPath: string; csv?: never; rows?: never }
  | { csv: Readable | CsvSource; csvPath?: never; rows?: never }
  | { rows: Iterable<CustomerRecord> | AsyncIterable<CustomerRecord>; csvPath?: never; csv?: never };

export type TrainChurnModelOptions = TrainingData & {
  /** Feature schema; the Telco default when absent. */
  schema?: FeatureSchema;
  /** Seed of the split. Default 42. */
  seed?: number;
  /** Share of rows held out for evaluation. Default 0.2. */
  testShare?: number;
  /** `balanced` to weigh classes by n / (2 · count). Default none. */
  classWeight?: 'balanced' | null;
  /** Inverse regularisation strength. Default 1 (scikit-learn's default). */
  C?: number;
  /** Solver tolerance on the scaled gradient. Default 1e-8. */
  tolerance?: number;
  /** Solver iteration limit. Default 100. */
  maxIterations?: number;
  /** Probability at or above which the label is 1. Default 0.5. */
  threshold?: number;
  onProgress?: (progress: TrainingProgress) => void;
};

/** The hyperparameters a run used, with defaults filled in (for logging as run parameters). */
export interface TrainingParameters {
  seed: number;
  testShare: number;
  classWeight: 'balanced' | null;
  C: number;
  tolerance: number;
  maxIterations: number;
  threshold: number;
}

/** Everything a training run produced. */
export interface TrainedChurnModel {
  pipeline: FittedPipeline;
  /** Feature names in coefficient order (`num__tenure`, `cat__Contract_One year`, …). */
  featureNames: string[];
  metrics: ClassificationMetrics;
  split: SplitIndices;
  fit: Omit<LogisticRegressionFit, 'coefficients' | 'intercept'>;
  parameters: TrainingParameters;
  data: {
    sha256: string;
    rows: number;
    trainRows: number;
    testRows: number;
    positiveRows: number;
    ignoredColumns: string[];
  };
  /** Raw training-split columns for drift reference statistics (computed on demand). */
  trainingColumns: () => TrainingColumns;
  /** Milliseconds spent per stage. */
  timings: Record<TrainingStage, number>;
}

/**
 * Trains a churn model: load → stratified split → preprocessing and logistic regression on the
 * training rows → metrics on the test rows.
 *
 * @throws SchemaError, DatasetError, SplitError, OptionError or FitError, each naming what is wrong.
 * @example const { metrics, pipeline } = await trainChurnModel({ csvPath: 'telco.csv', seed: 42 });
 */
export async function trainChurnModel(options: TrainChurnModelOptions): Promise<TrainedChurnModel> {
  const parameters: TrainingParameters = {
    seed: options.seed ?? 42,
    testShare: options.testShare ?? DEFAULT_TEST_SHARE,
    classWeight: options.classWeight ?? null,
    C: options.C ?? 1,
    tolerance: options.tolerance ?? 1e-8,
    maxIterations: options.maxIterations ?? 100,
    threshold: options.threshold ?? 0.5,
  };
  if (!(parameters.threshold > 0 && parameters.threshold < 1)) {
    throw new OptionError(`threshold must be between 0 and 1 exclusive, got ${parameters.threshold}`);
  }
  const schema = validateSchema(options.schema ?? defaultChurnSchema());
  const started = performance.now();
  const timings = { load: 0, split: 0, preprocess: 0, fit: 0, evaluate: 0 };
  const report = (stage: TrainingStage, status: TrainingProgress['status'], message: string): void =>
    options.onProgress?.({ stage, status, message, elapsedMs: performance.now() - started });
  async function stage<T>(
    name: TrainingStage,
    describe: (result: T) => string,
    work: () => T | Promise<T>,
  ): Promise<T> {
    report(name, 'started', `${name}: started`);
    const stageStart = performance.now();
    const result = await work();
    timings[name] = performance.now() - stageStart;
    report(name, 'finished', `${name}: ${describe(result)} (${Math.round(timings[name])} ms)`);
    return result;
  }

  const dataset = await stage(
    'load',
    (d) => `${d.rowCount} rows, ${d.positiveCount} positive`,
    () => loadTrainingData(options, schema),
  );
  const split = await stage(
    'split',
    (s) => `${s.train.length} train / ${s.test.length} test rows (seed ${s.seed})`,
    () => stratifiedSplit(dataset.target, parameters.seed, parameters.testShare),
  );
  const { preprocessing, trainDesign } = await stage(
    'preprocess',
    (r) => `${r.trainDesign.featureCount} features`,
    () => {
      const learned = fitPreprocessing(dataset, split.train);
      return { preprocessing: learned, trainDesign: buildDesignMatrix(dataset, learned, split.train) };
    },
  );
  const fit = await stage(
    'fit',
    (f) =>
      `${f.converged ? 'converged' : 'stopped without converging'} after ${f.iterations} iterations, loss ${f.lossHistory[f.lossHistory.length - 1].toFixed(6)}`,
    () =>
      fitLogisticRegression(
        trainDesign,
        Uint8Array.from(split.train, (row) => dataset.target[row]),
        {
          C: parameters.C,
          tolerance: parameters.tolerance,
          maxIterations: parameters.maxIterations,
          classWeight: parameters.classWeight,
          onIteration: (iteration, loss, gradientNorm) =>
            report(
              'fit',
              'progress',
              `fit: iteration ${iteration}, loss ${loss.toFixed(6)}, gradient ${gradientNorm.toExponential(2)}`,
            ),
        },
      ),
  );
  const metrics = await stage(
    'evaluate',
    (m) => `F1 ${m.f1.toFixed(4)}, ROC AUC ${m.rocAuc.toFixed(4)}`,
    () => {
      const testDesign = buildDesignMatrix(dataset, preprocessing, split.test);
      const probabilities = predictProbaFromDesign(testDesign, fit.coefficients, fit.intercept);
      return evaluateClassifier(
        Uint8Array.from(split.test, (row) => dataset.target[row]),
        probabilities,
        parameters.threshold,
      );
    },
  );

  const { coefficients, intercept, ...fitRecord } = fit;
  return {
    pipeline: {
      schema,
      numeric: preprocessing.numeric,
      categorical: preprocessing.categorical,
      coefficients,
      intercept,
      threshold: parameters.threshold,
    },
    featureNames: featureNames(preprocessing),
    metrics,
    split,
    fit: fitRecord,
    parameters,
    data: {
      sha256: dataset.sha256,
      rows: dataset.rowCount,
      trainRows: split.train.length,
      testRows: split.test.length,
      positiveRows: dataset.positiveCount,
      ignoredColumns: dataset.ignoredColumns,
    },
    trainingColumns: () => trainingColumns(dataset, split.train),
    timings,
  };
}

function loadTrainingData(options: TrainingData, schema: FeatureSchema): Promise<ChurnDataset> {
  const given = [options.csvPath, options.csv, options.rows].filter((source) => source !== undefined).length;
  if (given !== 1) throw new OptionError(`give exactly one of "csvPath", "csv" or "rows" (got ${given})`);
  if (options.csvPath !== undefined) return loadCsvFile(options.csvPath, schema);
  if (options.csv !== undefined) return loadCsvDataset(options.csv, schema);
  return loadRecordsDataset(options.rows as Iterable<CustomerRecord>, schema);
}
