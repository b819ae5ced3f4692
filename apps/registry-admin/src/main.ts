import 'reflect-metadata';

import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

import { AppModule } from './app/app.module';
import { CLI_COMMANDS, runCli, type CliCommand } from './app/cli/registry-cli';
import { validateRegistryAdminConfig } from './app/config/registry-admin.config';
import { configureApp, listenOn } from './app/configure-app';
import { httpAdapterOptions } from './app/http/http-server-limits';
import { runRolloutCli } from './app/rollouts/rollout-cli';

async function serve(): Promise<void> {
  // Validated here first as well, so a bad setting ends the process with one line naming the
  // variable instead of Nest's stack trace from inside module initialisation.
  const config = validateRegistryAdminConfig(process.env);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(process.env),
    new FastifyAdapter(httpAdapterOptions(config, config.BODY_LIMIT_BYTES)),
    {
      bufferLogs: true,
      abortOnError: false,
    },
  );
  app.useLogger(new ConsoleLogger({ json: config.LOG_FORMAT === 'json', prefix: 'registry-admin' }));
  configureApp(app);
  await listenOn(app);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'rollout') {
  runRolloutCli(args).then((code) => process.exit(code));
} else if ((CLI_COMMANDS as readonly string[]).includes(command)) {
  runCli(command as CliCommand, args).then((code) => process.exit(code));
} else if (command !== undefined) {
  process.stderr.write(
    `registry-admin: unknown command '${command}' (commands: ${CLI_COMMANDS.join(', ')}, rollout; none starts the server)\n`,
  );
  process.exit(1);
} else {
  serve().catch((error: unknown) => {
    // A bad setting is the usual cause: print the message (it names the variable), not a stack.
    process.stderr.write(`registry-admin failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
