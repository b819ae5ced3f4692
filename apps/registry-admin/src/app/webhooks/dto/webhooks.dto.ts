import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength, ValidateBy } from 'class-validator';

import { ControlAuditView } from '../../registry/dto/responses.dto';

/** http(s), then visible ASCII only: a URI as RFC 3986 writes it (the document's `format: uri`). */
const HTTP_URL_PATTERN = /^https?:\/\/[!-~]+$/;

/** An http(s) URL with a host, in {@link HTTP_URL_PATTERN}, that the WHATWG URL parser (Node's `URL`) takes. */
function IsHttpUrl(): PropertyDecorator {
  return ValidateBy({
    name: 'isHttpUrl',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string' || !HTTP_URL_PATTERN.test(value)) return false;
        try {
          return new URL(value).hostname !== '';
        } catch {
          return false;
        }
      },
      defaultMessage: () => '$property must be an http(s) URL such as http://inference-api:9000',
    },
  });
}

export class RegisterWebhookBody {
  @ApiProperty({
    example: 'http://inference-api:9000',
    format: 'uri',
    pattern: HTTP_URL_PATTERN.source,
    maxLength: 2048,
    description:
      "The base URL of inference-api's internal listener, or its receiver URL ending in /webhooks/mlflow (the path is added when missing).",
  })
  @IsHttpUrl()
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({
    description:
      'HMAC key MLflow signs deliveries with (inference-api verifies with its MLFLOW_WEBHOOK_SECRET); MLFLOW_WEBHOOK_SECRET when absent. Never returned.',
    writeOnly: true,
    minLength: 1,
    maxLength: 1024,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  secret?: string;
}

export class WebhookEventView {
  @ApiProperty({ example: 'MODEL_VERSION_ALIAS' }) entity!: string;
  @ApiProperty({ example: 'CREATED' }) action!: string;
}

export class WebhookViewDto {
  @ApiProperty({ description: "MLflow's webhook id." }) webhook_id!: string;
  @ApiProperty({
    example: 'registry-admin-3f9c0e1a2b4d5c6e-8a7b6c5d4e3f2a1b',
    description: 'Derived from the model and the URL.',
  })
  name!: string;
  @ApiProperty({ example: 'churn_model' }) model!: string;
  @ApiProperty({ example: 'http://inference-api:8000/webhooks/mlflow' }) url!: string;
  @ApiProperty({ type: [WebhookEventView] }) events!: WebhookEventView[];
  @ApiProperty({ enum: ['ACTIVE', 'DISABLED'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '2026-01-15T10:15:30.000Z' }) created_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) updated_at!: string | null;
}

export class RegisteredWebhookView extends ControlAuditView {
  @ApiProperty({ description: 'false when the model already had a webhook for this URL (then returned as it is).' })
  created!: boolean;
  @ApiProperty({ type: WebhookViewDto }) webhook!: WebhookViewDto;
}

export class DeletedWebhookView extends ControlAuditView {
  @ApiProperty() model!: string;
  @ApiProperty() webhook_id!: string;
  @ApiProperty() deleted!: boolean;
}
