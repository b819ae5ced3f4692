export { confusionCounts, type ConfusionCounts } from './confusion-counts';
export { classificationMetrics, type ClassificationMetrics } from './classification-metrics';
export { normalQuantile } from './normal-quantile';
export {
  wilsonInterval,
  newcombeDifferenceInterval,
  DEFAULT_CONFIDENCE,
  type Interval,
  type DifferenceInterval,
} from './proportion-intervals';
export {
  sampleRatioMismatch,
  DEFAULT_SRM_ALPHA,
  SHARE_SUM_TOLERANCE,
  type SampleRatioMismatch,
} from './sample-ratio-mismatch';
export { compareVariantMetrics, type MetricDifference } from './compare-variants';
export { f1Variance, f1DifferenceInterval, type F1Counts } from './f1-interval';
export { twoProportionZTest, type TwoProportionTest } from './two-proportion-test';
