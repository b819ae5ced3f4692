/**
 * The one exception filter: every error leaves as RFC 9457 problem details, with MLflow failures
 * mapped once ({@link mlflowProblem}) and credentials redacted from every body and log line.
 */
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { MlflowError } from '@churn/mlflow-client';

import { mlflowProblem, type MlflowProblemContext } from './mlflow-problems';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemOf, type ProblemAnswer } from './problem';
import { redactCredentials } from './redact';
import type { RouteMethods } from './route-methods';

/** What an app adds to the one filter: its own errors, and another protocol's error bodies on some routes. */
export interface ProblemOptions {
  /** The app's own errors, answered before the kit's mapping; undefined for any other exception. */
  ownErrors?: (exception: unknown) => ProblemAnswer | undefined;
  /** The body of an answer on a route whose errors keep another protocol's shape; undefined: problem details. */
  errorBody?: (route: string, answer: ProblemAnswer) => ErrorBody | undefined;
}

/** An error answer's bytes and their content type. */
export interface ErrorBody {
  contentType: string;
  body: string;
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  constructor(
    private readonly context: MlflowProblemContext,
    private readonly routes?: RouteMethods,
    private readonly options: ProblemOptions = {},
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    // A client cut off mid-request (HTTP_REQUEST_TIMEOUT_MS) or gone: nobody to answer, no server fault to log.
    if (reply.raw.destroyed) return;
    const request = http.getRequest<FastifyRequest>();
    const notAllowed = this.routes?.notAllowedAfter(exception, request);
    if (notAllowed !== undefined) void reply.header('allow', notAllowed.allow);
    const answer: ProblemAnswer =
      notAllowed ?? describeProblem(exception, this.context, this.logger, this.options.ownErrors);
    const { contentType, body } = errorBodyOf(request.routeOptions?.url ?? '', answer, this.options.errorBody);
    if (answer.retryAfterSeconds !== undefined) void reply.header('retry-after', String(answer.retryAfterSeconds));
    void reply.status(answer.problem.status).type(contentType).send(body);
  }
}

/**
 * How an error is answered: the app's own errors first, then the kit's mapping (an MLflow-caused
 * 5xx is logged as a warning); one nobody expected is logged with its stack, credentials redacted,
 * and answered as a bare 500.
 */
export function describeProblem(
  exception: unknown,
  context: MlflowProblemContext,
  logger: Pick<Logger, 'error' | 'warn'>,
  ownErrors?: ProblemOptions['ownErrors'],
): ProblemAnswer {
  const own = ownErrors?.(exception);
  if (own !== undefined) return own;
  const answer = problemAnswerFor(exception, context);
  if (answer === undefined) {
    logger.error(
      redactCredentials(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)),
    );
    return { problem: problemOf(500, `internal error; see the ${context.service} log`) };
  }
  if (answer.problem.status >= 500) logger.warn(answer.problem.detail);
  return answer;
}

/** An answer's body on `route`: the app's own shape where it has one, problem details elsewhere. */
export function errorBodyOf(route: string, answer: ProblemAnswer, errorBody?: ProblemOptions['errorBody']): ErrorBody {
  return errorBody?.(route, answer) ?? { contentType: PROBLEM_CONTENT_TYPE, body: JSON.stringify(answer.problem) };
}

/**
 * How an error is answered, or undefined for one nobody expected (the caller logs it and answers
 * 500 without its text): {@link ProblemError}s as they say, MLflow errors by the one mapping, Nest's
 * and Fastify's HTTP errors with their status.
 */
export function problemAnswerFor(exception: unknown, context: MlflowProblemContext): ProblemAnswer | undefined {
  if (exception instanceof ProblemError) {
    return {
      problem: problemOf(exception.status, redactCredentials(exception.message), exception.field, exception.extensions),
      retryAfterSeconds: exception.retryAfterSeconds,
    };
  }
  if (exception instanceof MlflowError) return mlflowProblem(exception, context);
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    const raw =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: unknown }).message
        : exception.message;
    return { problem: problemOf(exception.getStatus(), redactCredentials([raw].flat().join('; '))) };
  }
  // Fastify's own errors (body too large, unsupported media type, malformed JSON) carry their status.
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (exception instanceof Error && typeof status === 'number' && status >= 400 && status < 600)
    return { problem: problemOf(status, redactCredentials(exception.message)) };
  return undefined;
}
