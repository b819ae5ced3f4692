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

import { GateRefusedError, MoveOutcomeUnknownError, RegistryAdminError } from './registry-errors';

/** What a failure tells the caller: HTTP status, one-line message and any details worth acting on. */
export interface ErrorResponse {
  status: number;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Maps the errors registry-admin knows to a status and a message, for the REST filter and the
 * command line alike. Unknown errors give undefined: the caller reports them as internal without
 * leaking their text.
 */
export function errorResponseFor(error: unknown, trackingUri: string): ErrorResponse | undefined {
  if (error instanceof GateRefusedError) {
    return {
      status: error.httpStatus,
      message: error.message,
      details: { gates: error.gates, audit_record_id: error.auditRecordId ?? null },
    };
  }
  if (error instanceof MoveOutcomeUnknownError) {
    return {
      status: error.httpStatus,
      message: error.message,
      details: {
        alias_moved: 'unknown',
        audit: 'pending',
        audit_record_id: error.auditRecordId,
        pushes: error.pushes,
      },
    };
  }
  if (error instanceof RegistryAdminError) return { status: error.httpStatus, message: error.message };
  if (
    error instanceof MlflowConnectionError ||
    error instanceof MlflowServerError ||
    error instanceof RateLimitedError
  ) {
    return {
      status: 503,
      message: `MLflow at ${trackingUri} is unavailable (${error.message}); nothing was changed, try again`,
    };
  }
  if (error instanceof UnauthenticatedError || error instanceof PermissionDeniedError) {
    return { status: 502, message: `MLflow at ${trackingUri} refused registry-admin's credentials: ${error.message}` };
  }
  if (error instanceof ResourceDoesNotExistError) return { status: 404, message: error.message };
  if (error instanceof BadRequestError) return { status: 400, message: error.message };
  if (error instanceof MlflowError) return { status: 502, message: `MLflow answered unexpectedly: ${error.message}` };
  return undefined;
}
