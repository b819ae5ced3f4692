/**
 * The one place that talks HTTP: base URL, authentication, timeouts, retries and error mapping.
 * Resource classes describe endpoints; this class sends them.
 */
import {
  errorFromResponse,
  MlflowConfigError,
  MlflowConnectionError,
  MlflowError,
  MlflowTimeoutError,
  type MlflowRequestDescription,
} from './errors';
import { backoffDelayMs, isRetryableStatus, retryAfterMs, sleep } from './retry';

/** HTTP basic (MLFLOW_TRACKING_USERNAME/PASSWORD) or bearer (MLFLOW_TRACKING_TOKEN) credentials. */
export type MlflowAuth = { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string };

export interface MlflowClientOptions {
  /** The tracking server's base URL, e.g. `http://127.0.0.1:5000`. Credentials in the URL become basic auth. */
  trackingUri: string;
  auth?: MlflowAuth;
  /** Per attempt, until the whole answer (for JSON) or its headers (for downloads) arrived. Default 60 000. */
  timeoutMs?: number;
  /** Retries after the first attempt, for idempotent calls only (and `runs.create` with `retrySafely`). Default 3. */
  maxRetries?: number;
  /** First backoff wait; doubles per retry. Default 500. */
  retryBaseDelayMs?: number;
  /** Cap of a backoff wait. Default 8000. */
  retryMaxDelayMs?: number;
  /** Sent with every request (after auth, so they cannot replace it). */
  defaultHeaders?: Record<string, string>;
  /** The transport; `globalThis.fetch` by default. Tests inject a fake here. */
  fetch?: typeof fetch;
  /** How the client waits between retries; replaceable so tests can observe the waits. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface MlflowRequest {
  method: HttpMethod;
  /** Path below the base URL, already encoded (see `encodePathSegments`), e.g. `/api/2.0/mlflow/runs/get`. */
  path: string;
  /** Query parameters: an object whose values are QueryValue (undefined ones are left out). */
  query?: object;
  /** JSON body. */
  json?: unknown;
  /** Raw body, made afresh for every attempt so a retried upload re-reads its file. */
  body?: () => NonNullable<RequestInit['body']>;
  headers?: Record<string, string>;
  /** Safe to send twice. Defaults to true for GET only; POSTs that are idempotent say so. */
  idempotent?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const DEFAULTS = { timeoutMs: 60_000, maxRetries: 3, retryBaseDelayMs: 500, retryMaxDelayMs: 8_000 };

export class MlflowTransport {
  readonly baseUrl: string;
  readonly authType: 'basic' | 'bearer' | 'none';
  readonly timeoutMs: number;
  readonly maxRetries: number;
  // Private fields do not show in JSON.stringify, util.inspect or object spreads.
  readonly #authorization: string | undefined;
  readonly #options: MlflowClientOptions;
  readonly #fetch: typeof fetch;

  constructor(options: MlflowClientOptions) {
    const { baseUrl, urlAuth } = parseTrackingUri(options.trackingUri);
    const auth = options.auth ?? urlAuth;
    this.baseUrl = baseUrl;
    this.authType = auth?.type ?? 'none';
    this.#authorization = auth ? authorizationHeader(auth) : undefined;
    this.timeoutMs = positiveNumber(options.timeoutMs, DEFAULTS.timeoutMs, 'timeoutMs');
    this.maxRetries = nonNegativeInteger(options.maxRetries, DEFAULTS.maxRetries, 'maxRetries');
    this.#options = options;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function')
      throw new MlflowConfigError('options.fetch: no fetch implementation is available');
    this.#fetch = fetchImpl;
  }

  /** Sends a request and parses MLflow's JSON answer (an empty body becomes `{}`). */
  async json<T>(request: MlflowRequest): Promise<T> {
    return this.send(request, async (response, description) => {
      const text = await response.text();
      if (text.trim() === '') return {} as T;
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new MlflowError(
          `${description.method} ${description.path} answered HTTP ${response.status} with a body that is not JSON`,
          {
            status: response.status,
            request: description,
            cause,
          },
        );
      }
    });
  }

  /**
   * Sends a request and returns the successful response with its body unread (for streaming
   * downloads). The timeout covers the wait for the headers; reading the body is the caller's.
   */
  async stream(request: MlflowRequest): Promise<Response> {
    return this.send(request, async (response) => response);
  }

