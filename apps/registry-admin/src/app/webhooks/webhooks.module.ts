import { Module } from '@nestjs/common';

import { RegistryServicesModule } from '../registry/registry.module';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Registration of inference-api's MLflow webhook receiver, for the alias events of a model. */
@Module({ imports: [RegistryServicesModule], controllers: [WebhooksController], providers: [WebhooksService] })
export class WebhooksModule {}
