import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

import { configureApp } from '@churn/service-kit';

import { AppModule, TRAINING_WORKER } from '../src/app/app.module';
import { validateTrainingWorkerConfig } from '../src/app/config/training-worker.config';
import { trackingUri, uniqueName } from './support';

describe('training-worker app', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const config = validateTrainingWorkerConfig({
      MLFLOW_TRACKING_URI: trackingUri(),
      EXPERIMENT_NAME: uniqueName('app-exp'),
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forConfig(config)] }).compile();
    app = configureApp(moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter()), TRAINING_WORKER);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());

  it('answers GET /health', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI spec at /docs-json, with the job endpoints, and Swagger UI at /docs', async () => {
    const spec = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(spec.statusCode).toBe(200);
    expect(Object.keys(spec.json().paths)).toEqual(expect.arrayContaining(['/health', '/jobs', '/jobs/{id}']));
    expect(spec.json().components.schemas.CreateJobDto.properties).toHaveProperty('gate_f1');
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });
});
