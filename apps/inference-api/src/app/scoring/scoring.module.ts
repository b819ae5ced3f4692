import { Module } from '@nestjs/common';

import { DriftMonitorService } from '../drift/drift-monitor.service';
import { DriftModule } from '../drift/drift.module';
import { ServingMetricsModule } from '../metrics/serving-metrics.module';
import { PREDICTION_OBSERVERS } from '../observation/prediction-observer';
import { PredictionLogModule } from '../prediction-log/prediction-log.module';
import { PredictionLogService } from '../prediction-log/prediction-log.service';
import { RoutingModule } from '../routing/routing.module';
import { InvocationsController } from './invocations.controller';
import { PredictController } from './predict.controller';
import { ScoringService } from './scoring.service';

/** `POST /predict` and `POST /invocations`: routed, scored, and handed to the drift monitor and the prediction log. */
@Module({
  imports: [RoutingModule, DriftModule, PredictionLogModule, ServingMetricsModule],
  controllers: [PredictController, InvocationsController],
  providers: [
    ScoringService,
    {
      provide: PREDICTION_OBSERVERS,
      inject: [DriftMonitorService, PredictionLogService],
      useFactory: (drift: DriftMonitorService, log: PredictionLogService) => [drift, log],
    },
  ],
  exports: [ScoringService],
})
export class ScoringModule {}
