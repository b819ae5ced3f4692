import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

import { ALIAS_PATTERN, VERSION_NUMBER_PATTERN } from '@churn/mlflow-client';

import { MAX_REASON_LENGTH } from '../request-fields';

/** How the document states a version field: decimal text or a whole number. */
export const VERSION_SCHEMA = {
  oneOf: [
    { type: 'string', pattern: VERSION_NUMBER_PATTERN.source },
    { type: 'integer', minimum: 1, maximum: 9_999_999_999 },
  ],
};
/** How the document states an alias field (the rule of aliasNameProblem). */
const ALIAS_SCHEMA = { type: 'string', pattern: ALIAS_PATTERN.source, maxLength: 255 } as const;
const VERSION_MESSAGE = '$property must be a positive whole version number such as 3';
/** Versions arrive as JSON numbers or decimal text; both become MLflow's text form. */
const versionText = ({ value }: { value: unknown }): unknown => (typeof value === 'number' ? String(value) : value);

export class PromoteBody {
  @ApiPropertyOptional({
    ...ALIAS_SCHEMA,
    example: 'production',
    description: 'Alias to move; MODEL_ALIAS when absent.',
  })
  @IsOptional()
  @IsString()
  alias?: string;

  @ApiPropertyOptional({
    ...VERSION_SCHEMA,
    example: '3',
    description: 'Version to promote; the latest with gate_passed=true when absent.',
  })
  @IsOptional()
  @Transform(versionText)
  @Matches(VERSION_NUMBER_PATTERN, { message: VERSION_MESSAGE })
  to?: string;

  @ApiPropertyOptional({ example: false, description: 'Promote despite failed gates; needs a reason; recorded.' })
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({ example: 'weekly retrain', maxLength: MAX_REASON_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;
}

export class RollbackBody {
  @ApiPropertyOptional({
    ...ALIAS_SCHEMA,
    example: 'production',
    description: 'Alias to roll back; MODEL_ALIAS when absent.',
  })
  @IsOptional()
  @IsString()
  alias?: string;

  @ApiPropertyOptional({
    ...VERSION_SCHEMA,
    example: '1',
    description: 'Explicit target; the previous holder from the audit when absent.',
  })
  @IsOptional()
  @Transform(versionText)
  @Matches(VERSION_NUMBER_PATTERN, { message: VERSION_MESSAGE })
  to?: string;

  @ApiPropertyOptional({ example: 'v2 raises false negatives', maxLength: MAX_REASON_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;
}

export class SetAliasBody {
  @ApiProperty({ ...VERSION_SCHEMA, example: '2' })
  @Transform(versionText)
  @Matches(VERSION_NUMBER_PATTERN, { message: VERSION_MESSAGE })
  version!: string;

  @ApiPropertyOptional({ example: false, description: 'For gated aliases: set despite failed gates; needs a reason.' })
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({ example: 'candidate for the A/B test', maxLength: MAX_REASON_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;
}

export class ReasonQuery {
  @ApiPropertyOptional({ example: 'challenger retired', maxLength: MAX_REASON_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;
}

/** MLflow's page tokens are base64 text; anything else would reach MLflow's search and fail there. */
const PAGE_TOKEN = /^[A-Za-z0-9+/=_-]+$/;

export class HistoryQuery {
  @ApiPropertyOptional({ example: 'production', description: 'Only this alias; every alias when absent.' })
  @IsOptional()
  @IsString()
  alias?: string;

  @ApiPropertyOptional({
    description: 'next_page_token of the previous page.',
    pattern: PAGE_TOKEN.source,
    maxLength: 4096,
  })
  @IsOptional()
  @IsString()
  @Matches(PAGE_TOKEN, { message: '$property must be a next_page_token this API gave (base64 text)' })
  @MaxLength(4096)
  page_token?: string;

  @ApiPropertyOptional({ type: 'integer', example: 50, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  max_results?: number;
}

export class TrafficBody {
  @ApiPropertyOptional({
    example: 0.1,
    minimum: 0,
    maximum: 1,
    description: 'Share of requests routed to the challenger.',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  challenger_share?: number;

  @ApiPropertyOptional({ example: false, description: 'Score the challenger in the shadow of the champion.' })
  @IsOptional()
  @IsBoolean()
  shadow?: boolean;

  @ApiPropertyOptional({
    example: 'spring-2026',
    description: 'Salt of the sticky per-customer split.',
    pattern: '^\\S[\\s\\S]{0,199}$',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @Matches(/^\S.{0,199}$/s, { message: '$property must be 1 to 200 characters, not starting with a space' })
  salt?: string;

  @ApiPropertyOptional({
    example: false,
    description: 'Set a challenger_share above CHALLENGER_SHARE_CAP despite failed gates; needs a reason; recorded.',
  })
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({ example: 'load test of v7', maxLength: MAX_REASON_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;
}
