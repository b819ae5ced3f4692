import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { MlflowClient, mlflowClientOptionsFromEnv } from '@churn/mlflow-client';
import { ApiTokens } from '@churn/service-kit';

import { AbController } from '../ab/ab.controller';
import { AbService } from '../ab/ab.service';
import { PredictionLogService } from '../ab/prediction-log.service';
import type { InferenceApiConfig } from '../config/inference-api.config';
import { DriftMonitorService } from '../drift/drift-monitor.service';
import { TrafficService } from '../routing/traffic.service';
import { InvocationsController } from '../scoring/invocations.controller';
import { PredictController } from '../scoring/predict.controller';
import { PREDICTION_OBSERVERS } from '../scoring/prediction-observer';
import { ScoringService } from '../scoring/scoring.service';
import { AdminController } from './admin.controller';
import { MetricsController } from './metrics.controller';
import { ModelSlotsService } from './model-slots.service';
import { ModelController } from './model.controller';
import { ServingMetricsService } from './serving-metrics.service';
import { WebhooksController } from './webhooks.controller';

/**
 * Model slots, champion/challenger routing, scoring, the prediction log and their endpoints. MLflow calls made while polling give up quickly (one
 * retry, 10 s timeout): the next poll is the retry, and a slow MLflow must not pile polls up.
 */
@Global()
@Module({
  controllers: [
    PredictController,
    AbController,
    InvocationsController,
    ModelController,
    MetricsController,
    AdminController,
    WebhooksController,
  ],
  providers: [
    {
      provide: MlflowClient,
      inject: [ConfigService],
      useFactory: (config: ConfigService<InferenceApiConfig, true>) =>
        new MlflowClient({
          ...mlflowClientOptionsFromEnv(process.env),
          trackingUri: config.get('MLFLOW_TRACKING_URI', { infer: true }),
          maxRetries: 1,
          timeoutMs: 10_000,
        }),
    },
    {
      provide: ApiTokens,
      inject: [ConfigService],
      useFactory: (config: ConfigService<InferenceApiConfig, true>) =>
        ApiTokens.parse(config.get('API_TOKENS', { infer: true })),
    },
    DriftMonitorService,
    PredictionLogService,
    {
      provide: PREDICTION_OBSERVERS,
      inject: [DriftMonitorService, PredictionLogService],
      useFactory: (drift: DriftMonitorService, log: PredictionLogService) => [drift, log],
    },
    ServingMetricsService,
    ModelSlotsService,
    TrafficService,
    ScoringService,
    AbService,
  ],
  exports: [
    ApiTokens,
    ModelSlotsService,
    TrafficService,
    PredictionLogService,
    ScoringService,
    ServingMetricsService,
    MlflowClient,
    PREDICTION_OBSERVERS,
    DriftMonitorService,
  ],
})
export class ServingModule {}
