import { Module } from '@nestjs/common';

import { ServingMetricsModule } from '../metrics/serving-metrics.module';
import { ModelSlotsModule } from '../slots/model-slots.module';
import { TrafficService } from './traffic.service';

/** Champion/challenger routing: the traffic settings read from MLflow and the slots they start. */
@Module({
  imports: [ModelSlotsModule, ServingMetricsModule],
  providers: [TrafficService],
  exports: [TrafficService],
})
export class RoutingModule {}
