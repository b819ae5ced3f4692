import { Module, type DynamicModule } from '@nestjs/common';

import { ApiAuthModule, HealthModule, ServiceConfigModule } from '@churn/service-kit';

import { TrainingWorkerConfig } from './config/training-worker.config';
import { JobsModule } from './jobs/jobs.module';
import { TrainingModule } from './training/training.module';

/**
 * The application for one validated configuration: main.ts passes the one read from the
 * environment, e2e tests pass their own (a fresh experiment, tokens, a worker id) per app instance.
 */
@Module({})
export class AppModule {
  static forConfig(config: TrainingWorkerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceConfigModule.forRoot(TrainingWorkerConfig, config),
        ApiAuthModule,
        TrainingModule,
        HealthModule,
        JobsModule,
      ],
    };
  }
}

/** What the kit's bootstrap and Swagger say about training-worker. */
export const TRAINING_WORKER = {
  name: 'training-worker',
  description: 'Trains the churn model and registers each result as a new MLflow model version.',
} as const;
