import { Module } from '@nestjs/common';

import { MetricsController } from './metrics.controller';
import { ServingMetricsService } from './serving-metrics.service';

/** The Prometheus registry every feature counts into, and `GET /metrics`. */
@Module({
  controllers: [MetricsController],
  providers: [ServingMetricsService],
  exports: [ServingMetricsService],
})
export class ServingMetricsModule {}
