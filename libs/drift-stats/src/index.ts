export { DriftInputError } from './lib/errors';
export { logGamma, regularizedUpperGamma, chiSquareSurvival } from './lib/special-functions';
export { kolmogorovSurvival, smirnovSurvival } from './lib/kolmogorov-distribution';
export {
  kolmogorovSmirnovTwoSample,
  KS_EXACT_MAX_SAMPLE_SIZE,
  type KolmogorovSmirnovResult,
} from './lib/kolmogorov-smirnov';
export { chiSquareGoodnessOfFit, type ChiSquareResult } from './lib/chi-square';
export {
  jensenShannonDistance,
  wassersteinDistance,
  normalizedWassersteinDistance,
  wassersteinDistanceAndScore,
} from './lib/distances';
export { mean, populationStandardDeviation } from './lib/descriptive';
export { quantile, decileEdges, DECILE_PROBABILITIES } from './lib/quantiles';
export { numericBinIndex, countNumericBins, countCategoryLevels } from './lib/binning';
export { populationStabilityIndex, PSI_EMPTY_BIN_SHARE } from './lib/population-stability-index';
export { SeededRandom } from './lib/seeded-random';
export { ReservoirSample, type ReservoirSampleJson } from './lib/reservoir-sample';
export {
  buildTrainingStatistics,
  parseTrainingStatistics,
  referenceCategoryCounts,
  TRAINING_STATISTICS_DEFAULTS,
  type TrainingStatistics,
  type NumericColumnStatistics,
  type CategoricalColumnStatistics,
  type StatisticsColumns,
  type TrainingColumns,
  type TrainingStatisticsOptions,
} from './lib/training-statistics';
export {
  NumericFeatureWindow,
  CategoricalFeatureWindow,
  DriftWindow,
  DEFAULT_WINDOW_SAMPLE_CAPACITY,
  type FeatureWindow,
  type LiveRow,
  type LiveColumn,
  type LiveColumns,
  type CodedTextColumn,
  type NumericFeatureWindowJson,
  type CategoricalFeatureWindowJson,
  type DriftWindowJson,
} from './lib/live-window';
export {
  numericFeatureDrift,
  categoricalFeatureDrift,
  datasetDrift,
  driftReport,
  psiBand,
  DRIFT_DEFAULTS,
  type DriftOptions,
  type DriftStatus,
  type DriftMethod,
  type FeatureDriftReport,
  type DatasetDriftVerdict,
  type DriftReport,
} from './lib/drift-verdict';
export {
  confusionCounts,
  classificationMetrics,
  normalQuantile,
  wilsonInterval,
  newcombeDifferenceInterval,
  sampleRatioMismatch,
  twoProportionZTest,
  compareVariantMetrics,
  f1Variance,
  f1DifferenceInterval,
  DEFAULT_CONFIDENCE,
  DEFAULT_SRM_ALPHA,
  SHARE_SUM_TOLERANCE,
  type ConfusionCounts,
  type ClassificationMetrics,
  type Interval,
  type DifferenceInterval,
  type SampleRatioMismatch,
  type TwoProportionTest,
  type MetricDifference,
  type F1Counts,
} from './lib/ab';
