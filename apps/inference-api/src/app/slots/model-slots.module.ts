import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { mlflowClientOptionsFromEnv, MlflowModule } from '@churn/mlflow-client';

import type { InferenceApiConfig } from '../config/inference-api.config';
import { MLFLOW_ENVIRONMENT, type MlflowEnvironment } from '../config/mlflow-environment.module';
import { ServingMetricsModule } from '../metrics/serving-metrics.module';
import { ModelSlotsService } from './model-slots.service';

/**
 * MLflow's client and the model slots it fills; credentials come from the app's environment. Calls
 * made while polling give up quickly (one retry, 10 s timeout): the next poll is the retry, and a
 * slow MLflow must not pile polls up.
 */
const MLFLOW = MlflowModule.forRootAsync({
  inject: [ConfigService, MLFLOW_ENVIRONMENT],
  useFactory: (config: ConfigService<InferenceApiConfig, true>, environment: MlflowEnvironment) => ({
    ...mlflowClientOptionsFromEnv({
      ...environment,
      MLFLOW_TRACKING_URI: config.get('MLFLOW_TRACKING_URI', { infer: true }),
    }),
    maxRetries: 1,
    timeoutMs: 10_000,
  }),
});

@Module({
  imports: [MLFLOW, ServingMetricsModule],
  providers: [ModelSlotsService],
  exports: [ModelSlotsService, MLFLOW],
})
export class ModelSlotsModule {}
