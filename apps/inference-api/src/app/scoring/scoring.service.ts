import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { InferenceApiConfig } from '../config/inference-api.config';
import { ServingMetricsService } from '../metrics/serving-metrics.service';
import type { FeatureBatch, FeatureBatchBuilder } from '../model/feature-batch';
import type { ModelRef, Scores } from '../model/loaded-model';
import { ModelOutputError } from '../model/model-errors';
import {
  PREDICTION_OBSERVERS,
  type PredictionObserver,
  type ScoredRequest,
  type Variant,
} from '../observation/prediction-observer';
import type { Route } from '../routing/route';
import { TrafficService } from '../routing/traffic.service';

export interface ScoringOutcome {
  model: ModelRef;
  variant: Variant;
  batch: FeatureBatch;
  scores: Scores;
}

export interface ScoringContext {
  route: ScoredRequest['route'];
  requestId: string;
  userId: string | undefined;
  receivedAt: number;
  /** Where row `row` sits in the request, for a refused output (`customers[3]`); `row 3` when absent. */
  locateRow?: (row: number) => string;
}

/**
 * Scores requests on the version their route names: leases it for the request, prepares the rows
 * with that version's own column plan, runs it, queues the challenger's shadow score when the route
 * asks for one, hands the result to the observers, releases the lease.
 */
@Injectable()
export class ScoringService {
  private readonly logger = new Logger(ScoringService.name);
  readonly maxBatchRows: number;

  constructor(
    private readonly traffic: TrafficService,
    @Inject(PREDICTION_OBSERVERS) private readonly observers: PredictionObserver[],
    private readonly metrics: ServingMetricsService,
    config: ConfigService<InferenceApiConfig, true>,
  ) {
    this.maxBatchRows = config.get('MAX_BATCH_ROWS', { infer: true });
  }

  /** Where a request goes: champion or challenger for a user in an experiment (or any request during a rollout), else the default alias. */
  routeFor(userId: string | undefined, requestId?: string): Route {
    return this.traffic.route(userId, requestId);
  }

  /**
   * @param prepare builds the batch with the leased version's builder (columns may differ between versions)
   * @throws {ModelNotReadyError} when the slot has no version; InputError from `prepare`;
   *   {ModelOutputError} when a row's output is not a probability (counted in `inference_invalid_outputs_total`)
   */
  async score(
    route: Route,
    context: ScoringContext,
    prepare: (builder: FeatureBatchBuilder) => FeatureBatch,
  ): Promise<ScoringOutcome> {
    const model = route.slot.acquire();
    try {
      const started = performance.now();
      const batch = prepare(model.builder);
      let scores: Scores;
      try {
        scores = await model.score(batch);
      } catch (error) {
        if (!(error instanceof ModelOutputError)) throw error;
        this.metrics.invalidOutputs.inc(
          { route: context.route, alias: model.ref.alias, version: model.ref.version },
          error.invalidRows,
        );
        const located = context.locateRow ? error.at(context.locateRow(error.row)) : error;
        this.logger.warn(located.message);
        throw located;
      }
      this.metrics.rowsScored.inc([context.route, model.ref.alias, model.ref.version], batch.rowCount);
      // Only once the served answer exists: a request that fails its own scoring is not shadowed.
      const shadow = route.shadowSlot ? this.traffic.shadowScore(route.shadowSlot, prepare, batch) : undefined;
      if (this.observers.length > 0) {
        // Field by field: spreading `context` into the literal cost more than the rest of this method.
        const scored: ScoredRequest = {
          route: context.route,
          requestId: context.requestId,
          userId: context.userId,
          receivedAt: context.receivedAt,
          variant: route.variant,
          trafficShare: route.trafficShare,
          model,
          batch,
          scores,
          scoringMs: performance.now() - started,
          shadow,
        };
        for (const observer of this.observers) {
          try {
            observer.onScored(scored);
          } catch (error) {
            this.logger.error(`prediction observer failed: ${(error as Error).message}`);
          }
        }
      }
      return { model: model.ref, variant: route.variant, batch, scores };
    } finally {
      model.release();
    }
  }
}
