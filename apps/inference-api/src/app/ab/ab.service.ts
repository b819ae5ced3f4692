import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { InferenceApiConfig } from '../config/inference-api.config';
import type { FeedbackLabel, LabelKey } from '../prediction-log';
import { TrafficService } from '../routing/traffic.service';
import { ServingMetricsService } from '../serving/serving-metrics.service';
import { buildAbReport, type AbReportJson } from './ab-report';
import type { AbReportQuery } from './ab-report-query';
import { PredictionLogService } from './prediction-log.service';

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

  constructor(
    private readonly log: PredictionLogService,
    private readonly traffic: TrafficService,
    private readonly metrics: ServingMetricsService,
    config: ConfigService<InferenceApiConfig, true>,
  ) {
    this.feedbackWindowMs = config.get('FEEDBACK_WINDOW_SECONDS', { infer: true }) * 1000;
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

  /** @throws {PredictionLogDisabledError} / {PredictionStoreUnavailableError} when there is no store to read */
  async report(query: AbReportQuery): Promise<AbReportJson> {
    const store = this.log.readyStore();
    const settings = this.traffic.settings;
    const range = { modelName: this.traffic.modelName, since: query.since, until: query.until };
    const [aggregates, assignments] = await Promise.all([
      store.aggregate(range),
      settings.challengerShare === null
        ? Promise.resolve(undefined)
        : store.assignments({ ...range, trafficShare: settings.challengerShare }),
    ]);
    return buildAbReport({
      ...range,
      aggregates,
      traffic: settings,
      assignments,
      confidence: query.confidence,
      minLabels: query.minLabels,
      now: new Date(),
    });
  }
}

function keyJson(key: LabelKey): { request_id: string; row: number } {
  return { request_id: key.requestId, row: key.row };
}
