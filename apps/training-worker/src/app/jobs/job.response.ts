import { ApiProperty } from '@nestjs/swagger';

import { TRAINING_STAGES } from '../training/training-run';

export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'FINISHED', 'FAILED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export class JobOptions {
  @ApiProperty({ example: '/srv/data/telco.csv', description: 'CSV path, or synthetic:<seed>:<rows>.' })
  data!: string;
  @ApiProperty({ example: 'default', description: 'default, inline, or the schema file path.' })
  schema!: string;
  @ApiProperty({ example: 42 })
  seed!: number;
  @ApiProperty({ example: 0.5 })
  gate_f1!: number;
  @ApiProperty({ example: 'churn' })
  experiment!: string;
  @ApiProperty({ example: 'churn_model' })
  model_name!: string;
  @ApiProperty({ example: true })
  register!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'nightly-2026-01-15' })
  idempotency_key!: string | null;
}

export class JobMetrics {
  @ApiProperty() f1!: number;
  @ApiProperty() accuracy!: number;
  @ApiProperty() precision!: number;
  @ApiProperty() recall!: number;
  @ApiProperty() roc_auc!: number;
  @ApiProperty() log_loss!: number;
  @ApiProperty() iterations!: number;
  @ApiProperty() training_seconds!: number;
}

export class JobGate {
  @ApiProperty({ example: 0.5 })
  threshold!: number;
  @ApiProperty({ example: true })
  passed!: boolean;
  @ApiProperty({ type: String, nullable: true, example: null })
  reason!: string | null;
}

/** A training job as read back from its MLflow run (the job id is the run id). */
export class JobResponse {
  @ApiProperty({ description: 'The MLflow run id.', example: '5f1c0d9e8a7b4c3d2e1f0a9b8c7d6e5f' })
  id!: string;
  @ApiProperty({ enum: JOB_STATUSES })
  status!: JobStatus;
  @ApiProperty({ enum: TRAINING_STAGES, description: 'Progress: the stage the job is in, or failed in.' })
  stage!: string;
  @ApiProperty({ example: 'train-20260115-101530' })
  run_name!: string;
  @ApiProperty({ example: '1' })
  experiment_id!: string;
  @ApiProperty({ example: 'ci', description: 'The token name that submitted the job.' })
  user!: string;
  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  ended_at!: string | null;
  @ApiProperty({ type: JobOptions, nullable: true })
  options!: JobOptions | null;
  @ApiProperty({ type: JobMetrics, nullable: true })
  metrics!: JobMetrics | null;
  @ApiProperty({ type: JobGate, nullable: true })
  gate!: JobGate | null;
  @ApiProperty({ example: 'churn_model' })
  model_name!: string;
  @ApiProperty({ type: String, nullable: true, example: '3' })
  registered_version!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the job FAILED.' })
  error!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'Last sign of life of the worker holding the job (JOB_HEARTBEAT_MS); older than the lease, the job is settled as FAILED.',
  })
  last_heartbeat!: string | null;
  @ApiProperty({ example: 'mlflow-artifacts:/1/5f1c…/artifacts' })
  artifact_uri!: string;
}

export class JobListResponse {
  @ApiProperty({ type: [JobResponse] })
  jobs!: JobResponse[];
}
