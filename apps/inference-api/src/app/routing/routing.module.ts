import { Module } from '@nestjs/common';

import { ModelSlotsModule } from '../serving/model-slots.module';
import { ServingMetricsModule } from '../serving/serving-metrics.module';
import { TrafficService } from './traffic.service';

/** Champion/challenger routing: the traffic settings read from MLflow and the slots they start. */
@Module({
  imports: [ModelSlotsModule, ServingMetricsModule],
  providers: [TrafficService],
  exports: [TrafficService],
})
export class RoutingModule {}
