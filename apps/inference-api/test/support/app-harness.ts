/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field by the tests */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

import { waitFor } from '@churn/service-kit/testing';

import { AppModule } from '../../src/app/app.module';
import { configureApp } from '../../src/app/bootstrap/configure-app';

export const ADMIN_TOKEN = 'test-admin-token';
export const FEEDBACK_TOKEN = 'test-feedback-token';

export interface RunningApp {
  app: NestFastifyApplication;
  /** `http://127.0.0.1:<port>` of the public listener (scoring, probes): the app listens on real ports (webhooks and concurrency need one). */
  url: string;
  /** The internal listener's URL (admin, webhooks, metrics, model, drift, A/B report, feedback). */
  internalUrl: string;
  close(): Promise<void>;
}

/** Starts inference-api in-process with its own cache folder and prediction store, and the given settings over test defaults. */
export async function startApp(settings: Record<string, string>): Promise<RunningApp> {
  const environment = {
    MLFLOW_TRACKING_URI: process.env['MLFLOW_TRACKING_URI'],
    MODEL_CACHE_DIR: mkdtempSync(join(tmpdir(), 'inference-cache-')),
    // A store of its own: the default file in the system's temp folder outlives test runs.
    INFERENCE_STORE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'inference-store-')), 'predictions.db')}`,
    INFERENCE_ADMIN_TOKEN: ADMIN_TOKEN,
    FEEDBACK_TOKEN,
    POLL_INTERVAL_MS: '200',
    ...settings,
  };
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forEnvironment(environment)] }).compile();
  const { app, internal } = configureApp(
    moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: ['error'],
      bodyParser: false,
    }),
  );
  const internalPort = await internal.listen(0, '127.0.0.1');
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    internalUrl: `http://127.0.0.1:${internalPort}`,
    close: () => app.close(),
  };
}

export { waitFor };

/** Waits until `/ready` reports the default slot serving `version`. */
export async function waitForVersion(app: RunningApp, version: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `version ${version} to be served`,
    async () => {
      const response = await fetch(`${app.url}/ready`);
      const body = (await response.json()) as { slots: { version: string | null }[] };
      return body.slots[0]?.version === version ? true : undefined;
    },
    timeoutMs,
  );
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, any>; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = {};
  }
  return { status: response.status, headers: response.headers, json, text };
}
