import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { InferenceApiConfig } from '../config/inference-api.config';
import { ServingMetricsService } from '../metrics/serving-metrics.service';
import type { PredictionObserver, ScoredRequest } from '../observation/prediction-observer';
import { openPredictionStore } from './open-prediction-store';
import { entryOf } from './prediction-log-entry';
import { PredictionLogDisabledError, PredictionStoreUnavailableError } from './prediction-log-errors';
import { registerPredictionLogMetrics } from './prediction-log-metrics';
import {
  InThreadSink,
  WorkerThreadSink,
  type PredictionLogSettings,
  type PredictionLogSink,
} from './prediction-log-sink';
import { initialiseStore, predictionLogThreadScript } from './prediction-log-thread';
import { PredictionReportReader, type ReportData, type ReportQuery } from './prediction-report-reader';
import type { PredictionStore } from './prediction-store';

/** How often retention runs; the size bound can be overshot by what arrives in between. */
const RETENTION_SWEEP_MS = 600_000;
/** Rows per retention delete: each is one short transaction, and the event loop turns between them. */
export const RETENTION_BATCH_ROWS = 5_000;

/**
 * The prediction log: every scored request goes to a bounded queue on the hot path — one entry per
 * request holding the batch's columns, no work per row — and reaches the shared store (and the
 * JSONL file, when configured) in batched writes, from a writer thread of its own when the app runs
 * from its bundle. The challenger's shadow score travels with the entry when there is one. Rows are
 * dropped and counted, never waited for, when the store cannot keep up. This thread keeps its own
 * connection for feedback and the retention sweep (PREDICTION_RETENTION_DAYS, PREDICTION_RETENTION_MAX_ROWS);
 * the A/B report reads from a thread of its own (see PredictionReportReader).
 */
@Injectable()
export class PredictionLogService implements PredictionObserver, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PredictionLogService.name);
  private readonly enabled: boolean;
  private readonly replica: string;
  private store: PredictionStore | undefined;
  private sink: PredictionLogSink | undefined;
  private reader: PredictionReportReader | undefined;
  private ready = false;
  private lastInitError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly config: ConfigService<InferenceApiConfig, true>,
    metrics: ServingMetricsService,
  ) {
    registerPredictionLogMetrics(metrics.registry, () => this.sink?.stats);
    this.enabled = config.get('PREDICTION_LOG_ENABLED', { infer: true });
    this.replica = config.get('REPLICA_ID', { infer: true });
  }

  /**
   * Opens the store and starts the writer; the tables are created in the background with retries, so
   * a database that is still starting delays the log, not the predictions.
   */
  onModuleInit(): void {
    if (!this.enabled) return;
    const storeUrl = this.config.get('INFERENCE_STORE_URL', { infer: true });
    const store = openPredictionStore(storeUrl);
    const jsonlPath = this.config.get('PREDICTION_LOG_JSONL_PATH', { infer: true });
    const settings: PredictionLogSettings = {
      storeUrl,
      queueCapacity: this.config.get('PREDICTION_LOG_QUEUE_ROWS', { infer: true }),
      batchSize: this.config.get('PREDICTION_LOG_BATCH_ROWS', { infer: true }),
      flushIntervalMs: this.config.get('PREDICTION_LOG_FLUSH_MS', { infer: true }),
      jsonl: jsonlPath
        ? {
            path: jsonlPath,
            maxBytes: this.config.get('PREDICTION_LOG_JSONL_MAX_BYTES', { infer: true }),
            keep: this.config.get('PREDICTION_LOG_JSONL_KEEP', { infer: true }),
          }
        : undefined,
    };
    let lastWriteError = '';
    const onError = (message: string) => {
      // One line per distinct problem, not one per flush, while the store is down.
      if (message !== lastWriteError) this.logger.error(message);
      lastWriteError = message;
    };
    const script = predictionLogThreadScript();
    this.store = store;
    this.reader = new PredictionReportReader({
      storeUrl,
      script,
      localStore: () => store,
      timeoutMs: this.config.get('AB_REPORT_TIMEOUT_MS', { infer: true }),
    });
    this.sink = script ? new WorkerThreadSink(script, settings, onError) : new InThreadSink(store, settings, onError);
    void this.initialise(store, script ? 'a writer thread' : 'this thread');
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sink?.close();
    await this.reader?.close();
    await this.store?.close();
  }

  onScored(request: ScoredRequest): void {
    const sink = this.sink;
    if (!sink) return;
    if (request.shadow) void request.shadow.then((shadow) => sink.enqueue(entryOf(request, this.replica, shadow)));
    else sink.enqueue(entryOf(request, this.replica));
  }

  /**
   * The store, once its tables exist.
   * @throws {PredictionLogDisabledError} when PREDICTION_LOG_ENABLED=false
   * @throws {PredictionStoreUnavailableError} while it cannot be set up
   */
  readyStore(): PredictionStore {
    if (!this.enabled || !this.store) throw new PredictionLogDisabledError();
    if (!this.ready) throw new PredictionStoreUnavailableError(this.store.description, this.lastInitError);
    return this.store;
  }

  /**
   * The A/B report's figures, read off the request thread within AB_REPORT_TIMEOUT_MS.
   * @throws {PredictionLogDisabledError} / {PredictionStoreUnavailableError} as {@link readyStore}
   * @throws {ReportUnavailableError} when the queries overrun (answered 503 with Retry-After)
   */
  readReport(query: ReportQuery): Promise<ReportData> {
    this.readyStore();
    return (this.reader as PredictionReportReader).read(query);
  }

  /** Writes every queued record now (tests, shutdown). */
  async flush(): Promise<void> {
    await this.sink?.flush();
  }

  private async initialise(store: PredictionStore, writer: string): Promise<void> {
    const done = await initialiseStore(
      store,
      (message, attempt, retryInMs) => {
        this.lastInitError = message;
        this.logger.error(
          `prediction store ${store.description} not ready (attempt ${attempt}, retry in ${retryInMs} ms): ${message}`,
        );
      },
      () => this.stopped,
    );
    if (!done) return;
    this.ready = true;
    this.lastInitError = undefined;
    this.logger.log(`prediction log: ${store.description}, written from ${writer}`);
    await this.sweep();
  }

  /** Deletes what is older than the retention period or beyond its row bound, then again every ten minutes. */
  private async sweep(): Promise<void> {
    const store = this.store;
    if (!store || this.stopped) return;
    const cutoff = Math.floor(Date.now() - this.config.get('PREDICTION_RETENTION_DAYS', { infer: true }) * 86_400_000);
    const maxRows = this.config.get('PREDICTION_RETENTION_MAX_ROWS', { infer: true });
    try {
      const deleted = await store.applyRetention({ cutoff, maxRows, batchRows: RETENTION_BATCH_ROWS });
      if (deleted.predictions + deleted.feedback + deleted.rejected > 0)
        this.logger.log(
          `retention: deleted ${deleted.predictions} predictions, ${deleted.feedback} labels and ${deleted.rejected} rejected rows (before ${new Date(cutoff).toISOString()} or beyond ${maxRows || 'unlimited'} rows)`,
        );
    } catch (error) {
      this.logger.warn(`retention sweep failed: ${(error as Error).message}`);
    }
    this.timer = setTimeout(() => void this.sweep(), RETENTION_SWEEP_MS);
    this.timer.unref();
  }
}
