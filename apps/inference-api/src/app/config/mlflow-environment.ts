import { Global, Module, type DynamicModule } from '@nestjs/common';

/**
 * Nest token of the environment the app was built for (AppModule.forEnvironment's), from which
 * MLflow's client reads its credential and HTTP variables (MLFLOW_TRACKING_USERNAME/PASSWORD or
 * _TOKEN, MLFLOW_HTTP_REQUEST_*): the same source as every other setting, so apps in one process can
 * talk to MLflow as different users, and credentials never come from process.env behind its back.
 */
export const MLFLOW_ENVIRONMENT = Symbol('MLFLOW_ENVIRONMENT');

/** The environment's text values, as MLflow's client options read them. */
export type MlflowEnvironment = Record<string, string | undefined>;

/** Provides {@link MLFLOW_ENVIRONMENT} to every module of the app. */
@Global()
@Module({})
export class MlflowEnvironmentModule {
  static forEnvironment(environment: Record<string, unknown>): DynamicModule {
    const text: MlflowEnvironment = {};
    for (const [name, value] of Object.entries(environment)) if (typeof value === 'string') text[name] = value;
    return {
      module: MlflowEnvironmentModule,
      providers: [{ provide: MLFLOW_ENVIRONMENT, useValue: text }],
      exports: [MLFLOW_ENVIRONMENT],
    };
  }
}
