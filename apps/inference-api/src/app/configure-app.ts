import type { IncomingMessage } from 'node:http';

import { ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';

import type { HttpServerSettings } from '@churn/service-kit';

import { InferenceApiConfig } from './config/inference-api.config';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { registerBodyParsers } from './http/body-parsers';
import { documentFor, InternalListener } from './http/listeners';
import { ScoringFastPath } from './http/scoring-fast-path';
import { ScoringService } from './scoring/scoring.service';
import { ServingMetricsService } from './serving/serving-metrics.service';

/**
 * Listeners, pipes, filters, body parsers, request metrics, Swagger and shutdown hooks: shared by
 * main.ts and the e2e tests so both see one app. Create the app with `bodyParser: false`: the parsers installed
 * here replace Nest's. JSON scoring requests are answered ahead of the framework (scoring-fast-path.ts). The scoring routes read their bodies by hand (precompiled column plans), so
 * the ValidationPipe only runs for the DTO-typed admin routes.
 */
export function configureApp(app: NestFastifyApplication): ConfiguredApp {
  const config = app.get(ConfigService<InferenceApiConfig, true>);
  const bodyLimit = config.get('BODY_LIMIT_BYTES', { infer: true });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const internal = new InternalListener(app, serverSettings(config));
  registerBodyParsers(fastify, bodyLimit);
  recordRequestMetrics(fastify, app.get(ServingMetricsService));
  new ScoringFastPath(app.get(ScoringService), app.get(ServingMetricsService), bodyLimit).install(app.getHttpServer());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
    }),
  );
  app.useGlobalFilters(new ApiExceptionFilter(bodyLimit));
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('inference-api')
      .setDescription('Serves the churn model version an MLflow alias points to, hot-swapped when the alias moves.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  const documents = { public: documentFor(document, 'public'), internal: documentFor(document, 'internal') };
  SwaggerModule.setup('docs', app, documents.internal, {
    jsonDocumentUrl: 'docs-json',
    // Each listener describes its own routes (Swagger's Fastify routes get Fastify's request).
    patchDocumentOnRequest: <Request>(request: Request) =>
      documents[internal.listenerOf((request as { raw: IncomingMessage }).raw)],
  });
  return { app, internal };
}

/** The app with its second listener, which {@link listenOn} starts. */
export interface ConfiguredApp {
  app: NestFastifyApplication;
  internal: InternalListener;
}

/** The internal listener gets the same timeouts and connection cap as the public one. */
function serverSettings(config: ConfigService<InferenceApiConfig, true>): HttpServerSettings {
  return {
    HTTP_HEADERS_TIMEOUT_MS: config.get('HTTP_HEADERS_TIMEOUT_MS', { infer: true }),
    HTTP_REQUEST_TIMEOUT_MS: config.get('HTTP_REQUEST_TIMEOUT_MS', { infer: true }),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: config.get('HTTP_KEEP_ALIVE_TIMEOUT_MS', { infer: true }),
    HTTP_MAX_CONNECTIONS: config.get('HTTP_MAX_CONNECTIONS', { infer: true }),
  };
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
  const config = app.get(ConfigService<InferenceApiConfig, true>);
  const host: string = config.get('HOST', { infer: true });
  const port: number = config.get('PORT', { infer: true });
  await internal.listen(config.get('INTERNAL_PORT', { infer: true }), host);
  await app.listen(port, host);
}
