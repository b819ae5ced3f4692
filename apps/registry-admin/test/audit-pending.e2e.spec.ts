// MLflow failing after an alias has moved. A real relay in front of this test's own MLflow server
// kills the server right after it took the alias change: the caller hears "moved, audit record
// pending" (202), the reload push goes out, and the record lands once MLflow is back. When MLflow
// dies before answering the change, the caller hears that the alias may have moved (503), never
// "nothing was changed", and the record ends up saying what MLflow holds.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { tagsToRecord, type MlflowClient, type Run } from '@churn/mlflow-client';
import { startHttpRelay, type HttpRelay } from '@churn/service-kit/testing';

import type { AliasAuditRecord } from '../src/app/registry/alias-audit.store';
import { freePort, killGroup, startOwnMlflow } from './support/own-mlflow';
import { registerTrainedVersion, startReloadReceiver, testClient, uniqueName } from './support/registry-fixtures';
import { asAdmin, createTestApp } from './support/test-app';

const SCENARIO_TIMEOUT_MS = 300_000;
/** How long the test waits for a background write to land after MLflow is back (a bound, not a measurement). */
const LANDS_WITHIN_MS = 120_000;
const SET_ALIAS = { method: 'POST', path: '/api/2.0/mlflow/registered-models/alias' };

describe('MLflow failing in the middle of an alias move', () => {
  let dataDir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let relay: HttpRelay;
  let receiver: Awaited<ReturnType<typeof startReloadReceiver>>;
  let app: NestFastifyApplication;
  let direct: MlflowClient;
  const model = uniqueName('midmove');

  const killMlflow = async (): Promise<void> => {
    await killGroup(server as ChildProcess);
    server = undefined;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'registry-admin-midmove-'));
    port = await freePort();
    server = await startOwnMlflow(dataDir, port);
    direct = testClient(`http://127.0.0.1:${port}`);
    relay = await startHttpRelay(port);
    receiver = await startReloadReceiver();
    await registerTrainedVersion(direct, model);
    await registerTrainedVersion(direct, model);
    app = await createTestApp({
      MLFLOW_TRACKING_URI: relay.url,
      // No client retries: the failure reaches the service at once instead of after the backoff.
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
      INFERENCE_URLS: receiver.url,
      INFERENCE_ADMIN_TOKEN: 'reload-token-0001',
    });
  }, SCENARIO_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await relay?.close();
    await receiver?.close();
    if (server) await killGroup(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function move(method: 'POST' | 'PUT', url: string, payload: object) {
    const response = await app.inject({ method, url, headers: asAdmin, payload });
    return { status: response.statusCode, body: response.json() };
  }

  async function history(): Promise<Array<[string, string | null, string]>> {
    const response = await app.inject({ method: 'GET', url: `/models/${model}/history`, headers: asAdmin });
    expect(response.statusCode).toBe(200);
    return (response.json().records as AliasAuditRecord[]).map((record) => [
      record.action,
      record.to_version,
      record.outcome,
    ]);
  }

  async function holder(): Promise<string | undefined> {
    return (await direct.registeredModels.get(model)).aliases?.find((entry) => entry.alias === 'production')?.version;
  }

  it(
    'answers 202 "moved, record pending" when MLflow dies right after taking the alias, pushes, and writes the record once MLflow is back',
    async () => {
      const first = await move('POST', `/models/${model}/promote`, { to: 1 });
      expect(first).toMatchObject({ status: 200, body: { audit: 'settled', audit_error: null } });
      receiver.received.length = 0;

      relay.trap({ ...SET_ALIAS, answer: 'relay', then: killMlflow });
      const moved = await move('POST', `/models/${model}/promote`, { to: 2, reason: 'v2 is better' });
      expect(moved.status).toBe(202);
      expect(moved.body).toMatchObject({
        from_version: '1',
        to_version: '2',
        audit: 'pending',
        record: { outcome: 'pending', action: 'promote', to_version: '2', reason: 'v2 is better' },
        pushes: [{ target: receiver.url, ok: true, status: 200 }],
      });
      expect(moved.body.audit_error).toMatch(
        /^MLflow failed after the alias moved, before its audit record was settled: Could not reach MLflow/,
      );
      expect(receiver.received.map((push) => push.body)).toEqual([{ name: model, alias: 'production' }]);

      server = await startOwnMlflow(dataDir, port);
      expect(await holder()).toBe('2');
      // Nothing asks the app in the meantime: the background retry alone writes the record.
      const landed = await waitForRun(direct, moved.body.record.id, (run) => run.info.status !== 'RUNNING');
      expect({
        status: landed.info.status,
        ...pick(tagsToRecord(landed.data.tags), ['outcome', 'to_version']),
      }).toEqual({
        status: 'FINISHED',
        outcome: 'committed',
        to_version: '2',
      });
      expect(await history()).toEqual([
        ['promote', '2', 'committed'],
        ['promote', '1', 'committed'],
      ]);
      const back = await move('POST', `/models/${model}/rollback`, {});
      expect(back).toMatchObject({ status: 200, body: { from_version: '2', to_version: '1', external_record: null } });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'answers 503 "the alias may have moved" when MLflow dies before answering the change, pushes, and records what MLflow holds',
    async () => {
      receiver.received.length = 0;
      relay.trap({ ...SET_ALIAS, answer: 'drop', then: killMlflow });
      const unknown = await move('PUT', `/models/${model}/aliases/production`, { version: '2', reason: 'again' });
      expect(unknown.status).toBe(503);
      expect(unknown.body.detail).toMatch(
        new RegExp(
          `^MLflow at ${relay.url} failed while moving ${model}@production to v2 \\(.+\\); the alias may have moved: read GET /models/${model}/aliases/production before trying again\\. Audit record [0-9a-f]{32} stays pending`,
        ),
      );
      expect(unknown.body.detail).not.toMatch(/nothing was changed/);
      expect(unknown.body).toMatchObject({
        alias_moved: 'unknown',
        audit: 'pending',
        audit_record_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        pushes: [{ target: receiver.url, ok: true, status: 200 }],
      });
      expect(receiver.received.map((push) => push.body)).toEqual([{ name: model, alias: 'production' }]);

      server = await startOwnMlflow(dataDir, port);
      // MLflow had taken the change before it died: the record says committed, and no move is taken for an outsider's.
      expect(await holder()).toBe('2');
      expect(await history()).toEqual([
        ['set', '2', 'committed'],
        ['rollback', '1', 'committed'],
        ['promote', '2', 'committed'],
        ['promote', '1', 'committed'],
      ]);
      const run = await direct.runs.get(unknown.body.audit_record_id);
      expect({ status: run.info.status, outcome: tagsToRecord(run.data.tags)['outcome'] }).toEqual({
        status: 'FINISHED',
        outcome: 'committed',
      });
    },
    SCENARIO_TIMEOUT_MS,
  );
});

/** Reads the run until `done` holds (MLflow is the only witness), failing after {@link LANDS_WITHIN_MS}. */
async function waitForRun(mlflow: MlflowClient, runId: string, done: (run: Run) => boolean): Promise<Run> {
  const deadline = Date.now() + LANDS_WITHIN_MS;
  for (;;) {
    const run = await mlflow.runs.get(runId);
    if (done(run)) return run;
    if (Date.now() > deadline)
      throw new Error(
        `run ${runId} still ${run.info.status} after ${LANDS_WITHIN_MS} ms: ${JSON.stringify(run.data.tags)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function pick(record: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, record[key]]));
}
