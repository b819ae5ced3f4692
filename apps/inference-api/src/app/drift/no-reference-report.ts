import type { DriftReport, FeatureDriftReport } from '@churn/drift-stats';

/** Every feature `no_reference`, no dataset drift: a version without training statistics. */
export function noReferenceReport(features: readonly string[]): DriftReport {
  const lines: FeatureDriftReport[] = features.map((name) => ({
    name,
    method: null,
    statistic: null,
    p_value: null,
    score: null,
    threshold: null,
    status: 'no_reference',
    psi: null,
  }));
  return { dataset_drift: false, drifted_features: [], share: 0, features: lines };
}
