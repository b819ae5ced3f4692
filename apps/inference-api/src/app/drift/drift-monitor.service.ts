import {
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { DriftInputError, driftReport, type DriftReport, type TrainingStatistics } from '@churn/drift-stats';

import type { InferenceApiConfig } from '../config/inference-api.config';
import { ServingMetricsService } from '../metrics/serving-metrics.service';
import type { FeatureBatch } from '../model/feature-batch';
import type { LoadedModel } from '../model/loaded-model';
import { ModelNotReadyError } from '../model/model-errors';
import type { PredictionObserver, ScoredRequest } from '../observation/prediction-observer';
import { ModelSlotsService } from '../slots/model-slots.service';
import { driftAlertKey, DriftAlertPolicy, previousAlertKey } from './drift-alert-policy';
import { DriftMetrics } from './drift-metrics';
import type { DriftAlertDto, DriftReportResponse } from './drift.dto';
import { LiveColumnPlan, STAGED_BATCH_MAX_ROWS, STAGED_ROWS, type StagedColumns } from './live-rows';
import { noReferenceReport } from './no-reference-report';
import { RollingDriftWindow } from './rolling-drift-window';
import { postWebhook, TrainingWorkerClient } from './training-worker-client';

/** The settings the monitor reads (see InferenceApiConfig). */
const DRIFT_SETTINGS = [
  'DRIFT_WINDOW_SIZE',
  'DRIFT_WINDOW_SECONDS',
  'DRIFT_EVALUATE_SECONDS',
  'DRIFT_ALERT_COOLDOWN_SECONDS',
  'DRIFT_QUEUE_ROWS',
  'DRIFT_ALERT_WEBHOOK_URL',
  'DRIFT_RETRAIN_ENABLED',
  'DRIFT_RETRAIN_DATA',
  'TRAINING_WORKER_URL',
  'TRAINING_WORKER_TOKEN',
] as const;
type DriftSettings = Pick<InferenceApiConfig, (typeof DRIFT_SETTINGS)[number]>;

/** Alerts kept in memory for `GET /drift`. */
const KEPT_ALERTS = 50;

interface QueuedBatch {
  model: LoadedModel;
  batch: FeatureBatch;
  at: number;
}

/** What this replica watches for one served version. */
interface VersionWatch {
  name: string;
  version: string;
  reference: TrainingStatistics | undefined;
  /** Model input names, in the order of the batches' columns. */
  columns: string[];
  /** How its scored batches become window columns. */
  livePlan: LiveColumnPlan;
  /** The stage its small batches are copied into. */
  staged: StagedColumns;
  /** Stages that filled (or aged), waiting for the next turn. */
  full: StagedColumns[];
  /** Emptied stages, kept for the next ones to fill (at most {@link KEPT_SPARE_STAGES}). */
  spares: StagedColumns[];
  window: RollingDriftWindow;
  policy: DriftAlertPolicy;
  /** Set when the watch is dropped, so the hot path's cache lets go of it. */
  forgotten: boolean;
}

/**
 * The live drift monitor: a {@link PredictionObserver} that takes scored rows into a rolling window
 * per served version and compares each window with its version's `train_stats.json` every
 * DRIFT_EVALUATE_SECONDS (Prometheus gauges, alerting) and on `GET /drift`. Small batches (one
 * request's customers) are copied into the version's stage; a full stage (up to {@link STAGED_ROWS}
 * rows) or an aged one is handed to the next turn, so the window's per-update checks cost little per
 * row, no request's batch is kept alive, and no request waits for a window update. Larger batches are
 * queued (bounded with the staged rows by DRIFT_QUEUE_ROWS; what does not fit is dropped and
 * counted, never waited for) and drained after the response. Every report and evaluation first
 * takes in what is staged and queued.
 */
@Injectable()
export class DriftMonitorService implements PredictionObserver, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DriftMonitorService.name);
  private readonly settings: DriftSettings;
  private readonly metrics: DriftMetrics;
  private readonly worker: TrainingWorkerClient;
  private readonly watches = new Map<string, VersionWatch>();
  private readonly watchCache = new WeakMap<LoadedModel, VersionWatch>();
  private readonly alerts: DriftAlertDto[] = [];
  private queue: QueuedBatch[] = [];
  private queuedRows = 0;
  private droppedRows = 0;
  private drainScheduled = false;
  private evaluating = false;
  private timer: NodeJS.Timeout | undefined;
  /** Alert deliveries in flight, awaited at shutdown. */
  private readonly deliveries = new Set<Promise<void>>();

  constructor(
    config: ConfigService<InferenceApiConfig, true>,
    servingMetrics: ServingMetricsService,
    private readonly slots: ModelSlotsService,
  ) {
    this.settings = Object.fromEntries(
      DRIFT_SETTINGS.map((key) => [key, config.get(key, { infer: true })]),
    ) as DriftSettings;
    this.metrics = new DriftMetrics(servingMetrics.registry);
    this.worker = new TrainingWorkerClient(this.settings.TRAINING_WORKER_URL, this.settings.TRAINING_WORKER_TOKEN);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.evaluateAll(), this.settings.DRIFT_EVALUATE_SECONDS * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.deliveries]);
  }

  /** Hot path: stage a small batch (or queue a large one) and return. */
  onScored(request: ScoredRequest): void {
    const { model, batch, receivedAt } = request;
    const rows = batch.rowCount;
    if (rows <= STAGED_BATCH_MAX_ROWS) {
      const watch = this.watchByModel(model);
      if (rows <= watch.staged.capacity) {
        const { staged } = watch;
        if (!staged.fits(rows) || (staged.rows > 0 && receivedAt - staged.firstAt > STAGED_MAX_AGE_MS))
          this.retire(watch);
        watch.staged.add(batch, receivedAt);
        return;
      }
    }
    if (this.queuedRows + this.stagedRows() + rows > this.settings.DRIFT_QUEUE_ROWS) {
      this.droppedRows += rows;
      this.metrics.droppedRows.inc(rows);
      return;
    }
    this.queue.push({ model, batch, at: receivedAt });
    this.queuedRows += rows;
    this.scheduleDrain();
  }

  /** Takes everything staged and queued into the windows, as a report or an evaluation reads them. */
  drain(): void {
    this.drainHandedOff();
    for (const watch of this.watches.values()) this.flush(watch, watch.staged);
  }

  /**
   * The turn after a hand-off: full stages and queued batches into their windows. Stages still
   * filling wait, so a window is updated once per stage, not once more per turn.
   */
  private drainHandedOff(): void {
    this.drainScheduled = false;
    for (const watch of this.watches.values()) {
      for (const stage of watch.full) {
        this.flush(watch, stage);
        if (watch.spares.length < KEPT_SPARE_STAGES) watch.spares.push(stage);
      }
      watch.full.length = 0;
    }
    const batches = this.queue;
    this.queue = [];
    this.queuedRows = 0;
    for (const { model, batch, at } of batches) {
      try {
        const watch = this.watchOf(model);
        watch.window.addColumns(watch.livePlan.columnsOf([batch]), batch.rowCount, at);
      } catch (error) {
        this.refused(model.ref, batch.rowCount, error);
      }
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drainHandedOff());
  }

  /** Hands a version's full (or aged) stage to the next turn, off the request, and stages into a spare. */
  private retire(watch: VersionWatch): void {
    watch.full.push(watch.staged);
    watch.staged = watch.spares.pop() ?? watch.livePlan.stagingArea(this.stagingCapacity);
    this.scheduleDrain();
  }

  /** Moves a stage's rows into the version's window and empties it, whatever the window says. */
  private flush(watch: VersionWatch, stage: StagedColumns): void {
    const rows = stage.rows;
    if (rows === 0) return;
    try {
      stage.drainInto(watch.window);
    } catch (error) {
      this.refused(watch, rows, error);
    }
  }

  /** Rows a window refused are counted as dropped and logged with the reason, so the intake never stops. */
  private refused(version: { name: string; version: string }, rows: number, error: unknown): void {
    this.droppedRows += rows;
    this.metrics.droppedRows.inc(rows);
    // The scorer accepted these values; a window refusing them means its reference and the model disagree.
    if (error instanceof DriftInputError)
      this.logger.warn(
        `${version.name} v${version.version}: ${rows} scored rows do not fit train_stats.json (${error.message}); dropped`,
      );
    else
      this.logger.error(
        `${version.name} v${version.version}: ${rows} scored rows were not recorded (${String(error)}); dropped`,
      );
  }

  /** Rows staged, full or filling, in every version. */
  private stagedRows(): number {
    let rows = 0;
    for (const watch of this.watches.values()) {
      rows += watch.staged.rows;
      for (const stage of watch.full) rows += stage.rows;
    }
    return rows;
  }

  /** Rows each version may hold staged: {@link STAGED_ROWS}, or all of DRIFT_QUEUE_ROWS when that is smaller. */
  private get stagingCapacity(): number {
    return Math.min(STAGED_ROWS, this.settings.DRIFT_QUEUE_ROWS);
  }

  /**
   * The drift report of `version` (the default alias's current version when undefined).
   * @throws {ModelNotReadyError} when no version is loaded yet and none is asked for
   * @throws {NotFoundException} when this replica neither serves nor has seen the version
   */
  report(version: string | undefined, now = Date.now()): DriftReportResponse {
    this.drain();
    const watch = this.watchFor(version);
    const { report, size, from, to } = this.evaluate(watch, now);
    return {
      dataset_drift: report.dataset_drift,
      drifted_features: report.drifted_features,
      share: report.share,
      window: {
        size,
        from: from === undefined ? null : new Date(from).toISOString(),
        to: to === undefined ? null : new Date(to).toISOString(),
      },
      features: report.features,
      model: { name: watch.name, alias: this.aliasServing(watch.version), version: watch.version },
      alerts: this.alerts.filter((alert) => alert.model.name === watch.name && alert.model.version === watch.version),
      dropped_rows: this.droppedRows,
    };
  }

  /** One evaluation round over every watched version: gauges, then alerts. Also forgets versions neither served nor fed for a whole window. */
  evaluateAll(now = Date.now()): void {
    if (this.evaluating) return;
    this.evaluating = true;
    try {
      this.drain();
      for (const [key, watch] of this.watches) {
        const { report } = this.evaluate(watch, now);
        if (
          this.aliasServing(watch.version) === null &&
          (watch.window.lastRowAt ?? 0) < now - this.settings.DRIFT_WINDOW_SECONDS * 1000
        ) {
          this.watches.delete(key);
          watch.forgotten = true;
          continue;
        }
        const period = watch.policy.observe(report.dataset_drift, now);
        if (period !== undefined) this.raiseAlert(watch, report, period, now);
      }
    } catch (error) {
      this.logger.error(`drift evaluation failed: ${(error as Error).message}`);
    } finally {
      this.evaluating = false;
    }
  }

  private evaluate(
    watch: VersionWatch,
    now: number,
  ): { report: DriftReport; size: number; from: number | undefined; to: number | undefined } {
    const snapshot = watch.window.snapshot(now);
    const report =
      watch.reference !== undefined && snapshot.window !== undefined
        ? driftReport(watch.reference, snapshot.window)
        : noReferenceReport(watch.columns);
    this.metrics.record(watch.name, watch.version, snapshot.size, report);
    return { report, size: snapshot.size, from: snapshot.from, to: snapshot.to };
  }

  private raiseAlert(watch: VersionWatch, report: DriftReport, period: number, now: number): void {
    const key = driftAlertKey(watch.name, watch.version, period);
    const alert: DriftAlertDto = {
      at: new Date(now).toISOString(),
      idempotency_key: key,
      model: { name: watch.name, alias: this.aliasServing(watch.version), version: watch.version },
      drifted_features: report.drifted_features,
      share: report.share,
      webhook: this.settings.DRIFT_ALERT_WEBHOOK_URL === '' ? 'not_configured' : 'pending',
      webhook_error: null,
      retrain: { status: this.settings.DRIFT_RETRAIN_ENABLED ? 'pending' : 'disabled', job_id: null, error: null },
    };
    this.alerts.push(alert);
    if (this.alerts.length > KEPT_ALERTS) this.alerts.shift();
    this.metrics.alerts.inc({ model: watch.name, version: watch.version });
    this.logger.warn(
      `drift alert ${key}: ${watch.name} v${watch.version} has drifted for at least ${this.settings.DRIFT_ALERT_COOLDOWN_SECONDS} s (${report.drifted_features.join(', ')}; share ${report.share.toFixed(2)})`,
    );
    const delivery = this.deliver(alert, report, watch, period).finally(() => this.deliveries.delete(delivery));
    this.deliveries.add(delivery);
  }

  private async deliver(alert: DriftAlertDto, report: DriftReport, watch: VersionWatch, period: number): Promise<void> {
    if (this.settings.DRIFT_ALERT_WEBHOOK_URL !== '') {
      try {
        await postWebhook(this.settings.DRIFT_ALERT_WEBHOOK_URL, { event: 'drift_alert', alert, report });
        alert.webhook = 'sent';
      } catch (error) {
        alert.webhook = 'failed';
        alert.webhook_error = (error as Error).message;
        this.logger.error(`drift alert ${alert.idempotency_key}: webhook failed: ${alert.webhook_error}`);
      }
    }
    if (!this.settings.DRIFT_RETRAIN_ENABLED) return;
    try {
      const earlier = await this.worker.findJob(previousAlertKey(watch.name, watch.version, period));
      if (earlier !== undefined) {
        alert.retrain = { status: 'existing', job_id: earlier.id, error: null };
      } else {
        const job = await this.worker.startJob({
          ...(this.settings.DRIFT_RETRAIN_DATA === '' ? {} : { data: this.settings.DRIFT_RETRAIN_DATA }),
          model_name: watch.name,
          idempotency_key: alert.idempotency_key,
        });
        alert.retrain = { status: job.created ? 'started' : 'existing', job_id: job.id, error: null };
      }
      this.logger.warn(
        `drift alert ${alert.idempotency_key}: retraining job ${alert.retrain.job_id} (${alert.retrain.status === 'started' ? 'started' : 'already started by another replica'})`,
      );
    } catch (error) {
      alert.retrain = { status: 'failed', job_id: null, error: (error as Error).message };
      this.logger.error(
        `drift alert ${alert.idempotency_key}: retraining could not be started: ${alert.retrain.error}`,
      );
    }
  }

  /** {@link watchOf}, cached per loaded version for the hot path. */
  private watchByModel(model: LoadedModel): VersionWatch {
    let watch = this.watchCache.get(model);
    if (watch === undefined || watch.forgotten) {
      watch = this.watchOf(model);
      this.watchCache.set(model, watch);
    }
    return watch;
  }

  private watchOf(model: LoadedModel): VersionWatch {
    const key = `${model.ref.name}\u0000${model.ref.version}`;
    let watch = this.watches.get(key);
    if (watch === undefined) {
      const columns = model.contract.columns.map((column) => column.name);
      const livePlan = new LiveColumnPlan(model.info.trainStats ?? EMPTY_REFERENCE, columns, model.builder.codeTexts);
      watch = {
        name: model.ref.name,
        version: model.ref.version,
        reference: model.info.trainStats,
        columns,
        livePlan,
        staged: livePlan.stagingArea(this.stagingCapacity),
        full: [],
        spares: [],
        window: new RollingDriftWindow(model.info.trainStats, {
          maxRows: this.settings.DRIFT_WINDOW_SIZE,
          maxAgeMs: this.settings.DRIFT_WINDOW_SECONDS * 1000,
        }),
        policy: new DriftAlertPolicy(this.settings.DRIFT_ALERT_COOLDOWN_SECONDS * 1000),
        forgotten: false,
      };
      this.watches.set(key, watch);
    }
    return watch;
  }

  private watchFor(version: string | undefined): VersionWatch {
    const slot = this.slots.defaultSlot;
    if (version === undefined) {
      if (!slot.current) throw new ModelNotReadyError(`no version of ${slot.name}@${slot.alias} is loaded yet`);
      return this.watchOf(slot.current);
    }
    const served = this.slots.allSlots().find((candidate) => candidate.current?.ref.version === version)?.current;
    if (served) return this.watchOf(served);
    const seen = this.watches.get(`${this.slots.modelName}\u0000${version}`);
    if (seen) return seen;
    throw new NotFoundException(
      `version ${version} of ${this.slots.modelName} is not served by this replica and has no drift window here`,
    );
  }

  /** The alias under which this replica serves `version`, or null. */
  private aliasServing(version: string): string | null {
    return this.slots.allSlots().find((slot) => slot.current?.ref.version === version)?.alias ?? null;
  }
}

/** Statistics with no features: the kind lookup of a version without train_stats.json. */
const EMPTY_REFERENCE: TrainingStatistics = { format_version: 1, row_count: 0, numeric: {}, categorical: {} };

/** Emptied stages a version keeps for reuse, so a hand-off allocates nothing once traffic is steady. */
const KEPT_SPARE_STAGES = 4;

/**
 * A stage is handed on when a row arrives this long after its first one, so its rows (dated by the
 * first) are off by at most this much in the window's buckets; reports take in what is staged at once.
 */
const STAGED_MAX_AGE_MS = 1000;
