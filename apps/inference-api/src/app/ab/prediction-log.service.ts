import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { InferenceApiConfig } from '../config/inference-api.config';
import { openPredictionStore, PredictionLogWriter, type PredictionRecord, type PredictionStore, RotatingJsonlFile } from '../prediction-log';
import type { PredictionObserver, ScoredRequest, ShadowScore } from '../scoring/prediction-observer';
import { ServingMetricsService } from '../serving/serving-metrics.service';
import { PredictionLogDisabledError, PredictionStoreUnavailableError } from './ab-errors';

/** Store set-up retries (a database still starting): 1 s doubling to 30 s. */
const INIT_BACKOFF = { initialMs: 1000, maxMs: 30_000 };
const RETENTION_SWEEP_MS = 3600_000;

/**
 * The prediction log: every scored row goes into a bounded queue on the hot path and reaches the
 * shared store (and the JSONL file, when configured) in batched writes, with the challenger's shadow
 * score beside it when there is one. Rows are dropped and counted, never waited for, when the store
 * cannot keep up. Also sweeps records older than PREDICTION_RETENTION_DAYS every hour.
 */
@Injectable()
export class PredictionLogService implements PredictionObserver, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PredictionLogService.name);
  private readonly enabled: boolean;
  private readonly replica: string;
  private store: PredictionStore | undefined;
  private writer: PredictionLogWriter | undefined;
  private ready = false;
  private lastInitError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly config: ConfigService<InferenceApiConfig, true>,
    private readonly metrics: ServingMetricsService,
  ) {
    this.enabled = config.get('PREDICTION_LOG_ENABLED', { infer: true });
    this.replica = config.get('REPLICA_ID', { infer: true });
  }

  /**
   * Opens the store and starts the writer; the tables are created in the background with retries, so
   * a database that is still starting delays the log, not the predictions.
   * @throws {PredictionStoreConfigError} when INFERENCE_STORE_URL is malformed
   */
  onModuleInit(): void {
    if (!this.enabled) return;
    const store = openPredictionStore(this.config.get('INFERENCE_STORE_URL', { infer: true }));
    const jsonlPath = this.config.get('PREDICTION_LOG_JSONL_PATH', { infer: true });
    const jsonl = jsonlPath
      ? new RotatingJsonlFile({ path: jsonlPath, maxBytes: this.config.get('PREDICTION_LOG_JSONL_MAX_BYTES', { infer: true }), keep: this.config.get('PREDICTION_LOG_JSONL_KEEP', { infer: true }) })
      : undefined;
    this.store = store;
    let lastWriteError = '';
    this.writer = new PredictionLogWriter({
      store,
      jsonl,
      queueCapacity: this.config.get('PREDICTION_LOG_QUEUE_ROWS', { infer: true }),
      batchSize: this.config.get('PREDICTION_LOG_BATCH_ROWS', { infer: true }),
      flushIntervalMs: this.config.get('PREDICTION_LOG_FLUSH_MS', { infer: true }),
      onError: (error) => {
        // One line per distinct problem, not one per flush, while the store is down.
        if (error.message !== lastWriteError) this.logger.error(`prediction log write failed (rows kept for the next attempt): ${error.message}`);
        lastWriteError = error.message;
      },
    });
    this.metrics.trackPredictionLog(() => this.writer?.stats);
    void this.initialise(store);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.writer?.close();
    await this.store?.close();
  }

  onScored(request: ScoredRequest): void {
    const writer = this.writer;
    if (!writer) return;
    if (request.shadow) {
      const records = toRecords(request, this.replica);
      void request.shadow.then((shadow) => writer.enqueue(shadow ? withShadow(records, shadow) : records));
    } else {
      writer.enqueue(toRecords(request, this.replica));
    }
  }

  /** Where the log stands, for /ab/report and /ready details. */
  get status(): { enabled: boolean; store: string | null; ready: boolean; lastError: string | null } {
    return { enabled: this.enabled, store: this.store?.description ?? null, ready: this.ready, lastError: this.lastInitError ?? null };
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

  /** Writes every queued record now (tests, shutdown). */
  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  private async initialise(store: PredictionStore): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await store.init();
        this.ready = true;
        this.lastInitError = undefined;
        this.logger.log(`prediction log: ${store.description}`);
        await this.sweep();
        return;
      } catch (error) {
        this.lastInitError = (error as Error).message;
        const waitMs = Math.min(INIT_BACKOFF.initialMs * 2 ** (attempt - 1), INIT_BACKOFF.maxMs);
        this.logger.error(`prediction store ${store.description} not ready (attempt ${attempt}, retry in ${waitMs} ms): ${this.lastInitError}`);
        await this.sleep(waitMs);
      }
    }
  }

  /** Deletes what is older than the retention period, then again every hour. */
  private async sweep(): Promise<void> {
    const store = this.store;
    if (!store || this.stopped) return;
    const cutoff = Date.now() - this.config.get('PREDICTION_RETENTION_DAYS', { infer: true }) * 86_400_000;
    try {
      const deleted = await store.deleteOlderThan(cutoff);
      if (deleted.predictions + deleted.feedback > 0) this.logger.log(`retention: deleted ${deleted.predictions} predictions and ${deleted.feedback} labels before ${new Date(cutoff).toISOString()}`);
    } catch (error) {
      this.logger.warn(`retention sweep failed: ${(error as Error).message}`);
    }
    this.timer = setTimeout(() => void this.sweep(), RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, ms);
      this.timer.unref();
    });
  }
}

/** One record per row of a scored request; the features as the model received them (missing → null). */
function toRecords(request: ScoredRequest, replica: string): PredictionRecord[] {
  const { batch, model, scores } = request;
  const names = model.builder.columns.map((column) => column.name);
  const latencyMs = request.scoringMs;
  const records: PredictionRecord[] = new Array(batch.rowCount);
  for (let row = 0; row < batch.rowCount; row++) {
    const features: Record<string, number | string | null> = {};
    for (let index = 0; index < names.length; index++) {
      const value = batch.columns[index][row];
      features[names[index]] = typeof value === 'number' ? (Number.isFinite(value) ? value : null) : value === '' || value === undefined ? null : value;
    }
    records[row] = {
      requestId: request.requestId,
      row,
      receivedAt: request.receivedAt,
      userId: request.userId ?? null,
      variant: request.variant,
      modelName: model.ref.name,
      alias: model.ref.alias,
      version: model.ref.version,
      features,
      probability: scores.probabilities[row],
      prediction: scores.labels[row] as 0 | 1,
      latencyMs,
      trafficShare: request.trafficShare,
      shadow: null,
      replica,
    };
  }
  return records;
}

function withShadow(records: PredictionRecord[], shadow: ShadowScore[]): PredictionRecord[] {
  return records.map((record) => ({ ...record, shadow: shadow[record.row] ?? null }));
}
