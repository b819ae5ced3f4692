import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { freePort, killGroup, startOwnMlflow } from './support/own-mlflow';
import { registerTrainedVersion, testClient, uniqueName } from './support/registry-fixtures';
import { asAdmin, createTestApp } from './support/test-app';

// MLflow stopped mid-test: a SEPARATE server of this test's own (the suite's shared one keeps
// serving the other files), killed by its process group id, then restarted on the same database to
// prove that the refused request left nothing behind.
const OUTAGE_TIMEOUT_MS = 300_000;

describe('MLflow unreachable', () => {
  let dataDir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'registry-admin-outage-'));
    port = await freePort();
    server = await startOwnMlflow(dataDir, port);
  }, OUTAGE_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    if (server) await killGroup(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'answers 503 with a message and writes no audit record; after MLflow returns, history and alias are as before',
    async () => {
      const uri = `http://127.0.0.1:${port}`;
      const mlflow = testClient(uri);
      const model = uniqueName('outage');
      await registerTrainedVersion(mlflow, model);
      await registerTrainedVersion(mlflow, model);
      // No client retries, so the refusal comes at once instead of after the backoff.
      app = await createTestApp({ MLFLOW_TRACKING_URI: uri, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
      const promoted = await app.inject({
        method: 'POST',
        url: `/models/${model}/promote`,
        headers: asAdmin,
        payload: { to: 1 },
      });
      expect(promoted.statusCode).toBe(200);

      await killGroup(server as ChildProcess);
      server = undefined;
      for (const request of [
        { method: 'POST' as const, url: `/models/${model}/promote`, payload: { to: 2 } },
        { method: 'POST' as const, url: `/models/${model}/rollback`, payload: {} },
        { method: 'GET' as const, url: `/models/${model}/history` },
        { method: 'GET' as const, url: '/models' },
      ]) {
        const response = await app.inject({ ...request, headers: asAdmin });
        expect(response.statusCode).toBe(503);
        expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        expect(response.headers['retry-after']).toBe('5');
        expect(response.json().detail).toMatch(
          new RegExp(`^MLflow at ${uri} is unavailable \\(.+\\); nothing was changed, try again$`),
        );
      }

      server = await startOwnMlflow(dataDir, port);
      const history = await app.inject({ method: 'GET', url: `/models/${model}/history`, headers: asAdmin });
      expect(
        history
          .json()
          .records.map((record: { action: string; to_version: string; outcome: string }) => [
            record.action,
            record.to_version,
            record.outcome,
          ]),
      ).toEqual([['promote', '1', 'committed']]);
      expect((await mlflow.registeredModels.get(model)).aliases).toEqual([{ alias: 'production', version: '1' }]);
    },
    OUTAGE_TIMEOUT_MS,
  );
});
