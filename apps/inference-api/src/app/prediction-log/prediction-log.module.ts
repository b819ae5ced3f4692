import { Module } from '@nestjs/common';

import { ServingMetricsModule } from '../metrics/serving-metrics.module';
import { PredictionLogService } from './prediction-log.service';

/** The prediction log's Nest adapter: its writer thread, report thread and store, started and stopped with the app. */
@Module({
  imports: [ServingMetricsModule],
  providers: [PredictionLogService],
  exports: [PredictionLogService],
})
export class PredictionLogModule {}
