import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';

import { ServiceSettings } from '@churn/service-kit';

import { AbModule } from './ab/ab.module';
import { InferenceApiConfig, validateInferenceApiConfig } from './config/inference-api.config';
import { MlflowEnvironmentModule } from './config/mlflow-environment.module';
import { DriftModule } from './drift/drift.module';
import { HealthModule } from './health/health.module';
import { ScoringModule } from './scoring/scoring.module';
import { ServingModule } from './serving/serving.module';

/**
 * inference-api, one module per feature, each importing only what lies below it:
 * configuration (global) → serving metrics → model slots (with MLflow's client) → routing →
 * prediction log and drift → scoring, A/B (feedback and report), serving (readiness, model,
 * reload, webhook) and health. API_TOKENS (http/api-tokens.module.ts) serves the guarded reads.
 *
 * Folders, lowest first; a file imports only from its own folder and those before it, as
 * folder-order.spec.ts checks:
 * model → observation → config → http → metrics → slots → routing → prediction-log → drift →
 * scoring → ab → serving → health → bootstrap → drift-cli
 */
@Module({})
export class AppModule {
  /**
   * The application for one environment (process.env in main.ts; an explicit one in tests, so
   * several differently configured apps can run in one process).
   */
  static forEnvironment(environment: Record<string, unknown> = process.env): DynamicModule {
    // Validated once, when the modules are built: ConfigService reads it, and the kit's bootstrap reads it as ServiceSettings.
    let settings: InferenceApiConfig | undefined;
    const validated = () => (settings ??= validateInferenceApiConfig(environment));
    return {
      module: AppModule,
      providers: [{ provide: ServiceSettings, useFactory: validated }],
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          skipProcessEnv: true,
          cache: true,
          validate: validated,
        }),
        MlflowEnvironmentModule.forEnvironment(environment),
        // One module per feature; configuration (settings and MLflow's client variables) is the only global one.
        ScoringModule,
        ServingModule,
        AbModule,
        DriftModule,
        HealthModule,
      ],
    };
  }
}
