export * from './lib/pipeline-contract';
export * from './lib/errors';
export { defaultChurnSchema, inferSchema, requiredColumns, validateSchema } from './lib/schema/feature-schema';
export { isBlankText, parseNumericText, numericFromRaw, categoryFromRaw } from './lib/data/cell-values';
export {
  CsvTokenizer,
  readCsv,
  readCsvSample,
  type CsvRow,
  type CsvRowStream,
  type CsvSource,
} from './lib/data/csv-reader';
export {
  loadCsvDataset,
  loadCsvFile,
  loadRecordsDataset,
  type CategoricalColumnData,
  type ChurnDataset,
  type NumericColumnData,
} from './lib/data/churn-dataset';
export { seededRandom, type UniformRandom } from './lib/random/seeded-random';
export { DEFAULT_TEST_SHARE, stratifiedSplit, type SplitIndices } from './lib/split/stratified-split';
export {
  buildDesignMatrix,
  featureCount,
  featureNames,
  fitCategoricalTransform,
  fitNumericTransform,
  fitPreprocessing,
  medianOfPresent,
  type DesignMatrix,
  type FittedPreprocessing,
} from './lib/preprocessing/preprocessing';
export {
  choleskySolve,
  fitLogisticRegression,
  sigmoid,
  type LogisticRegressionFit,
  type LogisticRegressionOptions,
} from './lib/model/logistic-regression';
export {
  assertPipelineConsistent,
  predictLabels,
  predictProba,
  predictProbaFromDesign,
} from './lib/scoring/predict-proba';
export {
  accuracyFrom,
  confusionMatrix,
  evaluateClassifier,
  f1From,
  labelsAtThreshold,
  logLoss,
  precisionFrom,
  recallFrom,
  rocAuc,
  type ClassificationMetrics,
  type ConfusionMatrix,
} from './lib/metrics/classification-metrics';
export {
  SYNTHETIC_CHURN_LOG_ODDS,
  TELCO_COLUMNS,
  syntheticChurnCsv,
  syntheticChurnProbability,
  syntheticChurnRecords,
  writeSyntheticChurnCsv,
  type SyntheticChurnOptions,
  type SyntheticCustomer,
} from './lib/synthetic/synthetic-churn';
export { trainingColumns, type TrainingColumns } from './lib/training/training-columns';
export {
  trainChurnModel,
  type TrainChurnModelOptions,
  type TrainedChurnModel,
  type TrainingData,
  type TrainingParameters,
  type TrainingProgress,
  type TrainingStage,
} from './lib/training/train-churn-model';
export * from './lib/onnx';
export * from './lib/mlflow-model';
