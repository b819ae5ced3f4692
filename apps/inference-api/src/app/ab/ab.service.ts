import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { InferenceApiConfig } from '../config/inference-api.config';
import { ServingMetricsService } from '../metrics/serving-metrics.service';
import type { FeedbackLabel, LabelKey } from '../prediction-log';
import { PredictionLogService } from '../prediction-log/prediction-log.service';
import { TrafficService } from '../routing/traffic.service';
import { buildAbReport, type AbReportJson } from './ab-report';
import type { AbReportQuery } from './ab-report-query';
import { scoreDistributions } from './score-distribution';

export interface FeedbackResultJson {
  received: number;
  joined: number;
  /** No such prediction (yet): kept, and joined if the prediction's write arrives later. */
  unknown: { request_id: string; row: number }[];
  /** The prediction is older than FEEDBACK_WINDOW_SECONDS: not recorded. */
  expired: { request_id: string; row: number }[];
}

/** Ground truth in, the champion/challenger report out; both over the store every replica shares. */
@Injectable()
export class AbService {
  private readonly feedbackWindowMs: number;
  private readonly defaultWindowMs: number;

  constructor(
    private readonly log: PredictionLogService,
    private readonly traffic: TrafficService,
    private readonly metrics: ServingMetricsService,
    config: ConfigService<InferenceApiConfig, true>,
  ) {
    this.feedbackWindowMs = config.get('FEEDBACK_WINDOW_SECONDS', { infer: true }) * 1000;
    this.defaultWindowMs = config.get('AB_REPORT_DEFAULT_WINDOW_DAYS', { infer: true }) * 86_400_000;
  }

  /** @throws {PredictionLogDisabledError} / {PredictionStoreUnavailableError} when there is no store to join to */
  async recordFeedback(labels: readonly FeedbackLabel[]): Promise<FeedbackResultJson> {
    const outcome = await this.log
      .readyStore()
      .recordFeedback(labels, { now: Date.now(), windowMs: this.feedbackWindowMs });
    this.metrics.feedbackLabels.inc({ outcome: 'joined' }, outcome.joined.length);
    this.metrics.feedbackLabels.inc({ outcome: 'unknown' }, outcome.unknown.length);
    this.metrics.feedbackLabels.inc({ outcome: 'expired' }, outcome.expired.length);
    return {
      received: labels.length,
      joined: outcome.joined.length,
      unknown: outcome.unknown.map(keyJson),
      expired: outcome.expired.map(keyJson),
    };
  }

  /**
   * The report over `since`..`until`; without `since`, the AB_REPORT_DEFAULT_WINDOW_DAYS before
   * `until` (or now), so that a bare call does not aggregate the whole log.
   * @throws {PredictionLogDisabledError} / {PredictionStoreUnavailableError} when there is no store to read
   * @throws {ReportUnavailableError} when the queries overrun AB_REPORT_TIMEOUT_MS
   */
  async report(query: AbReportQuery): Promise<AbReportJson> {
    const now = new Date();
    const settings = this.traffic.settings;
    const since = query.since ?? Math.floor((query.until ?? now.getTime()) - this.defaultWindowMs);
    const range = { modelName: this.traffic.modelName, since, until: query.until };
    // Score histograms are asked for over a rollout step's short window, so they are read here
    // rather than by the report reader.
    const [{ aggregates, assignments }, distributions] = await Promise.all([
      this.log.readReport({ ...range, trafficShare: settings.challengerShare }),
      query.scoreBins === undefined
        ? undefined
        : scoreDistributions(this.log.readyStore().predictions(range), query.scoreBins),
    ]);
    return buildAbReport({
      ...range,
      aggregates,
      traffic: settings,
      assignments,
      confidence: query.confidence,
      minLabels: query.minLabels,
      now,
      scoreDistributions: distributions,
    });
  }
}

function keyJson(key: LabelKey): { request_id: string; row: number } {
  return { request_id: key.requestId, row: key.row };
}
