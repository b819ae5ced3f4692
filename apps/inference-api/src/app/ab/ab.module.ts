import { Module } from '@nestjs/common';

import { ApiTokensModule } from '../http/api-tokens.module';
import { ServingMetricsModule } from '../metrics/serving-metrics.module';
import { PredictionLogModule } from '../prediction-log/prediction-log.module';
import { RoutingModule } from '../routing/routing.module';
import { AbController } from './ab.controller';
import { AbService } from './ab.service';

/** Ground truth in (`POST /feedback`) and the champion/challenger report out (`GET /ab/report`). */
@Module({
  imports: [PredictionLogModule, RoutingModule, ServingMetricsModule, ApiTokensModule],
  controllers: [AbController],
  providers: [AbService],
})
export class AbModule {}
