import { STATUS_CODES } from 'node:http';

import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

import { errorResponseFor } from './error-response';

/**
 * Every error leaves as `{ statusCode, error, message, ...details }`: typed registry and MLflow
 * errors with their status ({@link errorResponseFor}), Nest's own exceptions (validation, auth) as
 * they are, anything else as a 500 whose details go to the log only.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  constructor(private readonly trackingUri: string) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    // A client cut off mid-request (HTTP_REQUEST_TIMEOUT_MS) or gone: nobody to answer, no server fault to log.
    if (reply.raw.destroyed) return;
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      reply
        .status(exception.getStatus())
        .send(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    const mapped = errorResponseFor(exception, this.trackingUri);
    if (mapped === undefined) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
      reply.status(500).send({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error; see the registry-admin log',
      });
      return;
    }
    if (mapped.status >= 500) this.logger.warn(mapped.message);
    reply.status(mapped.status).send({
      statusCode: mapped.status,
      error: STATUS_CODES[mapped.status] ?? 'Error',
      message: mapped.message,
      ...mapped.details,
    });
  }
}
