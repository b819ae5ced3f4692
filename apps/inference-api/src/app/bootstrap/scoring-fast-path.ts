/**
 * The scoring fast path: `POST /predict` and `POST /invocations` with a JSON body are read and
 * answered straight from Node's HTTP server, ahead of Fastify and Nest; every other request
 * (other routes, CSV bodies, other content types, other methods) goes on to the framework as before.
 *
 * Why: once scoring is batched per event-loop turn, the framework's per-request work is most of a
 * small request's cost (PERFORMANCE.md). What it answers is decided by the same functions the
 * controllers call (scoring/scoring-routes.ts) and errors take the filter's shapes
 * (api-errors.ts), so a request gets the same answer either way; the e2e suites exercise
 * this path, since their requests are JSON over real HTTP.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import { Logger } from '@nestjs/common';

import { describeProblem, errorBodyOf, type ProblemOptions } from '@churn/service-kit';

import { parseJsonBody } from '../http/body-parsers';
import type { ServingMetricsService } from '../metrics/serving-metrics.service';
import type { ModelRef } from '../model/loaded-model';
import { ModelOutputError } from '../model/model-errors';
import { answerInvocationsJson, answerPredict } from '../scoring/scoring-routes';
import type { ScoringService } from '../scoring/scoring.service';
import { bodyTooLarge, inferenceApiErrors, JSON_TYPE, type ApiErrorContext } from './api-errors';

type ScoringRoute = '/predict' | '/invocations';

export class ScoringFastPath {
  private readonly logger = new Logger('ScoringFastPath');
  private readonly errors: ProblemOptions;

  constructor(
    private readonly scoring: ScoringService,
    private readonly metrics: ServingMetricsService,
    private readonly errorContext: ApiErrorContext,
  ) {
    this.errors = inferenceApiErrors(errorContext);
  }

  /**
   * Puts this path in front of the server's request listeners (Fastify's): the requests it takes
   * never reach them.
   */
  install(server: Server): void {
    const framework = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (this.take(request, response)) return;
      for (const listener of framework) listener.call(server, request, response);
    });
  }

  /** @returns false when the request is not one this path answers (decided from the request line and headers only) */
  take(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST') return false;
    const route = request.url === '/predict' ? '/predict' : request.url === '/invocations' ? '/invocations' : undefined;
    if (route === undefined || !isUtf8Json(request.headers['content-type'])) return false;
    const started = performance.now();
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.errorContext.bodyLimitBytes) {
      this.refuseTooLarge(route, request, response, started);
      return true;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      received += chunk.length;
      if (received > this.errorContext.bodyLimitBytes) {
        refused = true;
        this.refuseTooLarge(route, request, response, started);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!refused)
        void this.answer(
          route,
          request,
          response,
          chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received),
          started,
        );
    });
    return true;
  }

  private async answer(
    route: ScoringRoute,
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    started: number,
  ): Promise<void> {
    let served: ModelRef | undefined;
    try {
      if (route === '/predict') {
        const answer = await answerPredict(this.scoring, parseJsonBody(body));
        served = answer.model;
        this.send(route, response, 200, JSON_TYPE, JSON.stringify(answer.response), served, started, {
          'x-request-id': answer.requestId,
          'x-model-variant': answer.variant,
        });
      } else {
        const answer = await answerInvocationsJson(this.scoring, request.headers['content-type'], body);
        served = answer.model;
        this.send(route, response, 200, JSON_TYPE, answer.json, served, started);
      }
    } catch (error) {
      // A version that answered with a non-probability failed the request: the metrics count it
      // against that version, so a rollout's error-rate guard sees which arm failed.
      if (error instanceof ModelOutputError) served = error.model;
      const described = describeProblem(error, this.errorContext, this.logger, this.errors.ownErrors);
      const answer = errorBodyOf(route, described, this.errors.errorBody);
      this.send(route, response, described.problem.status, answer.contentType, answer.body, served, started, {
        ...(described.retryAfterSeconds === undefined ? {} : { 'retry-after': String(described.retryAfterSeconds) }),
      });
    }
  }

  private refuseTooLarge(
    route: ScoringRoute,
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
  ): void {
    const described = bodyTooLarge(this.errorContext.bodyLimitBytes);
    const answer = errorBodyOf(route, described, this.errors.errorBody);
    this.send(route, response, described.problem.status, answer.contentType, answer.body, undefined, started);
    // The rest of the body is read and discarded (as Fastify does), so the connection stays usable.
    request.resume();
  }

  private send(
    route: ScoringRoute,
    response: ServerResponse,
    status: number,
    contentType: string,
    body: string,
    served: ModelRef | undefined,
    started: number,
    extra?: Record<string, string>,
  ): void {
    if (response.headersSent || response.destroyed) return;
    const headers: Record<string, string | number> = {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
    };
    if (served) {
      headers['x-model-version'] = served.version;
      headers['x-model-alias'] = served.alias;
    }
    if (extra) Object.assign(headers, extra);
    response.writeHead(status, headers).end(body);
    this.metrics.recordRequest(
      route,
      served?.alias ?? '',
      served?.version ?? '',
      status,
      (performance.now() - started) / 1000,
    );
  }
}

/** `application/json`, with no charset or UTF-8's: what JSON.parse of the UTF-8 text reads right. */
function isUtf8Json(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const mime = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (mime !== 'application/json') return false;
  if (semicolon < 0) return true;
  const parameters = contentType
    .slice(semicolon + 1)
    .toLowerCase()
    .replace(/\s+/g, '');
  return parameters === '' || parameters === 'charset=utf-8';
}
