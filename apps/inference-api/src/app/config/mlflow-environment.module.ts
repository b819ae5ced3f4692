import { Global, Module, type DynamicModule } from '@nestjs/common';

import { MLFLOW_CLIENT_VARIABLES } from '@churn/mlflow-client';

/**
 * Nest token of MLflow's client variables from the environment the app was built for
 * (AppModule.forEnvironment's): MLFLOW_TRACKING_USERNAME/PASSWORD or _TOKEN, and
 * MLFLOW_HTTP_REQUEST_TIMEOUT/_MAX_RETRIES (validated, then overridden by the polling client's own).
 * The same source as every other setting, so apps in one process can talk to MLflow as different
 * users; only these variables, so no other secret of the environment becomes injectable.
 */
export const MLFLOW_ENVIRONMENT = Symbol('MLFLOW_ENVIRONMENT');

/** MLflow's client variables, as mlflowClientOptionsFromEnv reads them. */
export type MlflowEnvironment = Record<string, string | undefined>;

/** Provides {@link MLFLOW_ENVIRONMENT} to every module of the app. */
@Global()
@Module({})
export class MlflowEnvironmentModule {
  static forEnvironment(environment: Record<string, unknown>): DynamicModule {
    const variables: MlflowEnvironment = {};
    for (const name of MLFLOW_CLIENT_VARIABLES) {
      const value = environment[name];
      if (typeof value === 'string') variables[name] = value;
    }
    return {
      module: MlflowEnvironmentModule,
      providers: [{ provide: MLFLOW_ENVIRONMENT, useValue: variables }],
      exports: [MLFLOW_ENVIRONMENT],
    };
  }
}
