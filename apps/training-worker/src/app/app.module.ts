import { Module, type DynamicModule } from '@nestjs/common';

import { AuthModule } from './auth/auth.module';
import { TrainingWorkerConfig } from './config/training-worker.config';
import { HealthModule } from './health/health.module';
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
        {
          module: ConfigHolderModule,
          global: true,
          providers: [{ provide: TrainingWorkerConfig, useValue: config }],
          exports: [TrainingWorkerConfig],
        },
        AuthModule,
        TrainingModule,
        HealthModule,
        JobsModule,
      ],
    };
  }
}

/** Provides the validated {@link TrainingWorkerConfig} to every module. */
@Module({})
class ConfigHolderModule {}
