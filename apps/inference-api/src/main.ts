import 'reflect-metadata';

import { isMainThread } from 'node:worker_threads';

import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

import { httpAdapterOptions } from '@churn/service-kit';

import { AppModule } from './app/app.module';
import { configureApp, listenOn } from './app/bootstrap/configure-app';
import { validateInferenceApiConfig } from './app/config/inference-api.config';
import { runDriftReportCommand } from './app/drift-cli/drift-report-command';
import { runMigrateStoreCommand } from './app/prediction-log/migrate-store-command';
import { PREDICTION_LOG_THREAD_COMMAND } from './app/prediction-log/prediction-log-sink';
import { runPredictionLogThread, usePredictionLogThread } from './app/prediction-log/prediction-log-thread';
import {
  PREDICTION_REPORT_THREAD_COMMAND,
  runPredictionReportThread,
} from './app/prediction-log/prediction-report-reader';

/**
 * No subcommand: the HTTP server. `drift-report …`: a drift report of a CSV (nx run
 * inference-api:drift-report). `migrate-store`: the prediction log's tables, as their owner role.
 */
async function bootstrap(args: readonly string[]): Promise<void> {
  if (args[0] === 'drift-report') {
    process.exitCode = await runDriftReportCommand(args.slice(1));
    return;
  }
  if (args[0] === 'migrate-store') {
    process.exitCode = await runMigrateStoreCommand(args.slice(1));
    return;
  }
  // The prediction log's writer thread starts from this same bundle (see WorkerThreadSink).
  if (args[0] === PREDICTION_LOG_THREAD_COMMAND && !isMainThread) {
    await runPredictionLogThread();
    return;
  }
  // The A/B report's queries run in a thread of their own, from the same bundle (see PredictionReportReader).
  if (args[0] === PREDICTION_REPORT_THREAD_COMMAND && !isMainThread) {
    await runPredictionReportThread();
    return;
  }
  if (args.length > 0)
    throw new Error(`unknown subcommand "${args[0]}"; use "drift-report", "migrate-store" or none (HTTP server)`);
  // Validated here first as well, so a bad setting ends the process with one line naming the
  // variable instead of Nest's stack trace from inside module initialisation.
  const config = validateInferenceApiConfig(process.env);
  usePredictionLogThread(process.argv[1]);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forEnvironment(process.env),
    new FastifyAdapter(httpAdapterOptions(config, config.BODY_LIMIT_BYTES)),
    {
      bufferLogs: true,
      // configureApp installs the body parsers (size limit, JSON errors naming the position, CSV, raw webhook bytes).
      bodyParser: false,
      abortOnError: false,
    },
  );
  // Info-level lines are per swap and per failure only; nothing is logged per request.
  app.useLogger(
    new ConsoleLogger('inference-api', { json: config.LOG_FORMAT === 'json', colors: config.LOG_FORMAT !== 'json' }),
  );
  await listenOn(configureApp(app));
}

bootstrap(process.argv.slice(2)).catch((error: unknown) => {
  // A bad setting is the usual cause: print the message (it names the variable), not a stack.
  process.stderr.write(`inference-api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
