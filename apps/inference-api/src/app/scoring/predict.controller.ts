import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiServiceUnavailableResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FeatureBatch } from '../model/feature-batch';
import { ModelRef } from '../model/loaded-model';
import { parsePredictRequest } from './predict-request';
import { ApiErrorResponse, EXAMPLE_CUSTOMER, PredictBatchResponse, PredictResponse, type PredictionDto } from './scoring.dto';
import { ScoringService } from './scoring.service';
import { markServed } from './served-model';

@ApiTags('predict')
@ApiExtraModels(PredictResponse, PredictBatchResponse)
@Controller()
export class PredictController {
  constructor(private readonly scoring: ScoringService) {}

  @Post('predict')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Churn prediction for one customer or a batch',
    description:
      'Body: one customer object, `{ "customers": [...] }` or an array of customers (up to MAX_BATCH_ROWS), with optional `user_id` and `request_id`. Numeric fields take numbers or numeric text (null or blank = missing, imputed); categorical fields take text or numbers. Unknown categories and fields outside the model are scored/ignored and listed in `warnings`. With a `user_id` and a champion/challenger experiment on, the user gets the same variant on every replica; `variant` (and the `x-model-variant` header) says which, `model` names the version (also in `x-model-version`).',
  })
  @ApiBody({
    schema: { oneOf: [{ type: 'object', additionalProperties: true }, { type: 'array', items: { type: 'object' } }] },
    examples: {
      one: { value: { ...EXAMPLE_CUSTOMER, user_id: 'u-17' } },
      batch: { value: { customers: [EXAMPLE_CUSTOMER, { ...EXAMPLE_CUSTOMER, tenure: 60, Contract: 'Two year' }], request_id: 'batch-1' } },
    },
  })
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(PredictResponse) }, { $ref: getSchemaPath(PredictBatchResponse) }] } })
  @ApiBadRequestResponse({ type: ApiErrorResponse, description: 'A value or the body is malformed; `field` names where.' })
  @ApiPayloadTooLargeResponse({ type: ApiErrorResponse, description: 'Body over BODY_LIMIT_BYTES or more customers than MAX_BATCH_ROWS.' })
  @ApiServiceUnavailableResponse({ type: ApiErrorResponse, description: 'No model version is loaded yet.' })
  async predict(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<PredictResponse | PredictBatchResponse> {
    const receivedAt = Date.now();
    const parsed = parsePredictRequest(body, this.scoring.maxBatchRows);
    const route = this.scoring.routeFor(parsed.userId);
    const { model, variant, batch, scores } = await this.scoring.score(
      route,
      { route: 'predict', requestId: parsed.requestId, userId: parsed.userId, receivedAt },
      (builder) => builder.fromRecords(parsed.records, parsed.locate),
    );
    markServed(request, reply, model);
    reply.header('x-request-id', parsed.requestId);
    reply.header('x-model-variant', variant);
    if (parsed.single) {
      return {
        prediction: scores.labels[0] as 0 | 1,
        probability: scores.probabilities[0],
        model: copyRef(model),
        variant,
        request_id: parsed.requestId,
        warnings: warningsOf(batch, 0),
      };
    }
    const predictions: PredictionDto[] = new Array(batch.rowCount);
    for (let row = 0; row < batch.rowCount; row++) {
      predictions[row] = { prediction: scores.labels[row] as 0 | 1, probability: scores.probabilities[row], warnings: batch.rowWarnings?.[row] ?? [] };
    }
    return { model: copyRef(model), variant, predictions, request_id: parsed.requestId, warnings: batch.batchWarnings };
  }
}

function copyRef(ref: ModelRef): ModelRef {
  return { name: ref.name, alias: ref.alias, version: ref.version };
}

function warningsOf(batch: FeatureBatch, row: number): string[] {
  const rowWarnings = batch.rowWarnings?.[row];
  if (batch.batchWarnings.length === 0) return rowWarnings ?? [];
  return [...batch.batchWarnings, ...(rowWarnings ?? [])];
}
