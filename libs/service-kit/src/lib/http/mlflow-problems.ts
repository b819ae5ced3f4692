/** One mapping of MLflow failures to HTTP, for every app's REST answers and command lines. */
import {
  BadRequestError,
  MlflowConnectionError,
  MlflowError,
  MlflowServerError,
  PermissionDeniedError,
  RateLimitedError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from '@churn/mlflow-client';

import { problemOf, type ProblemAnswer } from './problem';
import { redactCredentials } from './redact';

/** Retry-After of a 503 caused by MLflow: long enough for a restart or a rate limit window to pass. */
export const MLFLOW_RETRY_AFTER_SECONDS = 5;

/** Who is asking MLflow, for the sentences of the mapping. */
export interface MlflowProblemContext {
  /** The app's name, e.g. `registry-admin`: MLflow refused *its* credentials. */
  service: string;
  trackingUri: string;
  /** What the caller should do after a 503; `try again` unless the app can promise more. */
  unavailableAdvice?: string;
}

/**
 * MLflow unreachable, timing out, 5xx or 429 → 503 with Retry-After; MLflow refusing our own
 * credentials (401/403) → 502 naming MLflow; a resource MLflow does not have → 404; a request
 * MLflow calls malformed → 400; anything else MLflow answers → 502. The tracking URI is redacted.
 */
export function mlflowProblem(error: MlflowError, context: MlflowProblemContext): ProblemAnswer {
  const where = `MLflow at ${redactCredentials(context.trackingUri)}`;
  const message = redactCredentials(error.message);
  if (
    error instanceof MlflowConnectionError ||
    error instanceof MlflowServerError ||
    error instanceof RateLimitedError
  ) {
    return {
      problem: problemOf(503, `${where} is unavailable (${message}); ${context.unavailableAdvice ?? 'try again'}`),
      retryAfterSeconds: MLFLOW_RETRY_AFTER_SECONDS,
    };
  }
  if (error instanceof UnauthenticatedError || error instanceof PermissionDeniedError)
    return { problem: problemOf(502, `${where} refused ${context.service}'s credentials: ${message}`) };
  if (error instanceof ResourceDoesNotExistError) return { problem: problemOf(404, message) };
  if (error instanceof BadRequestError) return { problem: problemOf(400, message) };
  return { problem: problemOf(502, `${where} answered unexpectedly: ${message}`) };
}
