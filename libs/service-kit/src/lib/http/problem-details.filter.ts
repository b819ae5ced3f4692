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

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  constructor(
    private readonly context: MlflowProblemContext,
    private readonly routes?: RouteMethods,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    // A client cut off mid-request (HTTP_REQUEST_TIMEOUT_MS) or gone: nobody to answer, no server fault to log.
    if (reply.raw.destroyed) return;
    const request = http.getRequest<FastifyRequest>();
    const notAllowed = this.routes?.notAllowedAfter(exception, request);
    if (notAllowed !== undefined) {
      void reply.header('allow', notAllowed.allow);
      sendProblem(reply, { problem: notAllowed.problem });
      return;
    }
    const answer = problemAnswerFor(exception, this.context);
    if (answer === undefined) {
      this.logger.error(
        redactCredentials(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)),
      );
      sendProblem(reply, { problem: problemOf(500, `internal error; see the ${this.context.service} log`) });
      return;
    }
    if (answer.problem.status >= 500) this.logger.warn(answer.problem.detail);
    sendProblem(reply, answer);
  }
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

export function sendProblem(reply: FastifyReply, answer: ProblemAnswer): void {
  if (answer.retryAfterSeconds !== undefined) void reply.header('retry-after', String(answer.retryAfterSeconds));
  void reply.status(answer.problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(answer.problem));
}