  private async send<T>(
    request: MlflowRequest,
    consume: (response: Response, description: MlflowRequestDescription) => Promise<T>,
  ): Promise<T> {
    const url = this.url(request.path, request.query);
    const description: MlflowRequestDescription = { method: request.method, path: url.slice(this.baseUrl.length) };
    const idempotent = request.idempotent ?? request.method === 'GET';
    const maxRetries = idempotent ? this.maxRetries : 0;
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const wait = this.#options.sleep ?? sleep;

    for (let attempt = 0; ; attempt++) {
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new MlflowTimeoutError(timeoutMs, { request: description })),
        timeoutMs,
      );
      const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
      let failure: MlflowError;
      let serverWaitMs: number | undefined;
      try {
        const response = await this.#fetch(url, this.init(request, signal));
        if (response.ok) return await consume(response, description);
        const text = await response.text();
        failure = errorFromResponse(response.status, text, description);
        if (!isRetryableStatus(response.status)) throw failure;
        serverWaitMs = retryAfterMs(response.headers, Date.now());
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        if (timeout.signal.aborted) failure = timeout.signal.reason as MlflowTimeoutError;
        else if (error instanceof MlflowError) {
          failure = error;
          if (!(error instanceof MlflowConnectionError) && !isRetryableStatus(error.status ?? 0)) throw error;
        } else {
          failure = new MlflowConnectionError(
            `Could not reach MLflow for ${description.method} ${description.path}: ${errorText(error)}`,
            {
              request: description,
              cause: error,
            },
          );
        }
      } finally {
        clearTimeout(timer);
      }
      if (attempt >= maxRetries) throw failure;
      await wait(serverWaitMs ?? this.backoffMs(attempt), request.signal);
    }
  }

  /**
   * Waits the backoff that follows failed attempt number `attempt` (0 for the first), for callers
   * that make a non-idempotent call safe to repeat themselves (`Runs.create` with `retrySafely` waits
   * it before each search for a run whose answer was lost, the last one included).
   */
  async waitBeforeRetry(attempt: number, signal?: AbortSignal): Promise<void> {
    await (this.#options.sleep ?? sleep)(this.backoffMs(attempt), signal);
  }

  private backoffMs(attempt: number): number {
    return backoffDelayMs(
      attempt,
      this.#options.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs,
      this.#options.retryMaxDelayMs ?? DEFAULTS.retryMaxDelayMs,
    );
  }

  private init(request: MlflowRequest, signal: AbortSignal): RequestInit & { duplex?: 'half' } {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...this.#options.defaultHeaders,
      ...request.headers,
    };
    if (this.#authorization) headers['Authorization'] = this.#authorization;
    const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers, signal };
    if (request.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(request.json);
    } else if (request.body) {
      init.body = request.body();
      // Node's fetch requires this for streamed request bodies.
      init.duplex = 'half';
    }
    return init;
  }

  private url(path: string, query: object | undefined): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {}) as Array<[string, QueryValue]>) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) params.append(key, item);
      else params.append(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }
}

/**
 * Splits a tracking URI into a credential-free base URL and, when the URI carries `user:password@`,
 * basic credentials (fetch refuses URLs with credentials, and they must never be shown).
 */
export function parseTrackingUri(trackingUri: string): { baseUrl: string; urlAuth?: MlflowAuth } {
  let url: URL;
  try {
    url = new URL(trackingUri);
  } catch {
    throw new MlflowConfigError(
      `trackingUri must be an http(s) URL such as http://127.0.0.1:5000; got '${redactUrl(trackingUri)}'`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlflowConfigError(
      `trackingUri must use http or https (this client talks to a tracking server's REST API); got '${url.protocol}'`,
    );
  }
  const urlAuth: MlflowAuth | undefined = url.username
    ? { type: 'basic', username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : undefined;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return { baseUrl: url.toString().replace(/\/+$/, ''), urlAuth };
}

function authorizationHeader(auth: MlflowAuth): string {
  if (auth.type === 'basic')
    return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  return `Bearer ${auth.token}`;
}

function redactUrl(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//***@');
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

function positiveNumber(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new MlflowConfigError(`${field} must be a positive number of milliseconds; got ${value}`);
  return value;
}

function nonNegativeInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0)
    throw new MlflowConfigError(`${field} must be a whole number ≥ 0; got ${value}`);
  return value;
}
