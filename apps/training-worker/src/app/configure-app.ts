import { ValidationPipe } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

import { TrainingWorkerConfig } from './config/training-worker.config';
import { HttpErrorFilter } from './errors/http-error.filter';

/** Pipes, error filter, Swagger and shutdown hooks: shared by main.ts and the e2e tests so both see one app. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('training-worker')
      .setDescription('Trains the churn model and registers each result as a new MLflow model version.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

export async function listenOn(app: NestFastifyApplication): Promise<void> {
  const config = app.get(TrainingWorkerConfig);
  await app.listen(config.PORT, config.HOST);
}
