import { ApiProperty } from '@nestjs/swagger';

export class ModelRefDto {
  @ApiProperty({ example: 'churn_model' })
  name!: string;

  @ApiProperty({ example: 'production' })
  alias!: string;

  @ApiProperty({ example: '2', description: 'The registered version that produced the answer.' })
  version!: string;
}

export class PredictionDto {
  @ApiProperty({ enum: [0, 1], example: 0 })
  prediction!: 0 | 1;

  @ApiProperty({ example: 0.23, description: 'Probability of churn (the positive class).' })
  probability!: number;

  @ApiProperty({
    type: [String],
    example: ['Contract: unknown category "Two weeks" scored as none of the known categories'],
  })
  warnings!: string[];
}

export class PredictResponse extends PredictionDto {
  @ApiProperty({ type: ModelRefDto })
  model!: ModelRefDto;

  @ApiProperty({
    enum: ['production', 'champion', 'challenger'],
    example: 'production',
    description:
      'Which arm answered: champion or challenger for a user in an experiment, otherwise production (the default alias).',
  })
  variant!: 'production' | 'champion' | 'challenger';

  @ApiProperty({ example: '4f6c1d2e-…', description: 'The request_id sent, or a generated UUID.' })
  request_id!: string;
}

export class PredictBatchResponse {
  @ApiProperty({ type: ModelRefDto })
  model!: ModelRefDto;

  @ApiProperty({
    enum: ['production', 'champion', 'challenger'],
    example: 'production',
    description:
      'Which arm answered: champion or challenger for a user in an experiment, otherwise production (the default alias).',
  })
  variant!: 'production' | 'champion' | 'challenger';

  @ApiProperty({ type: [PredictionDto] })
  predictions!: PredictionDto[];

  @ApiProperty()
  request_id!: string;

  @ApiProperty({ type: [String], description: 'Warnings about the request as a whole.' })
  warnings!: string[];
}

export class InvocationPredictionDto {
  @ApiProperty({ example: 0 })
  label!: number;

  @ApiProperty({ example: 0.23 })
  probability!: number;
}

export class InvocationsResponse {
  @ApiProperty({ type: [InvocationPredictionDto] })
  predictions!: InvocationPredictionDto[];
}

/** Example bodies shown in Swagger. */
export const EXAMPLE_CUSTOMER = {
  gender: 'Female',
  SeniorCitizen: 0,
  Partner: 'Yes',
  Dependents: 'No',
  tenure: 12,
  PhoneService: 'Yes',
  MultipleLines: 'No',
  InternetService: 'Fiber optic',
  OnlineSecurity: 'No',
  OnlineBackup: 'No',
  DeviceProtection: 'No',
  TechSupport: 'No',
  StreamingTV: 'Yes',
  StreamingMovies: 'No',
  Contract: 'Month-to-month',
  PaperlessBilling: 'Yes',
  PaymentMethod: 'Electronic check',
  MonthlyCharges: 79.85,
  TotalCharges: 958.2,
};
