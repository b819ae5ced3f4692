/**
 * How long and how many: the HTTP server's timeouts and connection cap, as validated settings and as
 * the Fastify adapter's options that create the server with them, for every app.
 */
import { createServer, type RequestListener, type Server } from 'node:http';

import { IsInt, Max, Min, ValidateBy, type ValidationArguments } from 'class-validator';
import type { FastifyHttpOptions } from 'fastify';

/**
 * The settings; each app's configuration class extends this. Node's own defaults leave a request
 * body without a time limit under Fastify (`requestTimeout` 0), so one slow client per connection
 * can hold sockets and memory for as long as it likes.
 */
export abstract class HttpServerSettings {
  /** Longest a client may take to send a request's headers (also bounds a connection that sends nothing); then 408 and closed. */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  @NotAbove('HTTP_REQUEST_TIMEOUT_MS')
  HTTP_HEADERS_TIMEOUT_MS: number = 10_000;

  /** Longest a client may take to send a whole request, body included; then 408 and closed. Not a limit on the answer's time. */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS: number = 30_000;

  /**
   * How long an idle kept-alive connection stays open. Above the 60 s idle timeout of common load
   * balancers and ingress proxies, so they close idle connections first: a request they send on a
   * connection the app is closing at that moment would fail with a 502.
   */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number = 65_000;

  /** Open connections at most; further ones are closed at once, so sockets and memory stay bounded. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  HTTP_MAX_CONNECTIONS: number = 10_000;
}

/**
 * Options of the Fastify adapter: the server is created with the limits (Node only reads the
 * expiry-check interval at creation), so they hold for every listener on it, the scoring fast path
 * in front of Fastify included. Expired headers or requests are answered 408 and the connection is
 * closed (Fastify's client-error handler).
 */
export function httpAdapterOptions(settings: HttpServerSettings, bodyLimitBytes: number): FastifyHttpOptions<Server> {
  return {
    bodyLimit: bodyLimitBytes,
    // Fastify answers a path parameter over 100 characters with a bare 414; names and aliases may
    // run to 255 (MLflow's limit), so the apps' own checks answer them instead.
    maxParamLength: MAX_PATH_PARAMETER_LENGTH,
    serverFactory: (handler) => createLimitedServer(settings, handler),
  };
}

/** Longest path parameter the router takes; longer ones get Fastify's 414. */
export const MAX_PATH_PARAMETER_LENGTH = 1024;

/**
 * A Node HTTP server with the limits: the one behind Fastify, and any further listener an app
 * feeds into the same handler (inference-api's internal port).
 */
export function createLimitedServer(settings: HttpServerSettings, handler: RequestListener): Server {
  const server = createServer(
    {
      headersTimeout: settings.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: settings.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: expiryCheckIntervalMs(settings.HTTP_HEADERS_TIMEOUT_MS),
    },
    handler,
  );
  server.keepAliveTimeout = settings.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = settings.HTTP_MAX_CONNECTIONS;
  return server;
}

/**
 * How often Node looks for connections past their headers or request timeout (its default is 30 s,
 * which would let a 10 s limit run to 40 s): four times per headers timeout, at most once a second.
 */
export function expiryCheckIntervalMs(headersTimeoutMs: number): number {
  return Math.max(25, Math.min(1000, Math.floor(headersTimeoutMs / 4)));
}

/** The setting must not exceed another numeric setting (Node refuses a headers timeout above the request timeout). */
function NotAbove(other: keyof HttpServerSettings): PropertyDecorator {
  return ValidateBy({
    name: 'notAbove',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        typeof value === 'number' && value <= Number((args?.object as Record<string, unknown>)[other]),
      defaultMessage: (args?: ValidationArguments) =>
        `$property must not exceed ${other} (${String((args?.object as Record<string, unknown>)[other])})`,
    },
  });
}
