import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { AliasAuditStore, type AliasAuditRecord } from '../src/app/registry/alias-audit.store';
import {
  moveAliasWithPython,
  registerForeignVersion,
  registerTrainedVersion,
  startReloadReceiver,
  testClient,
  uniqueName,
} from './support/registry-fixtures';
import { asAdmin, createTestApp } from './support/test-app';

// Every step is real MLflow traffic (registrations upload model directories); on a loaded two-core
// machine one scenario can take minutes, so scenarios get a generous limit instead of Jest's 60 s.
const SCENARIO_TIMEOUT_MS = 300_000;

type Step = Pick<AliasAuditRecord, 'action' | 'from_version' | 'to_version' | 'outcome'>;

describe('alias moves against the real MLflow server', () => {
  const mlflow = testClient();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(() => app.close());

  async function call(method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: object, target = app) {
    const response = await target.inject({ method, url, headers: asAdmin, payload });
    return { status: response.statusCode, body: response.json() };
  }

  /** The alias's history as a freshly created app instance reads it (nothing cached in the test's app). */
  async function historyFromFreshApp(model: string, alias = 'production'): Promise<Step[]> {
    const fresh = await createTestApp();
    try {
      const { status, body } = await call('GET', `/models/${model}/history?alias=${alias}`, undefined, fresh);
      expect(status).toBe(200);
      return (body.records as AliasAuditRecord[]).map(({ action, from_version, to_version, outcome }) => ({
        action,
        from_version,
        to_version,
        outcome,
      }));
    } finally {
      await fresh.close();
    }
  }

  async function holder(model: string, alias = 'production'): Promise<string | null> {
    return (await mlflow.registeredModels.get(model)).aliases?.find((entry) => entry.alias === alias)?.version ?? null;
  }

  const step = (action: string, from: string | null, to: string | null, outcome = 'committed'): Step =>
    ({ action, from_version: from, to_version: to, outcome }) as Step;

  it(
    "runs the seed's sequence, then walks successive rollbacks back to a refusal; a fresh app reads the history after each step",
    async () => {
      const model = uniqueName('seed');
      await registerTrainedVersion(mlflow, model);

      const first = await call('POST', `/models/${model}/promote`, {});
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        model,
        alias: 'production',
        action: 'promote',
        from_version: null,
        to_version: '1',
        forced: false,
        pushes: [],
      });
      expect(first.body.record).toMatchObject({ actor: 'alice', outcome: 'committed', rollback_stack: [] });
      expect(first.body.gates.map((gate: { passed: boolean }) => gate.passed)).toEqual([true, true, true, true]);
      expect(await historyFromFreshApp(model)).toEqual([step('promote', null, '1')]);

      await registerTrainedVersion(mlflow, model);
      const second = await call('POST', `/models/${model}/promote`, { reason: 'weekly retrain' });
      expect(second.body).toMatchObject({
        from_version: '1',
        to_version: '2',
        record: { reason: 'weekly retrain', rollback_stack: ['1'] },
      });
      expect(await holder(model)).toBe('2');
      expect(await historyFromFreshApp(model)).toEqual([step('promote', '1', '2'), step('promote', null, '1')]);

      const back = await call('POST', `/models/${model}/rollback`, { reason: 'false negatives' });
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({
        action: 'rollback',
        from_version: '2',
        to_version: '1',
        gates: null,
        record: { rollback_stack: [] },
      });
      expect(await holder(model)).toBe('1');
      expect((await historyFromFreshApp(model))[0]).toEqual(step('rollback', '2', '1'));

      const explicit = await call('POST', `/models/${model}/rollback`, { to: 2 });
      expect(explicit.body).toMatchObject({ from_version: '1', to_version: '2', record: { rollback_stack: ['1'] } });
      expect(await holder(model)).toBe('2');
      expect((await historyFromFreshApp(model))[0]).toEqual(step('rollback', '1', '2'));

      // v1 → v2 → v3, then rollback → v2, rollback → v1, rollback → refused.
      await registerTrainedVersion(mlflow, model);
      expect((await call('POST', `/models/${model}/promote`, {})).body).toMatchObject({
        from_version: '2',
        to_version: '3',
        record: { rollback_stack: ['1', '2'] },
      });
      expect((await call('POST', `/models/${model}/rollback`, {})).body).toMatchObject({
        from_version: '3',
        to_version: '2',
      });
      expect((await call('POST', `/models/${model}/rollback`, {})).body).toMatchObject({
        from_version: '2',
        to_version: '1',
      });
      const refused = await call('POST', `/models/${model}/rollback`, {});
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toBe(
        `cannot roll back ${model}@production: no earlier holder recorded before v1 (valid versions: 1, 2, 3; pass to=N to choose one)`,
      );
      expect(await holder(model)).toBe('1');

      expect(await historyFromFreshApp(model)).toEqual([
        step('rollback', '2', '1'),
        step('rollback', '3', '2'),
        step('promote', '2', '3'),
        step('rollback', '1', '2'),
        step('rollback', '2', '1'),
        step('promote', '1', '2'),
        step('promote', null, '1'),
      ]);

      // Pages of three, newest first, following next_page_token to the end.
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await call(
          'GET',
          `/models/${model}/history?max_results=3${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
        );
        expect(page.body.records.length).toBeLessThanOrEqual(3);
        seen.push(
          ...page.body.records.map((record: AliasAuditRecord) => `${record.from_version}->${record.to_version}`),
        );
        token = page.body.next_page_token ?? undefined;
      } while (token);
      expect(seen).toEqual(['2->1', '3->2', '2->3', '1->2', '2->1', '1->2', 'null->1']);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'notices an alias moved outside registry-admin: records it as external and rolls back from it',
    async () => {
      const model = uniqueName('external');
      await registerTrainedVersion(mlflow, model);
      await registerTrainedVersion(mlflow, model);
      await registerTrainedVersion(mlflow, model);
      await call('POST', `/models/${model}/promote`, { to: 1 });

      await moveAliasWithPython(model, 'production', '3');
      expect(await historyFromFreshApp(model)).toEqual([step('external', '1', '3'), step('promote', null, '1')]);
      const external = (await call('GET', `/models/${model}/history`)).body.records[0];
      expect(external).toMatchObject({ actor: 'external', rollback_stack: ['1'] });

      const back = await call('POST', `/models/${model}/rollback`, {});
      expect(back.body).toMatchObject({ from_version: '3', to_version: '1', external_record: null });

      // Moved outside again, then an action: the external record is written first and returned.
      await moveAliasWithPython(model, 'production', '2');
      const promoted = await call('POST', `/models/${model}/promote`, { to: 3 });
      expect(promoted.body).toMatchObject({
        from_version: '2',
        to_version: '3',
        external_record: { action: 'external', from_version: '1', to_version: '2', actor: 'external' },
      });
      expect((await call('POST', `/models/${model}/rollback`, {})).body).toMatchObject({
        from_version: '3',
        to_version: '2',
      });
      expect((await call('POST', `/models/${model}/rollback`, {})).body).toMatchObject({
        from_version: '2',
        to_version: '1',
      });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'refuses impossible rollbacks and deletions with clear messages',
    async () => {
      const model = uniqueName('refusals');
      for (let i = 0; i < 3; i++) await registerTrainedVersion(mlflow, model);

      const unset = await call('POST', `/models/${model}/rollback`, {});
      expect(unset.status).toBe(409);
      expect(unset.body.detail).toBe(`alias 'production' of '${model}' is not set; there is nothing to roll back`);

      await call('POST', `/models/${model}/promote`, { to: 1 });
      await call('POST', `/models/${model}/promote`, { to: 2 });
      const held = await call('DELETE', `/models/${model}/versions/2`);
      expect(held.status).toBe(409);
      expect(held.body.detail).toBe(
        `version 2 of '${model}' is held by alias production; move or delete the alias first`,
      );

      expect((await call('DELETE', `/models/${model}/versions/1`)).body).toEqual({
        name: model,
        version: '1',
        deleted: true,
        audit_record_id: expect.any(String),
      });
      const deleted = await call('POST', `/models/${model}/rollback`, {});
      expect(deleted.status).toBe(409);
      expect(deleted.body.detail).toBe(
        `cannot roll back ${model}@production to v1: version 1 was deleted (valid versions: 2, 3; pass to=N to choose one)`,
      );
      const deletedTo = await call('POST', `/models/${model}/rollback`, { to: 1 });
      expect(deletedTo.status).toBe(404);
      expect(deletedTo.body.detail).toBe(`version 1 of '${model}' was deleted (valid versions: 2, 3)`);
      const unknown = await call('POST', `/models/${model}/rollback`, { to: 99 });
      expect(unknown.status).toBe(404);
      expect(unknown.body.detail).toBe(`version 99 of '${model}' does not exist (valid versions: 2, 3)`);
      const same = await call('POST', `/models/${model}/rollback`, { to: 2 });
      expect(same.status).toBe(409);
      expect(same.body.detail).toBe(`${model}@production already points at v2`);
      expect(await holder(model)).toBe('2');

      // Set and delete any alias; deleting is recorded and an unset alias cannot be rolled back.
      expect(
        (await call('PUT', `/models/${model}/aliases/challenger`, { version: 3, reason: 'A/B' })).body,
      ).toMatchObject({ action: 'set', to_version: '3', gates: null });
      expect((await call('GET', `/models/${model}/aliases/challenger`)).body).toMatchObject({
        alias: 'challenger',
        version: { version: '3', aliases: ['challenger'] },
      });
      expect((await call('DELETE', `/models/${model}/aliases/challenger?reason=done`)).body).toMatchObject({
        action: 'delete',
        from_version: '3',
        to_version: null,
      });
      expect(await holder(model, 'challenger')).toBeNull();
      expect((await call('DELETE', `/models/${model}/aliases/challenger`)).status).toBe(404);
      expect((await call('POST', `/models/${model}/rollback`, { alias: 'challenger' })).status).toBe(409);
      expect(await historyFromFreshApp(model, 'challenger')).toEqual([
        step('delete', '3', null),
        step('set', null, '3'),
      ]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'gates production: refuses each failing reason with the reason, records it, and records forced overrides',
    async () => {
      const model = uniqueName('gates');
      const good = await registerTrainedVersion(mlflow, model);
      const failedGate = await registerTrainedVersion(mlflow, model, { gateF1: 0.99 });
      const foreign = await registerForeignVersion(mlflow, model);
      const weak = await registerTrainedVersion(mlflow, model, { threshold: 0.9, gateF1: 0 });
      const narrow = await registerTrainedVersion(mlflow, model, { dropColumn: 'Partner' });
      expect(failedGate.gatePassed).toBe(false);
      expect(good.f1 - weak.f1).toBeGreaterThan(0.01);
      expect(good.f1 - narrow.f1).toBeLessThanOrEqual(0.01);
      await call('POST', `/models/${model}/promote`, { to: good.version });

      const refusals: Array<[string, string[], RegExp]> = [
        [failedGate.version, ['gate_passed'], /failed its training gate \(gate_passed=false\)/],
        [
          foreign,
          ['has_metrics', 'f1_drop'],
          /has no metrics \(no f1 tag and no run metrics: registered elsewhere\?\)/,
        ],
        [weak.version, ['f1_drop'], /f1_drop: F1 0\.\d{4} vs v1's 0\.\d{4}, drop 0\.\d{4}, allowed 0\.01/],
        [narrow.version, ['signature'], new RegExp(`signature: v${narrow.version} lacks column Partner`)],
      ];
      for (const [version, failing, message] of refusals) {
        const response = await call('POST', `/models/${model}/promote`, { to: version });
        expect(response.status).toBe(409);
        expect(response.body.detail).toMatch(new RegExp(`^promotion of ${model}@production -> v${version} refused: `));
        expect(response.body.detail).toMatch(message);
        expect(
          response.body.gates
            .filter((gate: { passed: boolean }) => !gate.passed)
            .map((gate: { gate: string }) => gate.gate),
        ).toEqual(failing);
        expect(response.body.audit_record_id).toMatch(/^[0-9a-f]{32}$/);
      }
      expect(await holder(model)).toBe(good.version);

      const forced = await call('POST', `/models/${model}/promote`, {
        to: weak.version,
        force: true,
        reason: 'hotfix: old model leaks PII',
      });
      expect(forced.status).toBe(200);
      expect(forced.body).toMatchObject({
        to_version: weak.version,
        forced: true,
        record: { forced: true, reason: 'hotfix: old model leaks PII' },
      });
      expect(forced.body.gates.find((gate: { gate: string }) => gate.gate === 'f1_drop').passed).toBe(false);
      expect(await holder(model)).toBe(weak.version);

      // Rollback is never gated, and aliases outside GATED_ALIASES are not gated either.
      expect((await call('POST', `/models/${model}/rollback`, {})).body).toMatchObject({
        to_version: good.version,
        gates: null,
      });
      expect(
        (await call('PUT', `/models/${model}/aliases/staging`, { version: failedGate.version })).body,
      ).toMatchObject({ to_version: failedGate.version, gates: null });

      const history = (await call('GET', `/models/${model}/history?alias=production`)).body
        .records as AliasAuditRecord[];
      expect(history.map((record) => [record.action, record.to_version, record.outcome, record.forced])).toEqual([
        ['rollback', good.version, 'committed', false],
        ['promote', weak.version, 'committed', true],
        ['promote', narrow.version, 'refused', false],
        ['promote', weak.version, 'refused', false],
        ['promote', foreign, 'refused', false],
        ['promote', failedGate.version, 'refused', false],
        ['promote', good.version, 'committed', false],
      ]);
      expect(history[1].gates?.find((gate) => gate.gate === 'f1_drop')?.passed).toBe(false);

      // The default target is the latest version whose gate_passed tag is true.
      const latestPassed = await call('POST', `/models/${model}/promote`, { alias: 'champion' });
      expect(latestPassed.body.to_version).toBe(narrow.version);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'refuses a default promotion when no version passed its training gate',
    async () => {
      const model = uniqueName('no-passed');
      await registerTrainedVersion(mlflow, model, { gateF1: 0.99 });
      const response = await call('POST', `/models/${model}/promote`, {});
      expect(response.status).toBe(409);
      expect(response.body.detail).toBe(`no version of '${model}' has gate_passed=true (versions: 1); pass to=N`);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'serialises two concurrent promotions: one consistent alias, both attempts audited',
    async () => {
      const model = uniqueName('race');
      for (let i = 0; i < 3; i++) await registerTrainedVersion(mlflow, model);
      await call('POST', `/models/${model}/promote`, { to: 1 });
      const [a, b] = await Promise.all([
        call('POST', `/models/${model}/promote`, { to: 2, reason: 'a' }),
        call('POST', `/models/${model}/promote`, { to: 3, reason: 'b' }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const records = (await call('GET', `/models/${model}/history`)).body.records as AliasAuditRecord[];
      expect(records).toHaveLength(3);
      const [last, previous] = records;
      expect(new Set([last.reason, previous.reason])).toEqual(new Set(['a', 'b']));
      expect(previous.from_version).toBe('1');
      expect(last.from_version).toBe(previous.to_version);
      expect(records.every((record) => record.outcome === 'committed')).toBe(true);
      expect(await holder(model)).toBe(last.to_version);
      expect(last.rollback_stack).toEqual(['1', previous.to_version]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'pushes every move to every replica and reports each result without undoing the move',
    async () => {
      const healthy = await startReloadReceiver(200);
      const broken = await startReloadReceiver(500);
      const pushing = await createTestApp({
        INFERENCE_URLS: `${healthy.url},${broken.url}/`,
        INFERENCE_ADMIN_TOKEN: 'reload-secret-000001',
        PUSH_TIMEOUT_MS: '2000',
      });
      try {
        const model = uniqueName('push');
        await registerTrainedVersion(mlflow, model);
        const response = await call('POST', `/models/${model}/promote`, { to: 1 }, pushing);
        expect(response.status).toBe(200);
        expect(response.body.pushes).toEqual([
          { target: healthy.url, ok: true, status: 200, error: null, duration_ms: expect.any(Number) },
          {
            target: broken.url,
            ok: false,
            status: 500,
            error: 'HTTP 500: {"error":"broken replica"}',
            duration_ms: expect.any(Number),
          },
        ]);
        for (const receiver of [healthy, broken]) {
          expect(receiver.received).toEqual([
            {
              url: '/admin/reload',
              body: { name: model, alias: 'production' },
              headers: expect.objectContaining({ authorization: 'Bearer reload-secret-000001' }),
            },
          ]);
        }
        expect(await holder(model)).toBe('1');
        expect((await call('POST', `/models/${model}/rollback`, { to: 1 }, pushing)).status).toBe(409);
        expect(healthy.received).toHaveLength(1);
        // A traffic change is pushed too, for the whole model (replicas re-read its traffic tags and every alias they serve).
        const traffic = await call(
          'PUT',
          `/models/${model}/traffic`,
          { challenger_share: 0.2, salt: 'pushed' },
          pushing,
        );
        expect(traffic.status).toBe(200);
        expect(traffic.body).toMatchObject({
          challenger_share: 0.2,
          salt: 'pushed',
          pushes: [
            { target: healthy.url, ok: true },
            { target: broken.url, ok: false, status: 500 },
          ],
        });
        for (const receiver of [healthy, broken]) {
          expect(receiver.received[1]).toEqual({
            url: '/admin/reload',
            body: { name: model },
            headers: expect.objectContaining({ authorization: 'Bearer reload-secret-000001' }),
          });
        }
      } finally {
        await pushing.close();
        await healthy.close();
        await broken.close();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'settles records left pending by a crashed writer against the alias actually held',
    async () => {
      const settling = await createTestApp({ AUDIT_PENDING_GRACE_MS: '0' });
      try {
        const model = uniqueName('crash');
        for (let i = 0; i < 3; i++) await registerTrainedVersion(mlflow, model);
        await call('POST', `/models/${model}/promote`, { to: 1 }, settling);
        const audit = settling.get(AliasAuditStore);
        const draft = {
          model,
          alias: 'production',
          action: 'promote' as const,
          actor: 'crasher',
          reason: null,
          forced: false,
          gates: null,
        };

        // Crashed before moving: the record claims nothing happened.
        const beforeMove = await audit.begin({ ...draft, from_version: '1', to_version: '2', rollback_stack: ['1'] });
        // Crashed after moving, before settling: the move happened.
        const afterMove = await audit.begin({ ...draft, from_version: '1', to_version: '3', rollback_stack: ['1'] });
        await mlflow.registeredModels.setAlias({ name: model, alias: 'production', version: '3' });

        const records = (await call('GET', `/models/${model}/history`, undefined, settling)).body
          .records as AliasAuditRecord[];
        expect(records.map((record) => [record.id, record.outcome])).toEqual([
          [afterMove.id, 'committed'],
          [beforeMove.id, 'abandoned'],
          [expect.any(String), 'committed'],
        ]);
        expect(records[1].error).toBe(
          'the writer stopped before settling this record and the alias does not hold its target (settled by a later reader)',
        );
        expect((await call('POST', `/models/${model}/rollback`, {}, settling)).body).toMatchObject({
          from_version: '3',
          to_version: '1',
          external_record: null,
        });
      } finally {
        await settling.close();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );
});
