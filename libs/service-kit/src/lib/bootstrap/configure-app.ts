/**
 * One `configureApp` and one bootstrap for every app: pipes, the problem-details filter, 405s,
 * Swagger and shutdown hooks are the same in main.ts and the e2e tests.
 */
import type { IncomingMessage } from 'node:http';

import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

import { ServiceSettings } from '../config/service-settings';
import { httpAdapterOptions } from '../http/http-server-limits';
import type { MlflowProblemContext } from '../http/mlflow-problems';
import { stateValidationContract, type ContractOptions } from '../http/openapi-contract';
import { ProblemDetailsFilter, type ProblemOptions } from '../http/problem-details.filter';
import { PathParameterPipe, requestValidationPipe } from '../http/request-validation';
import { RouteMethods, type RouteVisibility } from '../http/route-methods';
import { RedactingConsoleLogger } from './redacting-logger';

/** What differs between the apps' HTTP servers. */
export interface ServiceDescription {
  /** The app's name: Swagger title, log prefix, and the sentences of MLflow failures. */
  name: string;
  /** Swagger's description. */
  description: string;
  /** What the caller should do after MLflow made a request fail with 503 (default `try again`). */
  unavailableAdvice?: string;
  /** Path parameter rules and operations that never ask MLflow, for the checks and the document. */
  contract?: ContractOptions;
  /** What the decorators cannot say (bodies read by hand, their answers), added before the contract is stated. */
  completeDocument?: (document: OpenAPIObject) => void;
  /** Last changes to the document that depend on the app's own settings (e.g. a field required only without a default). */
  patchDocument?: (document: OpenAPIObject, app: NestFastifyApplication) => void;
  /**
   * For an app with more than one listener: which routes a request can reach (others answer 404,
   * never 405), and the part of the document each request is answered with.
   */
  listeners?: {
    routeVisibility: RouteVisibility;
    documentFor: (document: OpenAPIObject) => (request: IncomingMessage) => OpenAPIObject;
  };
  /** What the app adds to the one exception filter: its own errors, another protocol's error bodies. */
  errors?: ProblemOptions;
}

/** Call before `init`/`listen`: the 405 table records routes as Nest registers them. */
export function configureApp(app: NestFastifyApplication, service: ServiceDescription): NestFastifyApplication {
  const settings = app.get(ServiceSettings);
  const fastify = app.getHttpAdapter().getInstance();
  const routes = RouteMethods.collect(fastify, service.listeners?.routeVisibility);
  routes.answerUndeclaredMethodsEarly(fastify);
  app.useGlobalPipes(new PathParameterPipe(service.contract?.pathParameters), requestValidationPipe());
  const context: MlflowProblemContext = {
    service: service.name,
    trackingUri: settings.MLFLOW_TRACKING_URI,
    unavailableAdvice: service.unavailableAdvice,
  };
  app.useGlobalFilters(new ProblemDetailsFilter(context, routes, service.errors));
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(service.name)
      .setDescription(service.description)
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  service.completeDocument?.(document);
  stateValidationContract(document, { withoutMlflow: ['GET /health'], ...service.contract });
  service.patchDocument?.(document, app);
  const documentFor = service.listeners?.documentFor(document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    // Fastify's request, for Swagger's routes on a Fastify adapter.
    ...(documentFor && {
      patchDocumentOnRequest: <Request>(request: Request) => documentFor((request as { raw: IncomingMessage }).raw),
    }),
  });
  return app;
}

/** The Fastify adapter with the HTTP server's limits and the body limit of these settings. */
export function serviceHttpAdapter(settings: ServiceSettings): FastifyAdapter {
  return new FastifyAdapter(httpAdapterOptions(settings, settings.BODY_LIMIT_BYTES));
}

/** Creates, configures and starts the HTTP server of an app whose settings are already validated. */
export async function serve(
  module: DynamicModule,
  settings: ServiceSettings,
  service: ServiceDescription,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(module, serviceHttpAdapter(settings), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(new RedactingConsoleLogger({ json: settings.LOG_FORMAT === 'json', prefix: service.name }));
  configureApp(app, service);
  await app.listen(settings.PORT, settings.HOST);
  return app;
}
