import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import {
  PROBLEM_CONTENT_TYPE,
  problemAnswerFor,
  problemOf,
  redactCredentials,
  type MlflowProblemContext,
  type ProblemAnswer,
  type RouteMethods,
} from '@churn/service-kit';

import { InputError, ModelNotReadyError, ModelOutputError } from '../model/model-errors';
import { PredictionLogDisabledError, PredictionStoreUnavailableError } from '../prediction-log/prediction-log-errors';
import { ReportUnavailableError } from '../prediction-log/prediction-report-reader';

/** Routes that speak MLflow's scoring protocol, whose errors are `{ error_code, message }`. */
const MLFLOW_PROTOCOL_ROUTES = new Set(['/invocations']);

const MLFLOW_ERROR_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  413: 'RESOURCE_LIMIT_EXCEEDED',
  503: 'TEMPORARILY_UNAVAILABLE',
};

/** What an error's answer depends on besides the error: the body limit it may quote, and MLflow's whereabouts. */
export interface ApiErrorContext extends MlflowProblemContext {
  bodyLimitBytes: number;
}

/**
 * Every error as the kit's RFC 9457 problem details (`type`, `title`, `status`, `detail`, and
 * `field` where input is at fault), except on `/invocations`, which answers MLflow's
 * `{ error_code, message }` as `mlflow models serve` does. Bad input is 4xx naming the field; a row
 * the model answers with something that is not a probability is 422 naming the row and version; a
 * missing model or an unavailable log is 503; MLflow failures take the kit's one mapping; anything
 * unexpected is a 500 without internals (logged here with its stack). A path that exists with
 * other methods on this listener answers 405 with `Allow`.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  constructor(
    private readonly context: ApiErrorContext,
    private readonly routes: RouteMethods,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    // A client cut off mid-request (HTTP_REQUEST_TIMEOUT_MS) or gone: nobody to answer, no server fault to log.
    if (reply.raw.destroyed) return;
    const notAllowed = this.routes.notAllowedAfter(exception, request);
    if (notAllowed !== undefined) void reply.header('allow', notAllowed.allow);
    const answer: ProblemAnswer = notAllowed ?? describeApiError(exception, this.context, this.logger);
    const { contentType, body } = apiErrorAnswer(request.routeOptions?.url ?? '', answer);
    if (answer.retryAfterSeconds !== undefined) void reply.header('retry-after', String(answer.retryAfterSeconds));
    void reply.status(answer.problem.status).type(contentType).send(body);
  }
}

/** How an error is answered; an unexpected one is logged (with its stack) and answered as a bare 500. */
export function describeApiError(
  exception: unknown,
  context: ApiErrorContext,
  logger: Pick<Logger, 'error'>,
): ProblemAnswer {
  if (exception instanceof InputError)
    return { problem: problemOf(exception.status, exception.message, exception.field || undefined) };
  if (exception instanceof ModelOutputError)
    return { problem: problemOf(HttpStatus.UNPROCESSABLE_ENTITY, exception.message, exception.field) };
  if (
    exception instanceof ModelNotReadyError ||
    exception instanceof PredictionLogDisabledError ||
    exception instanceof PredictionStoreUnavailableError
  )
    return { problem: problemOf(HttpStatus.SERVICE_UNAVAILABLE, exception.message) };
  if (exception instanceof ReportUnavailableError)
    return {
      problem: problemOf(HttpStatus.SERVICE_UNAVAILABLE, exception.message),
      retryAfterSeconds: exception.retryAfterSeconds,
    };
  // Nest's and Fastify's HTTP errors keep their status; MLflow failures take the kit's mapping.
  const answer = problemAnswerFor(exception, context);
  if (answer?.problem.status === HttpStatus.PAYLOAD_TOO_LARGE) return bodyTooLarge(context.bodyLimitBytes);
  if (answer !== undefined) return answer;
  logger.error(
    `unexpected error: ${redactCredentials(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception))}`,
  );
  return { problem: problemOf(HttpStatus.INTERNAL_SERVER_ERROR, 'internal error; see the inference-api log') };
}

export function bodyTooLarge(bodyLimitBytes: number): ProblemAnswer {
  return {
    problem: problemOf(
      HttpStatus.PAYLOAD_TOO_LARGE,
      `request body is larger than ${bodyLimitBytes} bytes (BODY_LIMIT_BYTES); send fewer rows per request`,
      'body',
    ),
  };
}

/** The error body for a route: MLflow's `{ error_code, message }` on `/invocations` (415 as plain text, as MLflow does), a problem elsewhere. */
export function apiErrorAnswer(route: string, answer: ProblemAnswer): { contentType: string; body: string } {
  const { status, detail } = answer.problem;
  if (MLFLOW_PROTOCOL_ROUTES.has(route)) {
    if (status === HttpStatus.UNSUPPORTED_MEDIA_TYPE) return { contentType: 'text/plain; charset=utf-8', body: detail };
    return {
      contentType: JSON_TYPE,
      body: JSON.stringify({
        error_code: MLFLOW_ERROR_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'),
        message: detail,
      }),
    };
  }
  return { contentType: PROBLEM_CONTENT_TYPE, body: JSON.stringify(answer.problem) };
}

/** The content type of every JSON answer (Fastify's default for objects). */
export const JSON_TYPE = 'application/json; charset=utf-8';
