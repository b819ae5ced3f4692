import { Counter, Gauge, type Registry } from 'prom-client';

import type { DriftReport } from '@churn/drift-stats';

/**
 * Prometheus series of the drift monitor, in the app's registry (ServingMetricsService.registry).
 * Per feature, a field that does not apply to the feature's method (a p-value under Wasserstein)
 * has no series rather than a made-up value.
 */
export class DriftMetrics {
  private readonly featureLabels = ['model', 'version', 'feature'] as const;
  private readonly versionLabels = ['model', 'version'] as const;

  readonly statistic: Gauge<'model' | 'version' | 'feature'>;
  readonly score: Gauge<'model' | 'version' | 'feature'>;
  readonly pValue: Gauge<'model' | 'version' | 'feature'>;
  readonly psi: Gauge<'model' | 'version' | 'feature'>;
  readonly featureDrift: Gauge<'model' | 'version' | 'feature'>;
  readonly datasetDrift: Gauge<'model' | 'version'>;
  readonly windowRows: Gauge<'model' | 'version'>;
  readonly droppedRows: Counter;
  readonly alerts: Counter<'model' | 'version'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const feature = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: this.featureLabels, registers });
    this.statistic = feature(
      'inference_drift_feature_statistic',
      'Test statistic per feature: KS D, chi-square, or raw Wasserstein-1 distance.',
    );
    this.score = feature(
      'inference_drift_feature_score',
      'Normalised Wasserstein or Jensen-Shannon distance per feature (large windows).',
    );
    this.pValue = feature(
      'inference_drift_feature_p_value',
      'KS or chi-square p-value per feature (windows up to 1000 rows).',
    );
    this.psi = feature(
      'inference_drift_feature_psi',
      'Population stability index per feature on the bins frozen at training.',
    );
    this.featureDrift = feature(
      'inference_drift_feature_drift',
      '1 when the feature drifts, else 0 (absent without a verdict).',
    );
    this.datasetDrift = new Gauge({
      name: 'inference_drift_dataset_drift',
      help: '1 when the dataset drifts (at least half the tested features), else 0.',
      labelNames: this.versionLabels,
      registers,
    });
    this.windowRows = new Gauge({
      name: 'inference_drift_window_rows',
      help: 'Rows in the live drift window of the version.',
      labelNames: this.versionLabels,
      registers,
    });
    this.droppedRows = new Counter({
      name: 'inference_drift_dropped_rows_total',
      help: 'Scored rows not added to a drift window because its queue was full.',
      registers,
    });
    this.alerts = new Counter({
      name: 'inference_drift_alerts_total',
      help: 'Drift alerts raised by this replica.',
      labelNames: this.versionLabels,
      registers,
    });
  }

  record(model: string, version: string, windowRows: number, report: DriftReport): void {
    this.windowRows.set({ model, version }, windowRows);
    this.datasetDrift.set({ model, version }, report.dataset_drift ? 1 : 0);
    for (const line of report.features) {
      const labels = { model, version, feature: line.name };
      setOrRemove(this.statistic, labels, line.statistic);
      setOrRemove(this.score, labels, line.score);
      setOrRemove(this.pValue, labels, line.p_value);
      setOrRemove(this.psi, labels, line.psi);
      const verdict = line.status === 'drift' ? 1 : line.status === 'ok' || line.status === 'warn' ? 0 : null;
      setOrRemove(this.featureDrift, labels, verdict);
    }
  }
}

function setOrRemove<T extends string>(gauge: Gauge<T>, labels: Record<T, string>, value: number | null): void {
  if (value === null) gauge.remove(labels);
  else gauge.set(labels, value);
}
