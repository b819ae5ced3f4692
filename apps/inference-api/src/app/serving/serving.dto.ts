import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

import { ALIAS_PATTERN, ALIAS_RULE, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '@churn/mlflow-client';

export class SlotFailureDto {
  @ApiProperty({
    nullable: true,
    type: String,
    example: '3',
    description: 'null when the alias itself could not be resolved',
  })
  version!: string | null;

  @ApiProperty({ enum: ['resolve', 'download', 'mlmodel', 'session', 'contract', 'warmup'] })
  stage!: string;

  @ApiProperty({ example: 'churn_model v3: session failed: Protobuf parsing failed.' })
  message!: string;

  @ApiProperty({ example: '2026-01-01T12:00:00.000Z' })
  at!: string;

  @ApiProperty({ nullable: true, type: String, description: 'When this version will be tried again.' })
  retry_at!: string | null;
}

export class SlotStatusDto {
  @ApiProperty({ example: 'churn_model' })
  name!: string;

  @ApiProperty({ example: 'production' })
  alias!: string;

  @ApiProperty({ enum: ['ready', 'starting', 'unavailable'] })
  state!: string;

  @ApiProperty({ nullable: true, type: String, example: '2', description: 'The version serving requests.' })
  version!: string | null;

  @ApiProperty({ nullable: true, type: String })
  loaded_at!: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    example: '2',
    description: 'Where the alias pointed at the last successful resolve.',
  })
  alias_version!: string | null;

  @ApiProperty({ nullable: true, type: String })
  last_resolved_at!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'A version being loaded now.' })
  loading_version!: string | null;

  @ApiProperty({ nullable: true, type: SlotFailureDto })
  last_error!: SlotFailureDto | null;
}

export class ReadyResponse {
  @ApiProperty()
  ready!: boolean;

  @ApiProperty({ type: [SlotStatusDto] })
  slots!: SlotStatusDto[];
}

export class ModelInfoResponse {
  @ApiProperty({ example: 'churn_model' })
  name!: string;

  @ApiProperty({ example: 'production' })
  alias!: string;

  @ApiProperty({ example: '2' })
  version!: string;

  @ApiProperty({ nullable: true, type: String })
  run_id!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { f1: 0.61, roc_auc: 0.84 },
    description: 'Numeric version tags.',
  })
  metrics!: Record<string, number>;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { gate_passed: 'true' } })
  tags!: Record<string, string>;

  @ApiProperty({ example: '2026-01-01T12:00:00.000Z' })
  loaded_at!: string;

  @ApiProperty({ example: 180 })
  load_ms!: number;

  @ApiProperty({ example: 'mlflow-artifacts:/1/abc/artifacts/model' })
  source!: string;

  @ApiProperty({
    type: 'array',
    items: {
      type: 'object',
      properties: { name: { type: 'string' }, type: { type: 'string' }, required: { type: 'boolean' } },
      required: ['name', 'type', 'required'],
    },
    example: [{ name: 'tenure', type: 'double', required: true }],
  })
  inputs!: { name: string; type: string; required: boolean }[];

  @ApiProperty({
    type: 'object',
    properties: {
      probability: { type: 'string' },
      probability_width: { type: 'integer', enum: [1, 2] },
      label: { type: 'string', nullable: true },
    },
    required: ['probability', 'probability_width', 'label'],
    example: { probability: 'probability', probability_width: 2, label: 'label' },
  })
  outputs!: { probability: string; probability_width: number; label: string | null };

  @ApiProperty({
    type: 'object',
    properties: {
      integer_coded_inputs: { type: 'array', items: { type: 'string' } },
      packed_inputs: { type: 'array', items: { type: 'string' } },
      notes: { type: 'array', items: { type: 'string' } },
    },
    required: ['integer_coded_inputs', 'packed_inputs', 'notes'],
    example: { integer_coded_inputs: ['Contract'], packed_inputs: ['tenure', 'MonthlyCharges', 'Contract'], notes: [] },
    description:
      'The graph actually run, a copy of model.onnx checked to score exactly as it: the categorical inputs it takes as integer codes, and the inputs it takes packed into one tensor per element type (both empty when model.onnx itself is run); notes say why a copy is not run: one that was made failed, did not fit the model columns or scored differently, or none was made because model.onnx itself cannot score the probe of the check.',
  })
  serving_copy!: { integer_coded_inputs: string[]; packed_inputs: string[]; notes: string[] };

  @ApiProperty({ description: 'Whether train_stats.json (drift reference) came with the version.' })
  has_train_stats!: boolean;

  @ApiPropertyOptional({ description: 'Why train_stats.json is absent or unusable.' })
  train_stats_note?: string;
}

export class ReloadRequest {
  @ApiProperty({ example: 'churn_model', pattern: MODEL_NAME_PATTERN.source, maxLength: 256 })
  @IsString()
  @MaxLength(256)
  @Matches(MODEL_NAME_PATTERN, { message: `name must be ${MODEL_NAME_RULE}` })
  name!: string;

  @ApiPropertyOptional({
    example: 'production',
    description: 'Only this alias; every served alias of the model when absent.',
    pattern: ALIAS_PATTERN.source,
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  @Matches(ALIAS_PATTERN, {
    message: `alias must be ${ALIAS_RULE}`,
  })
  alias?: string;
}

export class ReloadResponse {
  @ApiProperty({ example: 'churn_model' })
  name!: string;

  @ApiProperty({
    type: [SlotStatusDto],
    description: 'Each reloaded slot after the attempt: `version` is what it serves now.',
  })
  slots!: SlotStatusDto[];
}
