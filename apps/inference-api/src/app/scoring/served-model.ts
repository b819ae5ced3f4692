import type { FastifyReply, FastifyRequest } from 'fastify';

import type { ModelRef } from '../model/loaded-model';

declare module 'fastify' {
  interface FastifyRequest {
    /** The version that answered, for the request metrics recorded when the response is sent. */
    servedModel?: ModelRef;
  }
}

/** Names the version that produced the answer: `x-model-version` / `x-model-alias` headers and the request metrics. */
export function markServed(request: FastifyRequest, reply: FastifyReply, model: ModelRef): void {
  request.servedModel = model;
  reply.header('x-model-version', model.version);
  reply.header('x-model-alias', model.alias);
}
