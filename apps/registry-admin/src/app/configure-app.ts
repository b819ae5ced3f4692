import { ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { RegistryAdminConfig } from './config/registry-admin.config';

/** Pipes, Swagger and shutdown hooks: shared by main.ts and the e2e tests so both see one app. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('registry-admin')
      .setDescription("Promote, roll back and audit the churn model's MLflow aliases.")
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

export async function listenOn(app: NestFastifyApplication): Promise<void> {
  const config = app.get(ConfigService<RegistryAdminConfig, true>);
  await app.listen(config.get('PORT', { infer: true }), config.get('HOST', { infer: true }));
}
