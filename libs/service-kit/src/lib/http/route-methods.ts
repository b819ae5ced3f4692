/**
 * The methods declared on each path, so a request with another method on a declared path is
 * answered 405 with `Allow` (RFC 9110 §15.5.6) instead of a 404 that says the path does not exist.
 */
import { NotFoundException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { PROBLEM_CONTENT_TYPE, problemOf, type ProblemDetails } from './problem';

/** Whether a request can reach a route (registered as `route`): an app with two listeners serves some routes on one only. */
export type RouteVisibility = (route: string, request: FastifyRequest) => boolean;

/** A 405's problem and the value of its `Allow` header. */
export interface MethodNotAllowed {
  problem: ProblemDetails;
  allow: string;
}

export class RouteMethods {
  private readonly routes: Array<{ route: string; pattern: RegExp; methods: Set<string> }> = [];

  constructor(private readonly visible: RouteVisibility = () => true) {}

  /**
   * Records every route Fastify registers from now on; call before the app's routes exist (before
   * `init`). A route `visible` hides from a request is, for that request, no route at all.
   */
  static collect(fastify: FastifyInstance, visible?: RouteVisibility): RouteMethods {
    const table = new RouteMethods(visible);
    fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) table.add(route.url, method);
    });
    return table;
  }

  /**
   * Answers 405 with `Allow` as soon as a request arrives on a declared path with another method,
   * before Fastify reads its body: a method that may carry one (QUERY, say) would otherwise be
   * refused for its missing content type first, a 400 that says nothing of the method.
   */
  answerUndeclaredMethodsEarly(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      const answer = request.is404 ? this.notAllowed(request) : undefined;
      if (answer === undefined) return done();
      void reply
        .status(405)
        .header('allow', answer.allow)
        .type(PROBLEM_CONTENT_TYPE)
        .send(JSON.stringify(answer.problem));
    });
  }

  /**
   * The 405 for a request whose path this app declares, to this request, with other methods only:
   * the problem and the `Allow` header's value; undefined when the path is unknown or takes the method.
   */
  notAllowed(request: FastifyRequest): MethodNotAllowed | undefined {
    const path = request.url.split('?')[0];
    const allowed = this.allowed(path, request);
    if (allowed.length === 0 || allowed.includes(request.method)) return undefined;
    const allow = allowed.join(', ');
    return { allow, problem: problemOf(405, `${request.method} is not allowed on ${path} (allowed: ${allow})`) };
  }

  /** {@link notAllowed} for an error an exception filter caught: Nest's 404 for a request no route took. */
  notAllowedAfter(exception: unknown, request: FastifyRequest): MethodNotAllowed | undefined {
    return exception instanceof NotFoundException && request.routeOptions?.url === undefined
      ? this.notAllowed(request)
      : undefined;
  }

  add(path: string, method: string): void {
    const pattern = patternOf(path);
    const found = this.routes.find((route) => route.pattern.source === pattern.source);
    if (found) found.methods.add(method.toUpperCase());
    else this.routes.push({ route: path, pattern, methods: new Set([method.toUpperCase()]) });
  }

  /** The methods a concrete path answers (to `request`, when given), sorted; empty when no route has the path. */
  allowed(path: string, request?: FastifyRequest): string[] {
    const methods = new Set<string>();
    for (const route of this.routes)
      if (route.pattern.test(path) && (request === undefined || this.visible(route.route, request)))
        route.methods.forEach((m) => methods.add(m));
    return [...methods].sort();
  }
}

/** `/models/:name/aliases/:alias` → a pattern matching one segment per parameter; `*` matches the rest. */
function patternOf(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}
