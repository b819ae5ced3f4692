/**
 * What inference-api adds to the kit's one exception filter (and its scoring fast path): its own
 * errors, and MLflow's `{ error_code, message }` bodies on `/invocations`, as `mlflow models serve`
 * answers. Bad input is 4xx naming the field; a row the model answers with something that is not a
 * probability is 422 naming the row and version; a missing model or an unavailable log is 503; a
 * body over the limit is 413 quoting BODY_LIMIT_BYTES; everything else takes the kit's mapping.
 */
import { HttpStatus } from '@nestjs/common';

import {
  problemAnswerFor,
  problemOf,
  type ErrorBody,
  type MlflowProblemContext,
  type ProblemAnswer,
  type ProblemOptions,
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

/** The content type of every JSON answer (Fastify's default for objects). */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** What an error's answer depends on besides the error: MLflow's whereabouts, and the body limit it may quote. */
export interface ApiErrorContext extends MlflowProblemContext {
  bodyLimitBytes: number;
}

/** inference-api's additions to the kit's filter. */
export function inferenceApiErrors(context: ApiErrorContext): ProblemOptions {
  return { ownErrors: (exception) => ownError(exception, context), errorBody: mlflowProtocolBody };
}

function ownError(exception: unknown, context: ApiErrorContext): ProblemAnswer | undefined {
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
  // Fastify's or Nest's 413 says nothing of the limit or what to do.
  if (problemAnswerFor(exception, context)?.problem.status === HttpStatus.PAYLOAD_TOO_LARGE)
    return bodyTooLarge(context.bodyLimitBytes);
  return undefined;
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

/** MLflow's `{ error_code, message }` on `/invocations` (415 as plain text, as MLflow does); undefined elsewhere. */
function mlflowProtocolBody(route: string, answer: ProblemAnswer): ErrorBody | undefined {
  if (!MLFLOW_PROTOCOL_ROUTES.has(route)) return undefined;
  const { status, detail } = answer.problem;
  if (status === HttpStatus.UNSUPPORTED_MEDIA_TYPE) return { contentType: 'text/plain; charset=utf-8', body: detail };
  return {
    contentType: JSON_TYPE,
    body: JSON.stringify({
      error_code: MLFLOW_ERROR_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'),
      message: detail,
    }),
  };
}
