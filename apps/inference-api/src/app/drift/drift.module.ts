import { Module } from '@nestjs/common';

import { ApiTokensModule } from '../http/api-tokens.module';
import { ServingMetricsModule } from '../metrics/serving-metrics.module';
import { ModelSlotsModule } from '../slots/model-slots.module';
import { DriftMonitorService } from './drift-monitor.service';
import { DriftController } from './drift.controller';

/** Drift of the live inputs (fed by the scorer as a prediction observer) and `GET /drift`. */
@Module({
  imports: [ModelSlotsModule, ServingMetricsModule, ApiTokensModule],
  controllers: [DriftController],
  providers: [DriftMonitorService],
  exports: [DriftMonitorService],
})
export class DriftModule {}
