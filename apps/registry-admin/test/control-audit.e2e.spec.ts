import { NestFastifyApplication } from '@nestjs/platform-fastify';

import type { AliasAuditRecord } from '../src/app/registry/alias-audit.store';
import { registerTrainedVersion, testClient, uniqueName } from './support/registry-fixtures';
import { asAdmin, createTestApp } from './support/test-app';

// Real MLflow traffic (registrations upload model directories): generous limits on a loaded machine.
const SCENARIO_TIMEOUT_MS = 300_000;

/**
 * The challenger-share cap and the audit of control actions (issue #18): a share above
 * CHALLENGER_SHARE_CAP is a promotion of the challenger and passes the promotion gates against the
 * champion; traffic changes, version deletions and forced actions each leave an audit record.
 */
describe('control actions: the challenger-share cap and their audit', () => {
  const mlflow = testClient();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ CHALLENGER_SHARE_CAP: '0.5' });
  });

  afterAll(() => app.close());

  async function call(method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: object) {
    const response = await app.inject({ method, url, headers: asAdmin, payload });
    return { status: response.statusCode, body: response.json() };
  }

  async function records(model: string, alias: string): Promise<AliasAuditRecord[]> {
    const { status, body } = await call('GET', `/models/${model}/history?alias=${alias}`);
    expect(status).toBe(200);
    return body.records as AliasAuditRecord[];
  }

  /** A model whose champion is v1 (F1 as trained) and challenger v2, a much worse model (high threshold). */
  async function championAndWorseChallenger(prefix: string): Promise<string> {
    const model = uniqueName(prefix);
    await registerTrainedVersion(mlflow, model);
    await registerTrainedVersion(mlflow, model, { threshold: 0.95, gateF1: 0 });
    expect((await call('PUT', `/models/${model}/aliases/champion`, { version: '1' })).status).toBe(200);
    expect((await call('PUT', `/models/${model}/aliases/challenger`, { version: '2' })).status).toBe(200);
    return model;
  }

  it(
    'refuses a share above the cap to a challenger that fails the gates, records the refusal, and changes nothing',
    async () => {
      const model = await championAndWorseChallenger('cap-refused');
      const refused = await call('PUT', `/models/${model}/traffic`, { challenger_share: 0.8 });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toMatch(/challenger_share 0\.8, above CHALLENGER_SHARE_CAP 0\.5/);
      expect(refused.body.detail).toMatch(/f1_drop/);
      expect((await call('GET', `/models/${model}/traffic`)).body.challenger_share).toBe(0);
      const [refusal] = await records(model, 'traffic.settings');
      expect(refusal).toMatchObject({
        action: 'traffic',
        outcome: 'refused',
        actor: 'alice',
        to_version: '2',
        forced: false,
        details: { before: { challenger_share: 0 }, requested: { challenger_share: 0.8 }, cap: 0.5 },
      });
      expect(refusal.gates?.find((gate) => gate.gate === 'f1_drop')?.passed).toBe(false);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'takes a share at the cap without gates, and a forced one above it with its reason; each change is recorded',
    async () => {
      const model = await championAndWorseChallenger('cap-forced');
      const atCap = await call('PUT', `/models/${model}/traffic`, { challenger_share: 0.5 });
      expect(atCap.status).toBe(200);
      expect(atCap.body).toMatchObject({ challenger_share: 0.5, audit_record_id: expect.any(String) });
      expect((await call('PUT', `/models/${model}/traffic`, { challenger_share: 0.9, force: true })).status).toBe(400);
      const forced = await call('PUT', `/models/${model}/traffic`, {
        challenger_share: 0.9,
        force: true,
        reason: 'load test of v2',
      });
      expect(forced.status).toBe(200);
      expect(forced.body.challenger_share).toBe(0.9);
      const [forcedRecord, atCapRecord] = await records(model, 'traffic.settings');
      expect(atCapRecord).toMatchObject({
        id: atCap.body.audit_record_id,
        action: 'traffic',
        outcome: 'committed',
        forced: false,
        gates: null,
        details: { before: { challenger_share: 0 }, after: { challenger_share: 0.5 }, cap: 0.5 },
      });
      expect(forcedRecord).toMatchObject({
        id: forced.body.audit_record_id,
        outcome: 'committed',
        forced: true,
        reason: 'load test of v2',
        to_version: '2',
        details: { before: { challenger_share: 0.5 }, after: { challenger_share: 0.9 } },
      });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'gates moving the challenger while its share is above the cap, against the champion',
    async () => {
      const model = uniqueName('cap-move');
      await registerTrainedVersion(mlflow, model);
      await registerTrainedVersion(mlflow, model);
      await registerTrainedVersion(mlflow, model, { threshold: 0.95, gateF1: 0 });
      expect((await call('PUT', `/models/${model}/aliases/champion`, { version: '1' })).status).toBe(200);
      expect((await call('PUT', `/models/${model}/aliases/challenger`, { version: '2' })).status).toBe(200);
      expect((await call('PUT', `/models/${model}/traffic`, { challenger_share: 0.7 })).status).toBe(200);
      const refused = await call('PUT', `/models/${model}/aliases/challenger`, { version: '3' });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toMatch(/challenger -> v3 refused: f1_drop/);
      const holder = (await mlflow.registeredModels.get(model)).aliases?.find((a) => a.alias === 'challenger');
      expect(holder?.version).toBe('2');
      const [refusal] = await records(model, 'challenger');
      expect(refusal).toMatchObject({ action: 'set', outcome: 'refused', from_version: '2', to_version: '3' });
      // At or below the cap the challenger moves freely, as before.
      expect((await call('PUT', `/models/${model}/traffic`, { challenger_share: 0.1 })).status).toBe(200);
      expect((await call('PUT', `/models/${model}/aliases/challenger`, { version: '3' })).status).toBe(200);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'records a version deletion with its reason and what the version was',
    async () => {
      const model = uniqueName('delete-audit');
      await registerTrainedVersion(mlflow, model);
      const fixture = await registerTrainedVersion(mlflow, model);
      const deleted = await call('DELETE', `/models/${model}/versions/2?reason=superseded`);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toMatchObject({ deleted: true, audit_record_id: expect.any(String) });
      const [record] = await records(model, 'registry.versions');
      expect(record).toMatchObject({
        id: deleted.body.audit_record_id,
        action: 'delete_version',
        outcome: 'committed',
        actor: 'alice',
        reason: 'superseded',
        to_version: '2',
        details: { run_id: fixture.runId },
      });
      // No alias's history reads control records.
      expect((await records(model, 'production')).length).toBe(0);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
