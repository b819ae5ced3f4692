import { Module } from '@nestjs/common';

import { ModelSlotsModule } from '../slots/model-slots.module';
import { HealthController } from './health.controller';

/** `GET /health`: the process is up, and which version it serves. */
@Module({ imports: [ModelSlotsModule], controllers: [HealthController] })
export class HealthModule {}
