import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { SecretTokenGuard } from '@churn/service-kit';

import { BusinessRead } from '../http/business-read.guard';
import type { AbReportJson } from './ab-report';
import { parseAbReportQuery, REPORT_TIME_PATTERN } from './ab-report-query';
import { AbReportResponse, FeedbackResponse } from './ab.dto';
import { AbService, type FeedbackResultJson } from './ab.service';
import { FEEDBACK_BODY_SCHEMA, parseFeedbackRequest } from './feedback-request';
import { MAX_SCORE_BINS } from './score-distribution';

@ApiTags('champion/challenger')
@Controller()
export class AbController {
  constructor(private readonly ab: AbService) {}

  @Post('feedback')
  @HttpCode(200)
  @ApiBearerAuth()
  @UseGuards(SecretTokenGuard('FEEDBACK_TOKEN'))
  @ApiOperation({
    summary: 'Ground truth for logged predictions, whichever replica served them',
    description:
      'Body: `{ "request_id", "actual" }`, an array of them, or `{ "labels": [...] }`; `actual` is 0/1 (or false/true), `row` picks a row of a batch prediction (default 0). Labels for predictions older than FEEDBACK_WINDOW_SECONDS are `expired` and not recorded; labels whose prediction is not in the log (yet) are kept and reported as `unknown`.',
  })
  @ApiBody({
    schema: FEEDBACK_BODY_SCHEMA,
    examples: {
      one: { value: { request_id: 'r-1', actual: 1 } },
      many: {
        value: {
          labels: [
            { request_id: 'r-1', actual: 1 },
            { request_id: 'batch-1', row: 1, actual: 0 },
          ],
        },
      },
    },
  })
  @ApiOkResponse({ type: FeedbackResponse })
  @ApiBadRequestResponse({ description: 'A label is malformed; `field` names it.' })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong bearer token (FEEDBACK_TOKEN).' })
  @ApiServiceUnavailableResponse({
    description: 'The prediction log is off or its store is not reachable.',
  })
  feedback(@Body() body: unknown): Promise<FeedbackResultJson> {
    return this.ab.recordFeedback(parseFeedbackRequest(body));
  }

  @Get('ab/report')
  @BusinessRead()
  @ApiOperation({
    summary: 'Champion/challenger report over the shared prediction log',
    description:
      'Per variant and version: counts, labelled counts, accuracy/precision/recall/F1 on labelled predictions, shadow agreement; challenger − champion with Newcombe intervals; a sample-ratio-mismatch check (chi-square on distinct users, alpha 0.001) that is decided before any verdict.',
  })
  @ApiQuery({
    name: 'since',
    required: false,
    schema: { type: 'string', pattern: REPORT_TIME_PATTERN.source },
    description: `ISO 8601 time or ms since the epoch (inclusive); AB_REPORT_DEFAULT_WINDOW_DAYS before \`until\` when absent`,
  })
  @ApiQuery({
    name: 'until',
    required: false,
    schema: { type: 'string', pattern: REPORT_TIME_PATTERN.source },
    description: 'ISO 8601 time or ms since the epoch (exclusive), after `since`',
  })
  @ApiQuery({
    name: 'confidence',
    required: false,
    schema: { type: 'number', minimum: 0.5, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
    example: 0.95,
  })
  @ApiQuery({
    name: 'min_labels',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
    example: 30,
    description: 'Labelled predictions each arm needs before a verdict',
  })
  @ApiQuery({
    name: 'score_bins',
    required: false,
    schema: { type: 'integer', minimum: 2, maximum: MAX_SCORE_BINS },
    example: 20,
    description:
      "Adds `score_distributions`: each arm's probabilities in this many equal-width bins and its positive count (what registry-admin's rollout guards compare)",
  })
  @ApiOkResponse({ type: AbReportResponse })
  @ApiBadRequestResponse({ description: 'A query parameter is malformed; `field` names it.' })
  @ApiServiceUnavailableResponse({
    description: 'The prediction log is off or its store is not reachable.',
  })
  report(@Query() query: Record<string, unknown>): Promise<AbReportJson> {
    return this.ab.report(parseAbReportQuery(query));
  }
}
