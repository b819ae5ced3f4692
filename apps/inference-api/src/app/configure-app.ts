import { ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';

import { InferenceApiConfig } from './config/inference-api.config';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { registerBodyParsers } from './http/body-parsers';
import { ScoringFastPath } from './http/scoring-fast-path';
import { ScoringService } from './scoring/scoring.service';
import { ServingMetricsService } from './serving/serving-metrics.service';

/**
 * Pipes, filters, body parsers, request metrics, Swagger and shutdown hooks: shared by main.ts and
 * the e2e tests so both see one app. Create the app with `bodyParser: false`: the parsers installed
 * here replace Nest's. JSON scoring requests are answered ahead of the framework (scoring-fast-path.ts). The scoring routes read their bodies by hand (precompiled column plans), so
 * the ValidationPipe only runs for the DTO-typed admin routes.
 */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get(ConfigService<InferenceApiConfig, true>);
  const bodyLimit = config.get('BODY_LIMIT_BYTES', { infer: true });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
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
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
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

export async function listenOn(app: NestFastifyApplication): Promise<void> {
  const config = app.get(ConfigService<InferenceApiConfig, true>);
  await app.listen(config.get('PORT', { infer: true }), config.get('HOST', { infer: true }));
}
