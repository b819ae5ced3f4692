import 'reflect-metadata';

import { isMainThread } from 'node:worker_threads';

import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

import { redactCredentials, RedactingConsoleLogger, runMain, serviceHttpAdapter } from '@churn/service-kit';

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

/** The threads this same bundle is started as: the prediction log's writer and the A/B report's queries. */
const THREADS: Record<string, () => Promise<void>> = {
  [PREDICTION_LOG_THREAD_COMMAND]: runPredictionLogThread,
  [PREDICTION_REPORT_THREAD_COMMAND]: runPredictionReportThread,
};

/**
 * The HTTP server, with both listeners. Its settings are validated here first as well, so a bad
 * setting ends the process with one line naming the variable instead of Nest's stack trace from
 * inside module initialisation.
 */
async function serve(): Promise<void> {
  const config = validateInferenceApiConfig(process.env);
  usePredictionLogThread(process.argv[1]);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forEnvironment(process.env),
    serviceHttpAdapter(config),
    {
      bufferLogs: true,
      // configureApp installs the body parsers (size limit, JSON errors naming the position, CSV, raw webhook bytes).
      bodyParser: false,
      abortOnError: false,
    },
  );
  // Info-level lines are per swap and per failure only; nothing is logged per request.
  app.useLogger(new RedactingConsoleLogger({ json: config.LOG_FORMAT === 'json', prefix: 'inference-api' }));
  await listenOn(configureApp(app));
}

if (isMainThread) {
  // No command: the HTTP server. `drift-report …`: a drift report of a CSV (nx run
  // inference-api:drift-report). `migrate-store`: the prediction log's tables, as their owner role.
  runMain({
    name: 'inference-api',
    commands: {
      'drift-report': (args) => runDriftReportCommand(args),
      'migrate-store': (args) => runMigrateStoreCommand(args),
    },
    serve,
  });
} else {
  const command = process.argv[2];
  const thread = Object.hasOwn(THREADS, command) ? THREADS[command] : undefined;
  Promise.resolve()
    .then(() => thread ?? Promise.reject(new Error(`unknown thread "${command}"`)))
    .then((run) => run())
    .catch((error: unknown) => {
      process.stderr.write(
        `inference-api thread: ${redactCredentials(error instanceof Error ? error.message : String(error))}\n`,
      );
      // In a worker thread this ends the thread, not the process; the sink reports it.
      process.exit(1);
    });
}
