import { Counter, Gauge, type Registry } from 'prom-client';

import { DROP_REASONS, type PredictionLogWriterStats } from './prediction-log-writer';

/**
 * The prediction log's series in the app's registry (ServingMetricsService.registry), read from the
 * writer at scrape time: its counts are the truth, and the hot path pays nothing for them. With the
 * log off (`stats` gives undefined) every series reads 0.
 */
export function registerPredictionLogMetrics(
  registry: Registry,
  stats: () => PredictionLogWriterStats | undefined,
): void {
  new Counter({
    name: 'inference_prediction_log_rows_total',
    help: 'Predicted rows for the prediction log, by outcome: written to the store, rejected by it (kept in its rejected-rows table with the reason), or dropped (queue full, shutdown, writer thread ended). received = written + rejected + dropped + queued.',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const current = stats();
      this.reset();
      if (current) {
        this.inc({ outcome: 'written' }, current.written);
        this.inc({ outcome: 'rejected' }, current.rejected);
        this.inc({ outcome: 'dropped' }, current.dropped);
      }
    },
  });
  new Counter({
    name: 'inference_prediction_log_received_rows_total',
    help: 'Predicted rows handed to the prediction log: every one is written, rejected, dropped or still queued.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats()?.received ?? 0);
    },
  });
  new Counter({
    name: 'inference_prediction_log_dropped_rows_total',
    help: 'Prediction log rows dropped, by reason: queue_full, closed (shutdown) or writer_exit (the writer thread ended holding them).',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      const current = stats();
      this.reset();
      for (const reason of DROP_REASONS) this.inc({ reason }, current?.droppedBy[reason] ?? 0);
    },
  });
  new Counter({
    name: 'inference_prediction_log_failed_writes_total',
    help: 'Batched writes to the prediction store that failed for an outage (their rows stay queued and are retried with back-off).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats()?.failedWrites ?? 0);
    },
  });
  new Gauge({
    name: 'inference_prediction_log_queued_rows',
    help: 'Rows waiting to be written to the prediction store.',
    registers: [registry],
    collect() {
      this.set(stats()?.queued ?? 0);
    },
  });
}
