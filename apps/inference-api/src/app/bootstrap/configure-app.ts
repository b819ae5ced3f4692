import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';

import { configureApp as configureService, ServiceSettings, type ServiceDescription } from '@churn/service-kit';

import type { InferenceApiConfig } from '../config/inference-api.config';
import { registerBodyParsers } from '../http/body-parsers';
import { ServingMetricsService } from '../metrics/serving-metrics.service';
import { ScoringService } from '../scoring/scoring.service';
import { inferenceApiErrors } from './api-errors';
import { documentFor, InternalListener, listenerOf } from './listeners';
import { ScoringFastPath } from './scoring-fast-path';

/**
 * Listeners, body parsers, request metrics and the scoring fast path, then the kit's bootstrap
 * (pipes, filter, 405s, Swagger, shutdown hooks): shared by main.ts and the e2e tests so both see
 * one app; call it before `init`. Create the app with `bodyParser: false`: the parsers installed
 * here replace Nest's. JSON scoring requests are answered ahead of the framework
 * (scoring-fast-path.ts). The scoring routes read their bodies by hand (precompiled column plans),
 * so the kit's validation pipe only runs for the DTO-typed admin routes. Errors are the kit's
 * problem details, except on `/invocations` (MLflow's shape).
 */
export function configureApp(app: NestFastifyApplication): ConfiguredApp {
  const settings = settingsOf(app);
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // The internal listener gets the same timeouts and connection cap as the public one.
  const internal = new InternalListener(app, settings);
  registerBodyParsers(fastify, settings.BODY_LIMIT_BYTES);
  recordRequestMetrics(fastify, app.get(ServingMetricsService));
  const errorContext = {
    service: INFERENCE_API.name,
    trackingUri: settings.MLFLOW_TRACKING_URI,
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
  };
  new ScoringFastPath(app.get(ScoringService), app.get(ServingMetricsService), errorContext).install(
    app.getHttpServer(),
  );
  configureService(app, {
    ...INFERENCE_API,
    listeners: {
      // A route served on the other listener is no route at all to this request: 404, never 405.
      routeVisibility: (route, request) => {
        const owner = listenerOf(route);
        return owner === 'both' || owner === internal.listenerOf(request.raw);
      },
      // Each listener describes its own routes.
      documentFor: (document) => {
        const documents = { public: documentFor(document, 'public'), internal: documentFor(document, 'internal') };
        return (request) => documents[internal.listenerOf(request)];
      },
    },
    errors: inferenceApiErrors(errorContext),
  });
  return { app, internal };
}

/** What inference-api's document says of itself, beyond the decorators. */
const INFERENCE_API = {
  name: 'inference-api',
  description: 'Serves the churn model version an MLflow alias points to, hot-swapped when the alias moves.',
  contract: {
    // Only a reload (a push, or MLflow's webhook) asks MLflow while the caller waits.
    withoutMlflow: [
      'POST /predict',
      'POST /invocations',
      'GET /health',
      'GET /ready',
      'GET /model',
      'GET /metrics',
      'GET /drift',
      'GET /ab/report',
      'POST /feedback',
    ],
    // `/invocations` answers errors as `mlflow models serve` does.
    ownErrorBodies: ['POST /invocations'],
  },
  completeDocument: requireScoringBodies,
} satisfies ServiceDescription;

/**
 * The bodies the controllers read by hand (no DTO, so the kit cannot tell): required, in JSON (or
 * CSV on /invocations), at most BODY_LIMIT_BYTES; the scoring routes' 422 (a row the model answers
 * without a probability) and 503 (no version loaded); /invocations' errors in MLflow's shape.
 * Runs before the kit states its contract, which gives the other routes' answers their problem content.
 */
function requireScoringBodies(document: OpenAPIObject): void {
  for (const path of ['/predict', '/invocations', '/feedback']) {
    const operation = document.paths[path]?.post;
    if (!operation) continue;
    if (operation.requestBody && !('$ref' in operation.requestBody)) operation.requestBody.required = true;
    const responses = operation.responses;
    responses['413'] ??= { description: 'The body is larger than BODY_LIMIT_BYTES.' };
    responses['415'] ??= { description: `The body is not ${path === '/invocations' ? 'JSON or CSV' : 'JSON'}.` };
    if (path === '/feedback') continue;
    responses['422'] ??= { description: 'The model answered a row with no probability; `field` names the row.' };
    responses['503'] ??= { description: 'No model version is loaded yet.' };
  }
  const invocations = document.paths['/invocations']?.post;
  for (const [status, response] of Object.entries(invocations?.responses ?? {}))
    if (Number(status) >= 400 && response && !('$ref' in response))
      response.content =
        status === '415'
          ? { 'text/plain': { schema: { type: 'string' } } }
          : { 'application/json': { schema: MLFLOW_ERROR_SCHEMA } };
}

/** `mlflow models serve`'s error body. */
const MLFLOW_ERROR_SCHEMA = {
  type: 'object',
  properties: { error_code: { type: 'string' }, message: { type: 'string' } },
  required: ['error_code', 'message'],
};

/** The app with its second listener, which {@link listenOn} starts. */
export interface ConfiguredApp {
  app: NestFastifyApplication;
  internal: InternalListener;
}

/** The validated settings, which AppModule provides as the kit's ServiceSettings. */
function settingsOf(app: NestFastifyApplication): InferenceApiConfig {
  return app.get(ServiceSettings) as InferenceApiConfig;
}

/** Counts every response and its latency by route template, alias, version and status, once it is sent. */
function recordRequestMetrics(fastify: FastifyInstance, metrics: ServingMetricsService): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const served = request.servedModel;
    metrics.recordRequest(
      request.routeOptions.url ?? 'unmatched',
      served?.alias ?? '',
      served?.version ?? '',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}

/** Starts both listeners on their configured ports. */
export async function listenOn({ app, internal }: ConfiguredApp): Promise<void> {
  const { HOST, PORT, INTERNAL_PORT } = settingsOf(app);
  await internal.listen(INTERNAL_PORT, HOST);
  await app.listen(PORT, HOST);
}
