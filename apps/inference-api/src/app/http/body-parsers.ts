import type { FastifyInstance, FastifyRequest } from 'fastify';

import { InputError } from '../model/model-errors';

/** The exact bytes of a request body, kept only where a signature covers them (`POST /webhooks/mlflow`). */
export const RAW_BODY_ROUTES: ReadonlySet<string> = new Set(['/webhooks/mlflow']);

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

/**
 * Replaces Fastify's body parsers with ours, all capped at `bodyLimit` bytes (larger bodies get 413
 * before they are read whole):
 * - JSON: malformed JSON is a 400 naming the problem and its position; the raw bytes are kept for
 *   the routes in RAW_BODY_ROUTES, whose HMAC signature covers them;
 * - `text/csv` (MLflow's scoring protocol): the text, parsed by the `/invocations` handler.
 * Other content types get Fastify's 415.
 */
export function registerBodyParsers(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit },
    (request: FastifyRequest, body: Buffer, done) => {
      if (RAW_BODY_ROUTES.has(request.routeOptions.url ?? '')) request.rawBody = body;
      try {
        done(null, parseJsonBody(body));
      } catch (error) {
        done(error as InputError, undefined);
      }
    },
  );
  fastify.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit }, (_request, body, done) =>
    done(null, body),
  );
}

/** A JSON body as every route reads it: empty is `undefined`, malformed JSON a 400 naming the problem and its position. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InputError('body', `malformed JSON: ${(error as Error).message}`);
  }
}
