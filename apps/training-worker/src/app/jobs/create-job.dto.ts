import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  buildMessage,
  IsBoolean,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';

import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '@churn/mlflow-client';

import { MAX_SEED } from '../training/training-request';

/**
 * An experiment name: one line that does not start with white space. The line terminators are
 * spelled out: `.` excludes \r in JavaScript but not in other regex dialects reading the OpenAPI pattern.
 */
const EXPERIMENT_NAME_PATTERN = /^\S[^\n\r\u2028\u2029]*$/;
const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** `schema` is either a path to a JSON file (on the worker) or an inline schema object. */
const IsPathOrObject = () =>
  ValidateBy({
    name: 'isPathOrObject',
    validator: {
      validate: (value: unknown) =>
        (typeof value === 'string' && value.trim().length > 0) ||
        (typeof value === 'object' && value !== null && !Array.isArray(value)),
      defaultMessage: buildMessage((each) => `${each}$property must be a path to a JSON file or a schema object`),
    },
  });

/** The body of `POST /jobs`: the CLI's flags under the names of DESIGN.md's wiring table. */
export class CreateJobDto {
  @ApiPropertyOptional({
    description:
      "CSV file under the worker's DATA_DIR (relative to it); DEFAULT_DATA, else synthetic data, when absent.",
    example: 'telco-customer-churn.csv',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  data?: string;

  @ApiPropertyOptional({
    description:
      "Schema override laid over the default Telco schema: a JSON file under the worker's DATA_DIR, or the object itself.",
    oneOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          target: { type: 'string', minLength: 1 },
          positiveLabel: { type: 'string', minLength: 1 },
          identifiers: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 } },
          numeric: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 } },
          categorical: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 } },
        },
      },
    ],
    example: { identifiers: ['customerID'] },
  })
  @IsOptional()
  @IsPathOrObject()
  schema?: string | Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Seed of the split (and of synthetic data).',
    type: 'integer',
    default: 42,
    minimum: 0,
    maximum: MAX_SEED,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SEED)
  seed?: number;

  @ApiPropertyOptional({
    description: 'Quality gate: the lowest test F1 that is registered.',
    default: 0.5,
    minimum: 0,
    maximum: 1,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  gate_f1?: number;

  @ApiPropertyOptional({
    description: 'MLflow experiment; EXPERIMENT_NAME when absent.',
    example: 'churn',
    pattern: EXPERIMENT_NAME_PATTERN.source,
  })
  @IsOptional()
  @Matches(EXPERIMENT_NAME_PATTERN, { message: '$property must be a non-empty experiment name' })
  experiment?: string;

  @ApiPropertyOptional({
    description: 'Registered model; MODEL_NAME when absent.',
    example: 'churn_model',
    pattern: MODEL_NAME_PATTERN.source,
  })
  @IsOptional()
  @Matches(MODEL_NAME_PATTERN, { message: `$property must be ${MODEL_NAME_RULE}` })
  model_name?: string;

  @ApiPropertyOptional({ description: 'Register a version when the gate passes.', default: true })
  @IsOptional()
  @IsBoolean()
  register?: boolean;

  @ApiPropertyOptional({
    description:
      'A second job with the same key (in the same experiment) returns the first job instead of training again.',
    example: 'nightly-2026-01-15',
    pattern: IDEMPOTENCY_KEY_PATTERN.source,
  })
  @IsOptional()
  @Matches(IDEMPOTENCY_KEY_PATTERN, { message: '$property must be 1-128 letters, digits, _ . : -' })
  idempotency_key?: string;
}

export class ListJobsQuery {
  @ApiPropertyOptional({
    description: 'Most jobs returned, newest first.',
    type: 'integer',
    default: 20,
    minimum: 1,
    maximum: 100,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({
    description: 'Experiment to list; EXPERIMENT_NAME when absent.',
    pattern: EXPERIMENT_NAME_PATTERN.source,
  })
  @IsOptional()
  @Matches(EXPERIMENT_NAME_PATTERN, { message: '$property must be a non-empty experiment name' })
  experiment?: string;
}
