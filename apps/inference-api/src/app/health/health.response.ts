import { ApiProperty } from '@nestjs/swagger';

export class HealthResponse {
  @ApiProperty({ example: 'ok' })
  status!: 'ok';

  @ApiProperty({
    example: 'churn_model@production (v2)',
    nullable: true,
    type: String,
    description: 'null before the first load',
  })
  model!: string | null;
}
