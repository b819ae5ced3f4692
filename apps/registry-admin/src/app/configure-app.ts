import { ValidationPipe } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

import { RegistryAdminConfig } from './config/registry-admin.config';
import { HttpErrorFilter } from './errors/http-error.filter';

/** Pipes, error filter, Swagger and shutdown hooks: shared by main.ts and the e2e tests so both see one app. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get(RegistryAdminConfig);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new HttpErrorFilter(config.MLFLOW_TRACKING_URI));
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('registry-admin')
      .setDescription(
        "Promote, roll back and audit the churn model's MLflow aliases. Admin endpoints take `Authorization: Bearer <token>` (API_TOKENS).",
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

export async function listenOn(app: NestFastifyApplication): Promise<void> {
  const config = app.get(RegistryAdminConfig);
  await app.listen(config.PORT, config.HOST);
}
