import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { LoadedModel } from '../model/loaded-model';
import type { ModelSlot, SlotFailure } from '../model/model-slot';
import { TalliedCounter, TalliedHistogram } from './tallied-metrics';

/**
 * The Prometheus metrics of this process, in a registry of its own (several apps in one test
 * process must not share prom-client's global one). Names follow Prometheus conventions: base
 * units (seconds), `_total` for counters.
 */
@Injectable()
export class ServingMetricsService {
  readonly registry = new Registry();

  // The series every scored request updates are tallied (tallied-metrics.ts); the rest are prom-client's own.
  readonly requestDuration = new TalliedHistogram(
    'inference_request_duration_seconds',
    'Time from request received to response sent, by route, model alias, model version and status code.',
    ['route', 'alias', 'version', 'status'],
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    this.registry,
  );

  // Always the histogram's `_count` per label set, so it is read from there rather than kept twice.
  readonly requests = this.requestDuration.countAs(
    'inference_requests_total',
    'HTTP requests by route, model alias, model version and status code.',
  );

  readonly rowsScored = new TalliedCounter(
    'inference_rows_scored_total',
    'Rows scored, by route, model alias and version.',
    ['route', 'alias', 'version'],
    this.registry,
  );

  readonly invalidOutputs = new Counter({
    name: 'inference_invalid_outputs_total',
    help: 'Rows whose model output was not a probability in [0, 1] (NaN, Infinity, out of range): answered 422, never as a prediction. By route, model alias and version.',
    labelNames: ['route', 'alias', 'version'] as const,
    registers: [this.registry],
  });

  readonly swaps = new Counter({
    name: 'inference_model_swaps_total',
    help: 'Model versions swapped in, by model, alias and the version swapped in.',
    labelNames: ['name', 'alias', 'version', 'trigger'] as const,
    registers: [this.registry],
  });

  readonly swapDuration = new Histogram({
    name: 'inference_model_swap_duration_seconds',
    help: 'Time to download (when not cached), open, check and warm a version before it was swapped in.',
    labelNames: ['name', 'alias'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly loadFailures = new Counter({
    name: 'inference_model_load_failures_total',
    help: 'Failed attempts to resolve an alias or load a version, by model, alias, version (empty for resolve failures) and stage.',
    labelNames: ['name', 'alias', 'version', 'stage'] as const,
    registers: [this.registry],
  });

  readonly loadedVersion = new Gauge({
    name: 'inference_model_loaded_version',
    help: 'The version number each alias serves (absent before the first load).',
    labelNames: ['name', 'alias'] as const,
    registers: [this.registry],
  });

  readonly ready = new Gauge({
    name: 'inference_model_ready',
    help: '1 when the alias has a loaded version, else 0.',
    labelNames: ['name', 'alias'] as const,
    registers: [this.registry],
  });

  readonly shadowRequests = new Counter({
    name: 'inference_shadow_requests_total',
    help: 'Requests the challenger was asked to shadow, by outcome: scored, dropped (queue full) or failed.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly feedbackLabels = new Counter({
    name: 'inference_feedback_labels_total',
    help: 'Ground-truth labels received, by outcome: joined to a logged prediction, unknown (no such prediction yet) or expired (older than FEEDBACK_WINDOW_SECONDS).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  recordSwap(slot: ModelSlot, model: LoadedModel, trigger: string): void {
    this.swaps.inc({ name: slot.name, alias: slot.alias, version: model.ref.version, trigger });
    this.swapDuration.observe({ name: slot.name, alias: slot.alias }, model.info.loadMs / 1000);
    this.loadedVersion.set({ name: slot.name, alias: slot.alias }, Number(model.ref.version));
    this.ready.set({ name: slot.name, alias: slot.alias }, 1);
  }

  recordFailure(slot: ModelSlot, failure: SlotFailure): void {
    this.loadFailures.inc({ name: slot.name, alias: slot.alias, version: failure.version ?? '', stage: failure.stage });
    if (!slot.current) this.ready.set({ name: slot.name, alias: slot.alias }, 0);
  }

  recordRequest(route: string, alias: string, version: string, status: number, seconds: number): void {
    this.requestDuration.observe([route, alias, version, statusText(status)], seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

const STATUS_TEXTS = new Map<number, string>();

/** The status code as a label value, made once per code rather than once per request. */
function statusText(status: number): string {
  let text = STATUS_TEXTS.get(status);
  if (text === undefined) STATUS_TEXTS.set(status, (text = String(status)));
  return text;
}
