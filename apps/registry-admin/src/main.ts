import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app/app.module';
import { validateRegistryAdminConfig } from './app/config/registry-admin.config';
import { configureApp, listenOn } from './app/configure-app';

async function bootstrap(): Promise<void> {
  // Validated here first as well, so a bad setting ends the process with one line naming the
  // variable instead of Nest's stack trace from inside module initialisation.
  validateRegistryAdminConfig(process.env);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    bufferLogs: true,
    abortOnError: false,
  });
  configureApp(app);
  await listenOn(app);
}

bootstrap().catch((error: unknown) => {
  // A bad setting is the usual cause: print the message (it names the variable), not a stack.
  process.stderr.write(`registry-admin failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
