import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

import { VERSION_NUMBER_PATTERN } from '@churn/mlflow-client';

export class DriftQuery {
  @ApiPropertyOptional({
    description: "Model version to report on; the configured alias's current version when absent.",
    example: '3',
    pattern: VERSION_NUMBER_PATTERN.source,
  })
  @IsOptional()
  @Matches(VERSION_NUMBER_PATTERN, { message: '$property must be a model version number (1, 2, …)' })
  version?: string;
}

export class DriftWindowDto {
  @ApiProperty({ description: 'Rows in the live window.', example: 5000 })
  size!: number;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the oldest row in the window was received.',
  })
  from!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the newest row in the window was received.',
  })
  to!: string | null;
}

export class DriftFeatureDto {
  @ApiProperty({ example: 'MonthlyCharges' })
  name!: string;
  @ApiProperty({ enum: ['ks', 'chisquare', 'wasserstein', 'jensenshannon'], nullable: true })
  method!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'KS D, chi-square, or the raw Wasserstein-1 distance.' })
  statistic!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'KS and chi-square.' })
  p_value!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Normalised Wasserstein or Jensen-Shannon distance.' })
  score!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'What the p-value or score was compared with.' })
  threshold!: number | null;
  @ApiProperty({ enum: ['ok', 'warn', 'drift', 'insufficient_data', 'no_reference'] })
  status!: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Population stability index on the bins frozen at training.',
  })
  psi!: number | null;
}

export class DriftModelDto {
  @ApiProperty({ example: 'churn_model' })
  name!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'production',
    description: 'The alias serving this version here, if any.',
  })
  alias!: string | null;
  @ApiProperty({ example: '3' })
  version!: string;
}

export class DriftAlertRetrainDto {
  @ApiProperty({
    enum: ['disabled', 'pending', 'started', 'existing', 'failed'],
    description: 'existing: another replica had started the job for this drift.',
  })
  status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'training-worker job id (the MLflow run id).' })
  job_id!: string | null;
  @ApiProperty({ type: String, nullable: true })
  error!: string | null;
}

export class DriftAlertDto {
  @ApiProperty({ type: String, format: 'date-time' })
  at!: string;
  @ApiProperty({
    example: 'drift-churn_model-v3-2950117',
    description: "Model, version and cool-down period; the retraining job's idempotency key.",
  })
  idempotency_key!: string;
  @ApiProperty({ type: DriftModelDto })
  model!: DriftModelDto;
  @ApiProperty({ type: [String] })
  drifted_features!: string[];
  @ApiProperty({ example: 0.5 })
  share!: number;
  @ApiProperty({ enum: ['not_configured', 'pending', 'sent', 'failed'] })
  webhook!: string;
  @ApiProperty({ type: String, nullable: true })
  webhook_error!: string | null;
  @ApiProperty({ type: DriftAlertRetrainDto })
  retrain!: DriftAlertRetrainDto;
}

export class DriftReportResponse {
  @ApiProperty({ description: 'At least half of the tested features drift.' })
  dataset_drift!: boolean;
  @ApiProperty({ type: [String] })
  drifted_features!: string[];
  @ApiProperty({ description: 'Drifted features over tested ones.' })
  share!: number;
  @ApiProperty({ type: DriftWindowDto })
  window!: DriftWindowDto;
  @ApiProperty({ type: [DriftFeatureDto] })
  features!: DriftFeatureDto[];
  @ApiProperty({ type: DriftModelDto })
  model!: DriftModelDto;
  @ApiProperty({
    type: [DriftAlertDto],
    description: 'The latest alerts this replica raised for this version, newest last.',
  })
  alerts!: DriftAlertDto[];
  @ApiProperty({ description: 'Scored rows this replica could not queue for the drift windows (all versions).' })
  dropped_rows!: number;
}
