import { Module } from '@nestjs/common';

import { DriftController } from './drift.controller';

/**
 * `GET /drift`. The monitor itself (DriftMonitorService) is provided by ServingModule, which hands
 * it to the scorer as a prediction observer; this module only adds the endpoint.
 */
@Module({ controllers: [DriftController] })
export class DriftModule {}
