import { Global, Module } from '@nestjs/common';

import { MlflowClient, mlflowClientOptionsFromEnv, MlflowModule } from '@churn/mlflow-client';

import { TrainingWorkerConfig } from '../config/training-worker.config';
import { gitCommit } from './provenance';
import { TrainingRunner } from './training-run';

/** The MLflow client (MLflow's own variables for credentials) and the training runner the jobs use. */
@Global()
@Module({
  imports: [
    MlflowModule.forRootAsync({
      isGlobal: true,
      inject: [TrainingWorkerConfig],
      useFactory: (config: TrainingWorkerConfig) =>
        mlflowClientOptionsFromEnv({ ...process.env, MLFLOW_TRACKING_URI: config.MLFLOW_TRACKING_URI }),
    }),
  ],
  providers: [
    {
      provide: TrainingRunner,
      inject: [MlflowClient],
      useFactory: async (mlflow: MlflowClient) =>
        new TrainingRunner(mlflow, { gitCommit: await gitCommit(process.env, process.cwd()) }),
    },
  ],
  exports: [TrainingRunner],
})
export class TrainingModule {}
