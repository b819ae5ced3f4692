/** Request bodies of the rollout endpoints, validated by the global ValidationPipe. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

import { VERSION_NUMBER_PATTERN } from '@churn/mlflow-client';

import { VERSION_SCHEMA } from '../registry/dto/requests.dto';
import { MAX_REASON_LENGTH } from '../registry/request-fields';

const finite = { allowNaN: false, allowInfinity: false } as const;

export class GuardOverrides {
  @ApiPropertyOptional({ example: 0.01, minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber(finite)
  @Min(0)
  @Max(1)
  max_error_rate_increase?: number;
  @ApiPropertyOptional({ example: 1.5, minimum: 1, maximum: 100 })
  @IsOptional()
  @IsNumber(finite)
  @Min(1)
  @Max(100)
  max_latency_p99_ratio?: number;
  @ApiPropertyOptional({ example: 25, minimum: 0, maximum: 60_000 })
  @IsOptional()
  @IsNumber(finite)
  @Min(0)
  @Max(60_000)
  latency_slack_ms?: number;
  @ApiPropertyOptional({ example: 0.2, minimum: 0, maximum: 10 })
  @IsOptional()
  @IsNumber(finite)
  @Min(0)
  @Max(10)
  max_score_psi?: number;
  @ApiPropertyOptional({ example: 0.1, minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber(finite)
  @Min(0)
  @Max(1)
  max_positive_rate_difference?: number;
  @ApiPropertyOptional({ example: 0.01, minimum: 1e-12, maximum: 0.5 })
  @IsOptional()
  @IsNumber(finite)
  @Min(1e-12)
  @Max(0.5)
  positive_rate_alpha?: number;
  @ApiPropertyOptional({ type: 'integer', example: 50, minimum: 1, maximum: 1e9 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1e9)
  min_scores?: number;
  @ApiPropertyOptional({ example: 0.001, minimum: 1e-12, maximum: 0.5 })
  @IsOptional()
  @IsNumber(finite)
  @Min(1e-12)
  @Max(0.5)
  srm_alpha?: number;
  @ApiPropertyOptional({ example: 0.02, minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber(finite)
  @Min(0)
  @Max(1)
  max_f1_drop?: number;
  @ApiPropertyOptional({ type: 'integer', example: 30, minimum: 1, maximum: 1e9 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1e9)
  min_labels?: number;
}

export class StartRolloutBody {
  @ApiProperty({ ...VERSION_SCHEMA, example: '3', description: 'The candidate version.' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'number' ? String(value) : value))
  @Matches(VERSION_NUMBER_PATTERN, { message: '$property must be a positive whole version number such as 3' })
  to!: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'number', minimum: 0.0001, maximum: 0.9999 },
    minItems: 1,
    maxItems: 20,
    example: [0.05, 0.25, 0.5],
    description:
      'Challenger shares of the steps, rising, each in (0, 1); the promotion follows the last. Default 5 % → 25 % → 50 %.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsNumber(finite, { each: true })
  @Min(0.0001, { each: true })
  @Max(0.9999, { each: true })
  steps?: number[];

  @ApiPropertyOptional({
    example: 300,
    minimum: 1,
    maximum: 86_400,
    description: 'Length of one step window in seconds.',
  })
  @IsOptional()
  @IsNumber(finite)
  @Min(1)
  @Max(86_400)
  step_seconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1e9,
    example: 100,
    description: 'Requests each arm needs in a step before the traffic guards decide.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1e9)
  min_requests?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 100,
    example: 3,
    description: 'Extra windows a step may wait for data before the rollout reverts.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  max_holds?: number;

  @ApiPropertyOptional({ type: GuardOverrides, description: 'Guard thresholds overriding the defaults.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => GuardOverrides)
  guards?: GuardOverrides;

  @ApiPropertyOptional({ example: 'weekly retrain', maxLength: MAX_REASON_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;
}

export class AbortRolloutBody {
  @ApiPropertyOptional({ example: 'latency alert', maxLength: MAX_REASON_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;
}
