import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

import { AppModule } from './app/app.module';
import { runTrainCommand } from './app/cli/train-command';
import { validateTrainingWorkerConfig } from './app/config/training-worker.config';
import { configureApp, listenOn } from './app/configure-app';
import { httpAdapterOptions } from './app/http/http-server-limits';

/** No subcommand: the HTTP server. `train …`: one training run in the foreground (nx run training-worker:train). */
async function main(args: readonly string[]): Promise<void> {
  if (args[0] === 'train') {
    process.exitCode = await runTrainCommand(args.slice(1));
    return;
  }
  if (args.length > 0) throw new Error(`unknown subcommand "${args[0]}"; use "train" or none (HTTP server)`);
  // Validated here, before Nest boots, so a bad setting ends the process with one line naming the
  // variable instead of Nest's stack trace from inside module initialisation.
  const config = validateTrainingWorkerConfig(process.env);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forConfig(config),
    new FastifyAdapter(httpAdapterOptions(config, config.BODY_LIMIT_BYTES)),
    {
      bufferLogs: true,
      abortOnError: false,
    },
  );
  configureApp(app);
  await listenOn(app);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // A bad setting is the usual cause: print the message (it names the variable), not a stack.
  process.stderr.write(`training-worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
