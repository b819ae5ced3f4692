import { Body, Controller, Delete, Get, Param, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiNotImplementedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { CallerName, RequireRoles } from '@churn/service-kit';

import { DeletedWebhookView, RegisteredWebhookView, RegisterWebhookBody, WebhookViewDto } from './dto/webhooks.dto';
import { WebhooksService, type WebhookView } from './webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No bearer token, or an unknown one.' })
@ApiForbiddenResponse({ description: 'The token lacks the role.' })
@ApiNotFoundResponse({ description: 'Unknown model (or webhook).' })
@ApiNotImplementedResponse({ description: 'The MLflow server has no registry webhooks (before MLflow 3.3).' })
@ApiServiceUnavailableResponse({ description: 'MLflow is unreachable; nothing was changed.' })
@Controller('models')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':name/webhooks')
  @RequireRoles('deployer')
  @ApiOperation({
    summary: "Register inference-api's webhook receiver in MLflow for alias events (idempotent per URL)",
    description:
      'MLflow then tells the receiver of every alias set or deleted, signed with the secret; INFERENCE_URLS pushes continue as well.',
  })
  @ApiCreatedResponse({ type: RegisteredWebhookView, description: 'Registered now.' })
  @ApiOkResponse({
    type: RegisteredWebhookView,
    description: 'The model already had a webhook for this URL; returned unchanged.',
  })
  @ApiBadRequestResponse({
    description: 'url is not http(s), or no secret is given and MLFLOW_WEBHOOK_SECRET is not set.',
  })
  async register(
    @Param('name') name: string,
    @Body() body: RegisterWebhookBody,
    @CallerName() actor: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RegisteredWebhookView> {
    const result = await this.webhooks.register({ model: name, url: body.url, secret: body.secret, actor });
    reply.status(result.created ? 201 : 200);
    return result;
  }

  @Get(':name/webhooks')
  @RequireRoles('viewer')
  @ApiOperation({ summary: "The model's webhooks registered through registry-admin" })
  @ApiOkResponse({ type: [WebhookViewDto] })
  list(@Param('name') name: string): Promise<WebhookView[]> {
    return this.webhooks.list(name);
  }

  @Delete(':name/webhooks/:id')
  @RequireRoles('deployer')
  @ApiOperation({ summary: "Remove one of the model's webhooks from MLflow" })
  @ApiOkResponse({ type: DeletedWebhookView })
  delete(
    @Param('name') name: string,
    @Param('id') id: string,
    @CallerName() actor: string,
  ): Promise<DeletedWebhookView> {
    return this.webhooks.delete(name, id, actor);
  }
}
