import { ApiProperty } from '@nestjs/swagger';

import { HealthResponse } from '@churn/service-kit';

/** The kit's liveness answer, with the version this replica serves. */
export class ServingHealthResponse extends HealthResponse {
  @ApiProperty({
    example: 'churn_model@production (v2)',
    nullable: true,
    type: String,
    description: 'null before the first load',
  })
  model!: string | null;
}
