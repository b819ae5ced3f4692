/**
 * inference-api's two listeners. The public one (PORT) serves scoring and probes, the only port a
 * NodePort or load balancer exposes; the internal one (INTERNAL_PORT, same HOST) serves the reload
 * push, MLflow's webhooks, metrics and the business reads, for MLflow, registry-admin and Prometheus.
 *
 * Both feed one Fastify app, so every route keeps one implementation: the internal server hands its
 * requests to Fastify's own request listener after marking them, and a hook answers a route asked on
 * the wrong listener exactly as an unknown route (404), so neither port reveals the other's routes.
 */
import type { IncomingMessage, RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';

import { createLimitedServer, type HttpServerSettings } from '@churn/service-kit';

export type Listener = 'public' | 'internal';

const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/predict', '/invocations', '/health', '/ready']);

/** The listener a route template belongs to; the API documents are on both, each describing its own routes. */
export function listenerOf(route: string): Listener | 'both' {
  if (route === '/docs' || route.startsWith('/docs/') || route.startsWith('/docs-')) return 'both';
  return PUBLIC_ROUTES.has(route) ? 'public' : 'internal';
}

/** The part of an OpenAPI document one listener serves (paths only; shared schemas stay). */
export function documentFor(document: OpenAPIObject, listener: Listener): OpenAPIObject {
  const paths = Object.fromEntries(Object.entries(document.paths).filter(([path]) => listenerOf(path) === listener));
  const title = `${document.info.title} (${listener} listener)`;
  return { ...document, info: { ...document.info, title }, paths };
}

/** The internal listener: created with the app (before anything wraps Fastify's request listener), started by {@link listen}. */
export class InternalListener {
  private readonly marked = new WeakSet<IncomingMessage>();
  private readonly server: Server;

  constructor(app: NestFastifyApplication, settings: HttpServerSettings) {
    const publicServer = app.getHttpServer();
    // Fastify's own listener, taken before the scoring fast path wraps it: that path serves the public port only.
    const framework = publicServer.listeners('request') as RequestListener[];
    this.server = createLimitedServer(settings, (request, response) => {
      this.marked.add(request);
      for (const listener of framework) listener.call(publicServer, request, response);
    });
    const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
    fastify.addHook('onRequest', (request, reply, done) => {
      const route = request.routeOptions.url;
      const owner = route === undefined ? 'both' : listenerOf(route);
      if (owner !== 'both' && owner !== this.listenerOf(request.raw)) {
        reply.callNotFound();
        return;
      }
      done();
    });
    fastify.addHook('onClose', (_instance, done) => {
      if (!this.server.listening) return done();
      this.server.close(() => done());
      this.server.closeIdleConnections();
    });
  }

  /** Which listener a request came in on. */
  listenerOf(request: IncomingMessage): Listener {
    return this.marked.has(request) ? 'internal' : 'public';
  }

  /** @returns the port bound (useful with 0) */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }
}
