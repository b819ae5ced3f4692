import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MlflowConnectionError, MlflowError } from '@churn/mlflow-client';
import { PredictionLogDisabledError, PredictionStoreUnavailableError } from '../ab/ab-errors';
import { InputError, ModelNotReadyError } from '../model/model-errors';

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
 * answers. Bad input is 4xx with the field named; a missing model or MLflow outage is 503; anything
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
    const { status, message, field } = this.describe(exception);
    const route = request.routeOptions?.url ?? '';
    if (MLFLOW_PROTOCOL_ROUTES.has(route)) {
      if (status === HttpStatus.UNSUPPORTED_MEDIA_TYPE) {
        void reply.status(status).type('text/plain').send(message);
        return;
      }
      void reply.status(status).send({ error_code: MLFLOW_ERROR_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'), message });
      return;
    }
    void reply.status(status).send({
      statusCode: status,
      error: HTTP_REASONS[status] ?? 'Error',
      message,
      ...(field === undefined ? {} : { field }),
    });
  }

  private describe(exception: unknown): { status: number; message: string; field?: string } {
    if (exception instanceof InputError) return { status: exception.status, message: exception.message, field: exception.field || undefined };
    if (exception instanceof ModelNotReadyError) return { status: HttpStatus.SERVICE_UNAVAILABLE, message: exception.message };
    if (exception instanceof PredictionLogDisabledError || exception instanceof PredictionStoreUnavailableError) return { status: HttpStatus.SERVICE_UNAVAILABLE, message: exception.message };
    if (exception instanceof MlflowConnectionError) return { status: HttpStatus.SERVICE_UNAVAILABLE, message: `MLflow is unreachable: ${exception.message}` };
    if (exception instanceof MlflowError && exception.status !== undefined && exception.status < 500) {
      return { status: HttpStatus.BAD_GATEWAY, message: `MLflow refused the request: ${exception.message}` };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === HttpStatus.PAYLOAD_TOO_LARGE) {
        return { status, message: `request body is larger than ${this.bodyLimitBytes} bytes (BODY_LIMIT_BYTES); send fewer rows per request`, field: 'body' };
      }
      const response = exception.getResponse();
      const raw = typeof response === 'object' && response !== null && 'message' in response ? (response as { message: unknown }).message : exception.message;
      const message = Array.isArray(raw) ? raw.join('; ') : String(raw);
      return { status, message };
    }
    this.logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'internal error; see the server log' };
  }
}

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};
