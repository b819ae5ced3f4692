import { Module, type DynamicModule, type FactoryProvider, type ModuleMetadata } from '@nestjs/common';

import { MlflowClient } from '../client';
import type { MlflowClientOptions } from '../core/transport';

/** Injection token of the options the client is built from; kept inside the module because they hold credentials. */
const MLFLOW_CLIENT_OPTIONS = Symbol('MLFLOW_CLIENT_OPTIONS');

export interface MlflowModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => MlflowClientOptions | Promise<MlflowClientOptions>;
  /** Register the client app-wide, so feature modules need not import MlflowModule. */
  isGlobal?: boolean;
}

/**
 * Provides `MlflowClient` to a Nest application. The client itself knows nothing of Nest.
 *
 * ```ts
 * MlflowModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => mlflowClientOptionsFromEnv(config.get('mlflow')),
 * })
 * ```
 */
@Module({})
export class MlflowModule {
  static forRoot(options: MlflowClientOptions & { isGlobal?: boolean }): DynamicModule {
    const { isGlobal, ...clientOptions } = options;
    return MlflowModule.forRootAsync({ useFactory: () => clientOptions, isGlobal });
  }

  static forRootAsync(options: MlflowModuleAsyncOptions): DynamicModule {
    return {
      module: MlflowModule,
      global: options.isGlobal ?? false,
      imports: options.imports ?? [],
      providers: [
        { provide: MLFLOW_CLIENT_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        {
          provide: MlflowClient,
          useFactory: (clientOptions: MlflowClientOptions) => new MlflowClient(clientOptions),
          inject: [MLFLOW_CLIENT_OPTIONS],
        },
      ],
      exports: [MlflowClient],
    };
  }
}
