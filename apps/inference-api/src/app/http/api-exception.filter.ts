import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { MlflowConnectionError, MlflowError } from '@churn/mlflow-client';

import { PredictionLogDisabledError, PredictionStoreUnavailableError, ReportUnavailableError } from '../ab/ab-errors';
import { InputError, ModelNotReadyError, ModelOutputError } from '../model/model-errors';

/** Routes that speak MLflow's scoring protocol, whose errors are `{ error_code, message }`. */
const MLFLOW_PROTOCOL_ROUTES = new Set(['/invocations']);

const MLFLOW_ERROR_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  413: 'RESOURCE_LIMIT_EXCEEDED',
  503: 'TEMPORARILY_UNAVAILABLE',
};

/**
 * One error shape for the whole API: `{ statusCode, error, message, field? }` (Nest's, plus the
 * field at fault), or MLflow's `{ error_code, message }` on `/invocations`, as `mlflow models serve`
 * answers. Bad input is 4xx with the field named; a row the model answers with something that is
 * not a probability is 422 naming the row and version; a missing model or MLflow outage is 503; anything
 * unexpected is a 500 without internals (logged here with its stack).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  constructor(private readonly bodyLimitBytes: number) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    // A client cut off mid-request (HTTP_REQUEST_TIMEOUT_MS) or gone: nobody to answer, no server fault to log.
    if (reply.raw.destroyed) return;
    const { status, message, field, retryAfterSeconds } = describeApiError(exception, this.bodyLimitBytes, this.logger);
    const answer = apiErrorAnswer(request.routeOptions?.url ?? '', status, message, field);
    if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
    void reply.status(status).type(answer.contentType).send(answer.body);
  }
}

export interface ApiErrorDescription {
  status: number;
  message: string;
  field?: string;
  /** Sent as Retry-After: when trying again is worth it. */
  retryAfterSeconds?: number;
}

/** The status, message and field an error is answered with; an unexpected one is logged (with its stack) as a 500. */
export function describeApiError(
  exception: unknown,
  bodyLimitBytes: number,
  logger: Pick<Logger, 'error'>,
): ApiErrorDescription {
  if (exception instanceof InputError)
    return { status: exception.status, message: exception.message, field: exception.field || undefined };
  if (exception instanceof ModelOutputError)
    return { status: HttpStatus.UNPROCESSABLE_ENTITY, message: exception.message, field: exception.field };
  if (exception instanceof ModelNotReadyError)
    return { status: HttpStatus.SERVICE_UNAVAILABLE, message: exception.message };
  if (exception instanceof PredictionLogDisabledError || exception instanceof PredictionStoreUnavailableError)
    return { status: HttpStatus.SERVICE_UNAVAILABLE, message: exception.message };
  if (exception instanceof ReportUnavailableError)
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      message: exception.message,
      retryAfterSeconds: exception.retryAfterSeconds,
    };
  if (exception instanceof MlflowConnectionError)
    return { status: HttpStatus.SERVICE_UNAVAILABLE, message: `MLflow is unreachable: ${exception.message}` };
  if (exception instanceof MlflowError && exception.status !== undefined && exception.status < 500) {
    return { status: HttpStatus.BAD_GATEWAY, message: `MLflow refused the request: ${exception.message}` };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === HttpStatus.PAYLOAD_TOO_LARGE) return bodyTooLarge(bodyLimitBytes);
    const response = exception.getResponse();
    const raw =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: unknown }).message
        : exception.message;
    const message = Array.isArray(raw) ? raw.join('; ') : String(raw);
    return { status, message };
  }
  logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'internal error; see the server log' };
}

export function bodyTooLarge(bodyLimitBytes: number): ApiErrorDescription {
  return {
    status: HttpStatus.PAYLOAD_TOO_LARGE,
    message: `request body is larger than ${bodyLimitBytes} bytes (BODY_LIMIT_BYTES); send fewer rows per request`,
    field: 'body',
  };
}

/** The error body for a route: MLflow's `{ error_code, message }` on `/invocations` (415 as plain text, as MLflow does), ours elsewhere. */
export function apiErrorAnswer(
  route: string,
  status: number,
  message: string,
  field: string | undefined,
): { contentType: string; body: string } {
  if (MLFLOW_PROTOCOL_ROUTES.has(route)) {
    if (status === HttpStatus.UNSUPPORTED_MEDIA_TYPE)
      return { contentType: 'text/plain; charset=utf-8', body: message };
    return {
      contentType: JSON_TYPE,
      body: JSON.stringify({
        error_code: MLFLOW_ERROR_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'),
        message,
      }),
    };
  }
  return {
    contentType: JSON_TYPE,
    body: JSON.stringify({
      statusCode: status,
      error: HTTP_REASONS[status] ?? 'Error',
      message,
      ...(field === undefined ? {} : { field }),
    }),
  };
}

/** The content type of every JSON answer (Fastify's default for objects). */
export const JSON_TYPE = 'application/json; charset=utf-8';

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};
