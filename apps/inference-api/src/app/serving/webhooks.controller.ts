import { Body, Controller, HttpCode, Logger, Post, Req, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

import { verifyWebhookSignature, WEBHOOK_HEADERS } from '@churn/mlflow-client';

import type { InferenceApiConfig } from '../config/inference-api.config';
import { CHALLENGER_ALIAS, CHAMPION_ALIAS } from '../routing/traffic-settings';
import { TrafficService } from '../routing/traffic.service';
import { ModelSlotsService } from '../slots/model-slots.service';

export class WebhookAck {
  @ApiProperty({ example: true })
  accepted!: boolean;

  @ApiProperty({
    type: [String],
    example: ['production'],
    description: 'Aliases being re-resolved because of this delivery.',
  })
  reloading!: string[];
}

/** The parts of an MLflow registry webhook delivery this receiver reads (mlflow/webhooks/delivery.py). */
interface WebhookPayload {
  entity?: unknown;
  action?: unknown;
  data?: { name?: unknown; alias?: unknown; version?: unknown };
}

/** Entities whose events can change what an alias serves. */
const ALIAS_ENTITIES = new Set(['model_version_alias']);

@ApiTags('admin')
@Controller('webhooks')
export class WebhooksController {
  private readonly logger = new Logger(WebhooksController.name);
  private readonly secret: string;

  constructor(
    private readonly slots: ModelSlotsService,
    private readonly traffic: TrafficService,
    config: ConfigService<InferenceApiConfig, true>,
  ) {
    this.secret = config.get('MLFLOW_WEBHOOK_SECRET', { infer: true });
  }

  @Post('mlflow')
  @HttpCode(200)
  @ApiOperation({
    summary: 'MLflow registry webhook receiver (X-MLflow-Signature HMAC checked with MLFLOW_WEBHOOK_SECRET)',
    description:
      'Alias events for a served alias trigger a reload in the background; the delivery is acknowledged at once.',
  })
  @ApiOkResponse({ type: WebhookAck })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid signature, or no MLFLOW_WEBHOOK_SECRET configured.' })
  receive(@Req() request: FastifyRequest, @Body() body: unknown): WebhookAck {
    if (!this.secret)
      throw new UnauthorizedException('no MLFLOW_WEBHOOK_SECRET is configured, so webhook deliveries are refused');
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const verdict = verifyWebhookSignature(this.secret, {
      body: request.rawBody ?? Buffer.alloc(0),
      signature: header(WEBHOOK_HEADERS.signature),
      timestamp: header(WEBHOOK_HEADERS.timestamp),
      deliveryId: header(WEBHOOK_HEADERS.deliveryId),
    });
    if (!verdict.valid) throw new UnauthorizedException(`webhook signature rejected: ${verdict.reason}`);
    const payload = (typeof body === 'object' && body !== null ? body : {}) as WebhookPayload;
    const name = payload.data?.name;
    const alias = payload.data?.alias;
    if (
      typeof payload.entity !== 'string' ||
      !ALIAS_ENTITIES.has(payload.entity) ||
      name !== this.slots.modelName ||
      typeof alias !== 'string'
    ) {
      return { accepted: true, reloading: [] };
    }
    const experimentAlias = alias === CHAMPION_ALIAS || alias === CHALLENGER_ALIAS;
    if (!this.slots.slot(alias) && !experimentAlias) return { accepted: true, reloading: [] };
    this.logger.log(
      `webhook: ${payload.entity} ${String(payload.action)} ${name}@${alias} → v${String(payload.data?.version ?? '?')}; reloading`,
    );
    // The traffic read first: a champion or challenger alias may start (or end) an experiment's slot.
    void this.traffic
      .refresh()
      .then(() => this.slots.reload(name, alias, 'webhook'))
      .catch((error: Error) => this.logger.warn(`webhook reload of ${name}@${alias} failed: ${error.message}`));
    return { accepted: true, reloading: [alias] };
  }
}
