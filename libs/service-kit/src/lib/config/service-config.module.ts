import { Global, Module, type DynamicModule } from '@nestjs/common';

import { mlflowClientOptionsFromEnv, MlflowModule } from '@churn/mlflow-client';

import { ServiceSettings } from './service-settings';

/**
 * The validated settings (under the app's class and as {@link ServiceSettings}) and the MLflow
 * client, for every module of the app. The client reads MLflow's credential variables from the
 * same environment the settings came from, so tests can run apps against different servers.
 */
@Global()
@Module({})
export class ServiceConfigModule {
  static forRoot<T extends ServiceSettings>(
    settingsClass: abstract new () => T,
    settings: T,
    environment: Record<string, string | undefined> = process.env,
  ): DynamicModule {
    return {
      module: ServiceConfigModule,
      imports: [
        MlflowModule.forRootAsync({
          isGlobal: true,
          useFactory: () =>
            mlflowClientOptionsFromEnv({ ...environment, MLFLOW_TRACKING_URI: settings.MLFLOW_TRACKING_URI }),
        }),
      ],
      providers: [
        { provide: settingsClass, useValue: settings },
        { provide: ServiceSettings, useValue: settings },
      ],
      exports: [settingsClass, ServiceSettings],
    };
  }
}
