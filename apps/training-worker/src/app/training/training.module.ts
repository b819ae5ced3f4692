import { Global, Module } from '@nestjs/common';

import { MlflowClient } from '@churn/mlflow-client';

import { gitCommit } from './provenance';
import { TrainingRunner } from './training-run';

/** The training runner the jobs use, on the MLflow client of the kit's ServiceConfigModule. */
@Global()
@Module({
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
