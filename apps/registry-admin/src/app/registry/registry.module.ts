import { Module } from '@nestjs/common';

import { MlflowClient } from '@churn/mlflow-client';
import { ServiceHttpModule } from '@churn/service-kit';

import { RegistryAdminConfig } from '../config/registry-admin.config';
import { ReloadPushService } from '../push/reload-push.service';
import { AliasAuditStore } from './alias-audit.store';
import { AliasMovesService } from './alias-moves.service';
import { ModelRegistryService } from './model-registry.service';
import { RegistryController } from './registry.controller';
import { TrafficChangesService } from './traffic-changes.service';

/** Calls to inference-api (pushes, rollout figures), bounded by PUSH_TIMEOUT_MS. */
const inferenceHttp = ServiceHttpModule.register({
  settings: RegistryAdminConfig,
  timeoutMs: (config) => config.PUSH_TIMEOUT_MS,
});

/** The registry services without HTTP: what the command line boots. */
@Module({
  imports: [inferenceHttp],
  providers: [
    ModelRegistryService,
    AliasMovesService,
    TrafficChangesService,
    ReloadPushService,
    {
      provide: AliasAuditStore,
      inject: [MlflowClient, RegistryAdminConfig],
      useFactory: (mlflow: MlflowClient, config: RegistryAdminConfig) =>
        new AliasAuditStore(mlflow, config.AUDIT_EXPERIMENT_SUFFIX, config.AUDIT_PENDING_GRACE_MS),
    },
  ],
  exports: [ModelRegistryService, AliasMovesService, TrafficChangesService, AliasAuditStore, inferenceHttp],
})
export class RegistryServicesModule {}

@Module({ imports: [RegistryServicesModule], controllers: [RegistryController] })
export class RegistryModule {}
