import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { registerTrainedVersion, testClient, uniqueName } from './support/registry-fixtures';
import { asAdmin, createTestApp } from './support/test-app';

// MLflow stopped mid-test: a SEPARATE server of this test's own (the suite's shared one keeps
// serving the other files), killed by its process group id, then restarted on the same database to
// prove that the refused request left nothing behind.
const OUTAGE_TIMEOUT_MS = 300_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function startOwnMlflow(dataDir: string, port: number): Promise<ChildProcess> {
  const python = process.env['CHURN_PYTHON'];
  if (!python) throw new Error('CHURN_PYTHON is not set: the Jest global setup should point it at the pinned venv');
  const child = spawn(
    python,
    [
      '-m',
      'mlflow',
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--backend-store-uri',
      `sqlite:///${join(dataDir, 'mlflow.db')}`,
      '--artifacts-destination',
      join(dataDir, 'artifacts'),
      '--workers',
      '1',
    ],
    { cwd: dataDir, stdio: 'ignore', detached: true },
  );
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stopGroup(child);
  throw new Error(`the test's own MLflow server on port ${port} did not become healthy`);
}

/** Kills the server's whole process group (uvicorn workers included) by its id and waits for the exit. */
async function killGroup(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  stopGroup(child);
  await exited;
}

function stopGroup(child: ChildProcess): void {
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    // already gone
  }
}

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
        expect(response.json().message).toMatch(
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
