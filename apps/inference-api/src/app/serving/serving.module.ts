import { Module } from '@nestjs/common';

import { ApiTokensModule } from '../http/api-tokens.module';
import { RoutingModule } from '../routing/routing.module';
import { ModelSlotsModule } from '../slots/model-slots.module';
import { AdminController } from './admin.controller';
import { ModelController } from './model.controller';
import { WebhooksController } from './webhooks.controller';

/** What is served and how to change it: `GET /ready`, `GET /model`, the reload push and MLflow's webhook. */
@Module({
  imports: [ModelSlotsModule, RoutingModule, ApiTokensModule],
  controllers: [ModelController, AdminController, WebhooksController],
})
export class ServingModule {}
