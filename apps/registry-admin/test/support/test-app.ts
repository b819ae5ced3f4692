import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

import { configureApp } from '@churn/service-kit';

import { AppModule, REGISTRY_ADMIN } from '../../src/app/app.module';
import { trackingUri } from './registry-fixtures';

/** Tokens of the test apps: a deployer that also reads, a reader only, and a deployer that cannot read. */
export const TOKENS = {
  admin: 'admin-token-0001',
  viewer: 'viewer-token-0002',
  deployOnly: 'deploy-token-0003',
} as const;
export const API_TOKENS = `alice:deployer+viewer:${TOKENS.admin},victor:viewer:${TOKENS.viewer},dora:deployer:${TOKENS.deployOnly}`;

export const asAdmin = { authorization: `Bearer ${TOKENS.admin}` };
export const asViewer = { authorization: `Bearer ${TOKENS.viewer}` };

/**
 * A registry-admin app created in-process, as main.ts creates it, against the given environment
 * (the test run's MLflow server and the tokens above unless overridden).
 */
export async function createTestApp(
  environment: Record<string, string | undefined> = {},
): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register({ MLFLOW_TRACKING_URI: trackingUri(), API_TOKENS, ...environment })],
  }).compile();
  const app = configureApp(
    moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: ['error'] }),
    REGISTRY_ADMIN,
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
