import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { InferenceApiConfig } from '../config/inference-api.config';
import type { FeatureBatch, FeatureBatchBuilder } from '../model/feature-batch';
import type { ModelRef, Scores } from '../model/loaded-model';
import type { ModelSlot } from '../model/model-slot';
import { ModelSlotsService } from '../serving/model-slots.service';
import { ServingMetricsService } from '../serving/serving-metrics.service';
import { PREDICTION_OBSERVERS, type PredictionObserver, type ScoredRequest } from './prediction-observer';

export interface ScoringOutcome {
  model: ModelRef;
  batch: FeatureBatch;
  scores: Scores;
}

export interface ScoringContext {
  route: ScoredRequest['route'];
  requestId: string;
  userId: string | undefined;
  receivedAt: number;
}

/**
 * Scores requests on the version a slot serves: leases it for the request, prepares the rows with
 * that version's own column plan, runs it, hands the result to the observers, releases the lease.
 */
@Injectable()
export class ScoringService {
  private readonly logger = new Logger(ScoringService.name);
  readonly maxBatchRows: number;

  constructor(
    private readonly slots: ModelSlotsService,
    @Inject(PREDICTION_OBSERVERS) private readonly observers: PredictionObserver[],
    private readonly metrics: ServingMetricsService,
    config: ConfigService<InferenceApiConfig, true>,
  ) {
    this.maxBatchRows = config.get('MAX_BATCH_ROWS', { infer: true });
  }

  /** The slot a request is served from. Every request gets the default alias until routing exists. */
  slotFor(_userId: string | undefined): ModelSlot {
    return this.slots.defaultSlot;
  }

  /**
   * @param prepare builds the batch with the leased version's builder (columns may differ between versions)
   * @throws {ModelNotReadyError} when the slot has no version; InputError from `prepare`
   */
  async score(slot: ModelSlot, context: ScoringContext, prepare: (builder: FeatureBatchBuilder) => FeatureBatch): Promise<ScoringOutcome> {
    const model = slot.acquire();
    try {
      const started = performance.now();
      const batch = prepare(model.builder);
      const scores = await model.score(batch);
      this.metrics.rowsScored.inc({ route: context.route, alias: model.ref.alias, version: model.ref.version }, batch.rowCount);
      if (this.observers.length > 0) {
        const scored: ScoredRequest = { ...context, model, batch, scores, scoringMs: performance.now() - started };
        for (const observer of this.observers) {
          try {
            observer.onScored(scored);
          } catch (error) {
            this.logger.error(`prediction observer failed: ${(error as Error).message}`);
          }
        }
      }
      return { model: model.ref, batch, scores };
    } finally {
      model.release();
    }
  }
}
