import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { mlflowClientOptionsFromEnv, MlflowModule } from '@churn/mlflow-client';

import { BearerAuthGuard } from './auth/bearer-auth.guard';
import { RegistryAdminConfig, validateRegistryAdminConfig } from './config/registry-admin.config';
import { HealthModule } from './health/health.module';
import { RegistryModule, RegistryServicesModule } from './registry/registry.module';
import { RolloutsModule } from './rollouts/rollouts.module';
import { WebhooksModule } from './webhooks/webhooks.module';

type Environment = Record<string, string | undefined>;

/**
 * The validated settings and the MLflow client, for every module. Built from an explicit
 * environment (process.env by default) so tests can start apps against different MLflow servers in
 * one process; MLflow's credential variables are read by the client from the same environment.
 */
@Global()
@Module({})
export class CoreModule {
  static register(environment: Environment): DynamicModule {
    const config = validateRegistryAdminConfig(environment);
    return {
      module: CoreModule,
      imports: [
        MlflowModule.forRootAsync({
          isGlobal: true,
          useFactory: () =>
            mlflowClientOptionsFromEnv({ ...environment, MLFLOW_TRACKING_URI: config.MLFLOW_TRACKING_URI }),
        }),
      ],
      providers: [{ provide: RegistryAdminConfig, useValue: config }],
      exports: [RegistryAdminConfig],
    };
  }
}

/** The HTTP server: health, Swagger and the admin endpoints (registry, webhooks) behind bearer tokens. */
@Module({})
export class AppModule {
  static register(environment: Environment = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.register(environment), HealthModule, RegistryModule, RolloutsModule, WebhooksModule],
      providers: [{ provide: APP_GUARD, useClass: BearerAuthGuard }],
    };
  }
}

/** The command line: the same services, no HTTP. */
@Module({})
export class CliModule {
  static register(environment: Environment = process.env): DynamicModule {
    return { module: CliModule, imports: [CoreModule.register(environment), RegistryServicesModule] };
  }
}
