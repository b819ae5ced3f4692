/**
 * Typed errors for everything the MLflow client can fail with.
 *
 * One base class, `MlflowError`, carries what a caller needs to react and what an operator needs to
 * debug: the HTTP status (when the server answered), MLflow's `error_code`, the message, and the
 * request's method and path. Never the headers: they hold credentials.
 *
 * Subclasses are chosen by MLflow's `error_code` first (it is more precise than the status: MLflow
 * answers "already exists" with 400, not 409) and by HTTP status second.
 */

/** The request an error belongs to: method and path (with query), never headers or body. */
export interface MlflowRequestDescription {
  method: string;
  path: string;
}

export interface MlflowErrorDetails {
  status?: number;
  errorCode?: string;
  request?: MlflowRequestDescription;
  cause?: unknown;
}

export class MlflowError extends Error {
  override name = 'MlflowError';
  /** HTTP status of the server's answer; undefined when no answer arrived or the error is ours. */
  readonly status: number | undefined;
  /** MLflow's `error_code`, e.g. `RESOURCE_DOES_NOT_EXIST`; undefined when the server sent none. */
  readonly errorCode: string | undefined;
  readonly request: MlflowRequestDescription | undefined;

  constructor(message: string, details: MlflowErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.request = details.request;
  }
}

/** HTTP 400 whose `error_code` has no more specific class. */
export class BadRequestError extends MlflowError {
  override name = 'BadRequestError';
}

/** `INVALID_PARAMETER_VALUE`: the server rejected an argument. */
export class InvalidParameterValueError extends BadRequestError {
  override name = 'InvalidParameterValueError';
}

/** `RESOURCE_ALREADY_EXISTS` (MLflow sends it with HTTP 400) or HTTP 409. */
export class ResourceAlreadyExistsError extends MlflowError {
  override name = 'ResourceAlreadyExistsError';
}

/** `RESOURCE_DOES_NOT_EXIST` or HTTP 404. */
export class ResourceDoesNotExistError extends MlflowError {
  override name = 'ResourceDoesNotExistError';
}

/**
 * A registered model has no such alias. MLflow reports this as HTTP 400 `INVALID_PARAMETER_VALUE`;
 * the client turns it into a "does not exist" so callers can treat it like any other missing thing.
 */
export class AliasNotFoundError extends ResourceDoesNotExistError {
  override name = 'AliasNotFoundError';
  constructor(
    readonly modelName: string,
    readonly alias: string,
    details: MlflowErrorDetails,
  ) {
    super(`Registered model '${modelName}' has no alias '${alias}'`, details);
  }
}

/** HTTP 401 or `UNAUTHENTICATED`: missing or wrong credentials. */
export class UnauthenticatedError extends MlflowError {
  override name = 'UnauthenticatedError';
}

/** HTTP 403 or `PERMISSION_DENIED`. */
export class PermissionDeniedError extends MlflowError {
  override name = 'PermissionDeniedError';
}

/** HTTP 429 or `REQUEST_LIMIT_EXCEEDED`, after the client's own retries (if any) ran out. */
export class RateLimitedError extends MlflowError {
  override name = 'RateLimitedError';
}

/** HTTP 5xx (or `INTERNAL_ERROR`/`TEMPORARILY_UNAVAILABLE`), after retries (if any) ran out. */
export class MlflowServerError extends MlflowError {
  override name = 'MlflowServerError';
}

/** No HTTP answer arrived: refused connection, reset, DNS failure. */
export class MlflowConnectionError extends MlflowError {
  override name = 'MlflowConnectionError';
}

/** No complete answer arrived within the client's timeout. */
export class MlflowTimeoutError extends MlflowConnectionError {
  override name = 'MlflowTimeoutError';
  constructor(
    readonly timeoutMs: number,
    details: MlflowErrorDetails,
  ) {
    super(`MLflow did not answer ${describe(details.request)} within ${timeoutMs} ms`, details);
  }
}

/** The client was given a bad argument; the message names the field. Nothing was sent. */
export class MlflowArgumentError extends MlflowError {
  override name = 'MlflowArgumentError';
}

/** A setting (option or environment variable) is invalid; the message names it. */
export class MlflowConfigError extends MlflowError {
  override name = 'MlflowConfigError';
}

/** A downloaded artifact's size differs from the size the server listed for it. */
export class ArtifactSizeMismatchError extends MlflowError {
  override name = 'ArtifactSizeMismatchError';
}

/** A model version ended in FAILED_REGISTRATION or did not become READY in time. */
export class ModelVersionNotReadyError extends MlflowError {
  override name = 'ModelVersionNotReadyError';
}

export function describe(request: MlflowRequestDescription | undefined): string {
  return request ? `${request.method} ${request.path}` : 'the request';
}

/** MLflow's JSON error body (`{"error_code": "...", "message": "..."}`). */
interface MlflowErrorBody {
  error_code?: unknown;
  message?: unknown;
}

/**
 * The error for a non-2xx answer. `bodyText` may be JSON (MLflow's handlers) or plain text/HTML
 * (middleware such as the CORS guard, or an unhandled exception).
 */
export function errorFromResponse(status: number, bodyText: string, request: MlflowRequestDescription): MlflowError {
  let parsed: MlflowErrorBody = {};
  try {
    const value: unknown = JSON.parse(bodyText);
    if (value && typeof value === 'object') parsed = value as MlflowErrorBody;
  } catch {
    // Not JSON: the text itself is the best message there is.
  }
  const errorCode = typeof parsed.error_code === 'string' ? parsed.error_code : undefined;
  const serverMessage = typeof parsed.message === 'string' ? parsed.message : summarize(bodyText);
  const message = `${describe(request)} failed with HTTP ${status}${errorCode ? ` ${errorCode}` : ''}: ${serverMessage}`;
  const details: MlflowErrorDetails = { status, errorCode, request };

  switch (errorCode) {
    case 'RESOURCE_DOES_NOT_EXIST':
    case 'NOT_FOUND':
      return new ResourceDoesNotExistError(message, details);
    case 'RESOURCE_ALREADY_EXISTS':
    case 'ALREADY_EXISTS':
      return new ResourceAlreadyExistsError(message, details);
    case 'INVALID_PARAMETER_VALUE':
      return new InvalidParameterValueError(message, details);
    case 'UNAUTHENTICATED':
      return new UnauthenticatedError(message, details);
    case 'PERMISSION_DENIED':
      return new PermissionDeniedError(message, details);
    case 'REQUEST_LIMIT_EXCEEDED':
      return new RateLimitedError(message, details);
    case 'INTERNAL_ERROR':
    case 'TEMPORARILY_UNAVAILABLE':
      return new MlflowServerError(message, details);
  }
  if (status === 400) return new BadRequestError(message, details);
  if (status === 401) return new UnauthenticatedError(message, details);
  if (status === 403) return new PermissionDeniedError(message, details);
  if (status === 404) return new ResourceDoesNotExistError(message, details);
  if (status === 409) return new ResourceAlreadyExistsError(message, details);
  if (status === 429) return new RateLimitedError(message, details);
  if (status >= 500) return new MlflowServerError(message, details);
  return new MlflowError(message, details);
}

/** First line of a non-JSON body, short enough for a log line (HTML error pages are long). */
function summarize(text: string): string {
  const plain = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 300 ? `${plain.slice(0, 300)}…` : plain || '(empty body)';
}
