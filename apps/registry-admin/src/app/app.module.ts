import { Module, type DynamicModule } from '@nestjs/common';

import { ApiAuthModule, HealthModule, ServiceConfigModule, type ServiceDescription } from '@churn/service-kit';

import { patchRegistryAdminDocument, REGISTRY_ADMIN_CONTRACT } from './api-contract';
import { RegistryAdminConfig, validateRegistryAdminConfig } from './config/registry-admin.config';
import { RegistryModule, RegistryServicesModule } from './registry/registry.module';
import { RolloutsModule } from './rollouts/rollouts.module';
import { WebhooksModule } from './webhooks/webhooks.module';

type Environment = Record<string, string | undefined>;

/**
 * The validated settings and the MLflow client for every module, built from an explicit
 * environment (process.env by default) so tests can start apps against different MLflow servers
 * in one process; MLflow's credential variables are read by the client from the same environment.
 */
function core(environment: Environment): DynamicModule {
  return ServiceConfigModule.forRoot(RegistryAdminConfig, validateRegistryAdminConfig(environment), environment);
}

/** The HTTP server: health, Swagger and the admin endpoints (registry, webhooks) behind bearer tokens. */
@Module({})
export class AppModule {
  static register(environment: Environment = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [core(environment), ApiAuthModule, HealthModule, RegistryModule, RolloutsModule, WebhooksModule],
    };
  }
}

/** The command line: the same services, no HTTP. */
@Module({})
export class CliModule {
  static register(environment: Environment = process.env): DynamicModule {
    return { module: CliModule, imports: [core(environment), RegistryServicesModule] };
  }
}

/** What the kit's bootstrap and Swagger say about registry-admin. */
export const REGISTRY_ADMIN = {
  name: 'registry-admin',
  description:
    "Promote, roll back and audit the churn model's MLflow aliases. Admin endpoints take `Authorization: Bearer <token>` (API_TOKENS).",
  // A move whose outcome MLflow left unknown is a MoveOutcomeUnknownError, never this answer.
  unavailableAdvice: 'nothing was changed, try again',
  contract: REGISTRY_ADMIN_CONTRACT,
  patchDocument: patchRegistryAdminDocument,
} satisfies ServiceDescription;
