import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';

import { MlflowConnectionError, MlflowError } from '@churn/mlflow-client';

import { JobNotFoundError } from '../jobs/job-errors';
import { TrainingRequestError } from '../training/training-request';

interface ReplyLike {
  raw: { destroyed: boolean };
  status(code: number): { send(body: unknown): unknown };
}

/**
 * Turns typed errors into HTTP answers with a message (never a stack): a bad request field → 400, an
 * unknown job → 404, MLflow unreachable → 503, MLflow refusing → 502; Nest's own HTTP exceptions
 * (validation, auth) keep their status. Anything else is a 500 whose details go to the log only.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    // A client cut off mid-request (HTTP_REQUEST_TIMEOUT_MS) or gone: nobody to answer, no server fault to log.
    if (reply.raw.destroyed) return;
    const [status, message] = this.describe(error);
    const body =
      error instanceof HttpException && typeof error.getResponse() === 'object'
        ? error.getResponse()
        : { statusCode: status, error: HttpStatus[status] ?? 'Error', message };
    reply.status(status).send(body);
  }

  private describe(error: unknown): [number, string] {
    if (error instanceof HttpException) return [error.getStatus(), error.message];
    if (error instanceof TrainingRequestError) return [HttpStatus.BAD_REQUEST, error.message];
    if (error instanceof JobNotFoundError) return [HttpStatus.NOT_FOUND, error.message];
    if (error instanceof MlflowConnectionError)
      return [HttpStatus.SERVICE_UNAVAILABLE, `MLflow is unreachable: ${error.message}`];
    if (error instanceof MlflowError) return [HttpStatus.BAD_GATEWAY, `MLflow refused the request: ${error.message}`];
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return [HttpStatus.INTERNAL_SERVER_ERROR, 'internal error; see the training-worker log'];
  }
}
