import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';

import { validateInferenceApiConfig } from './config/inference-api.config';
import { DriftModule } from './drift/drift.module';
import { HealthModule } from './health/health.module';
import { ServingModule } from './serving/serving.module';

@Module({})
export class AppModule {
  /**
   * The application for one environment (process.env in main.ts; an explicit one in tests, so
   * several differently configured apps can run in one process).
   */
  static forEnvironment(environment: Record<string, unknown> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          skipProcessEnv: true,
          cache: true,
          validate: () => validateInferenceApiConfig(environment),
        }),
        ServingModule,
        HealthModule,
        DriftModule,
      ],
    };
  }
}
