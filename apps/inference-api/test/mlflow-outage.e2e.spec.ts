import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ModelVersion } from '@churn/mlflow-client';
import { freePort, ownMlflowServerArgs } from '@churn/service-kit/testing';

import { postJson, startApp, waitFor, waitForVersion, type RunningApp } from './support/app-harness';
import { fixtureSource, mlflowClient, registerTrainedVersion, telcoCustomers } from './support/model-fixtures';
import { startPythonServer, type PythonServer } from './support/python-processes';

const MODEL = 'iapi_outage';

/** An MLflow server of this test's own, so killing it disturbs no other suite. */
function startOwnMlflow(port: number, dataDir: string): Promise<PythonServer> {
  return startPythonServer(ownMlflowServerArgs(port, dataDir), port, dataDir, {}, '/health');
}

describe(`MLflow stopped while serving (versions from the ${fixtureSource()})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'iapi-own-mlflow-'));
  let port: number;
  let server: PythonServer | undefined;
  let app: RunningApp;
  let v1: ModelVersion;
  let v2: ModelVersion;
  let customers: Record<string, string | number | null>[];

  beforeAll(async () => {
    port = await freePort();
    server = await startOwnMlflow(port, dataDir);
    const client = mlflowClient(server.url);
    v1 = await registerTrainedVersion(client, MODEL, 21);
    v2 = await registerTrainedVersion(client, MODEL, 22);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: v1.version });
    customers = await telcoCustomers(5);
    app = await startApp({ MODEL_NAME: MODEL, MLFLOW_TRACKING_URI: server.url, POLL_INTERVAL_MS: '200' });
    await waitForVersion(app, v1.version);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it('keeps serving while MLflow is down and notices alias moves once it is back', async () => {
    const pid = server?.process.pid;
    expect(pid).toEqual(expect.any(Number));
    await server?.stop('SIGKILL');
    server = undefined;

    const ready = await waitFor('a failed poll to show in /ready', async () => {
      const response = await fetch(`${app.url}/ready`);
      const body = (await response.json()) as {
        ready: boolean;
        slots: { version: string; last_error: { stage: string } | null }[];
      };
      return body.slots[0].last_error?.stage === 'resolve' ? { status: response.status, body } : undefined;
    });
    expect(ready.status).toBe(200);
    expect(ready.body.slots[0].version).toBe(v1.version);
    for (let i = 0; i < 20; i++) {
      const response = await postJson(`${app.url}/predict`, customers[i % customers.length]);
      expect(response.status).toBe(200);
      expect(response.json.model.version).toBe(v1.version);
    }

    server = await startOwnMlflow(port, dataDir);
    await mlflowClient(server.url).registeredModels.setAlias({ name: MODEL, alias: 'production', version: v2.version });
    await waitForVersion(app, v2.version, 60_000);
    const response = await postJson(`${app.url}/predict`, customers[0]);
    expect(response.json.model.version).toBe(v2.version);
    // A restarted MLflow takes 30-40 s to answer on a loaded two-core machine.
  }, 240_000);
});
