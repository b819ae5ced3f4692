import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { answerInvocations } from './scoring-routes';
import { EXAMPLE_CUSTOMER, InvocationsResponse } from './scoring.dto';
import { ScoringService } from './scoring.service';
import { markServed } from './served-model';

@ApiTags('predict')
@Controller()
export class InvocationsController {
  constructor(private readonly scoring: ScoringService) {}

  @Post('invocations')
  @HttpCode(200)
  @ApiOperation({
    summary: "MLflow's scoring protocol, as `mlflow models serve` answers it",
    description:
      'JSON with exactly one of `dataframe_split`, `dataframe_records`, `instances`, `inputs`; or `text/csv` with a header row. Answers `{ "predictions": [{ "label", "probability" }] }`; errors are `{ "error_code", "message" }`. The `x-model-version` header names the version.',
  })
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({
    schema: { type: 'object' },
    examples: {
      dataframe_split: {
        value: { dataframe_split: { columns: Object.keys(EXAMPLE_CUSTOMER), data: [Object.values(EXAMPLE_CUSTOMER)] } },
      },
      dataframe_records: { value: { dataframe_records: [EXAMPLE_CUSTOMER] } },
    },
  })
  @ApiOkResponse({ type: InvocationsResponse })
  @ApiBadRequestResponse({ description: '`{ "error_code": "BAD_REQUEST", "message": "..." }`' })
  async invocations(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const answer = await answerInvocations(this.scoring, contentType, body);
    markServed(request, reply, answer.model);
    reply.type('application/json; charset=utf-8');
    return answer.json;
  }
}
