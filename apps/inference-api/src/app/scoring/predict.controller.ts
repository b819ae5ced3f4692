import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { answerPredict } from './scoring-routes';
import { EXAMPLE_CUSTOMER, PredictBatchResponse, PredictResponse } from './scoring.dto';
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
    schema: {
      anyOf: [
        { type: 'object', additionalProperties: true },
        { type: 'array', minItems: 1, items: { type: 'object' } },
      ],
    },
    examples: {
      one: { value: { ...EXAMPLE_CUSTOMER, user_id: 'u-17' } },
      batch: {
        value: {
          customers: [EXAMPLE_CUSTOMER, { ...EXAMPLE_CUSTOMER, tenure: 60, Contract: 'Two year' }],
          request_id: 'batch-1',
        },
      },
    },
  })
  @ApiOkResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(PredictResponse) }, { $ref: getSchemaPath(PredictBatchResponse) }] },
  })
  @ApiBadRequestResponse({
    description: 'A value or the body is malformed; `field` names where.',
  })
  @ApiPayloadTooLargeResponse({
    description: 'Body over BODY_LIMIT_BYTES or more customers than MAX_BATCH_ROWS.',
  })
  @ApiServiceUnavailableResponse({ description: 'No model version is loaded yet.' })
  async predict(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PredictResponse | PredictBatchResponse> {
    const answer = await answerPredict(this.scoring, body);
    markServed(request, reply, answer.model);
    reply.header('x-request-id', answer.requestId);
    reply.header('x-model-variant', answer.variant);
    return answer.response;
  }
}
