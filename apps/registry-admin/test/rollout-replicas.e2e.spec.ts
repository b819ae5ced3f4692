import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { MlflowClient, MlflowConnectionError, ResourceDoesNotExistError, tagsToRecord } from '@churn/mlflow-client';
import { waitFor } from '@churn/service-kit/testing';

import { leaseOf } from '../src/app/rollouts/rollout-lease';
import { END_CLAIM_PARAM, RolloutStore, type RolloutState } from '../src/app/rollouts/rollout-state';
import {
  createOrphanedRollout,
  modelWithTwoVersions,
  setStartedRollout,
  testClient,
  uniqueName,
} from './support/registry-fixtures';
import { endedRollout, rolloutEvents } from './support/rollout-reads';
import { asAdmin, createTestApp } from './support/test-app';

interface RolloutJson {
  id: string;
  status: string;
  ended_because: string | null;
}

/**
 * Two registry-admin instances on one MLflow (#19: several replicas never drive one rollout twice):
 * two rollouts of one model started at the same moment on different instances leave exactly one
 * under way, and an abort sent to the instance that does not drive it is carried out by the driver.
 * No inference replica is configured, so the step's window never closes within the test.
 */
describe('rollouts across two registry-admin instances', () => {
  const mlflow = testClient();
  const store = new RolloutStore(mlflow);
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;

  beforeAll(async () => {
    first = await createTestApp({ ROLLOUT_LEASE_MS: '3000' });
    second = await createTestApp({ ROLLOUT_LEASE_MS: '3000' });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  async function call(app: NestFastifyApplication, method: 'GET' | 'POST', url: string, payload?: object) {
    const response = await app.inject({ method, url, headers: asAdmin, payload });
    return { status: response.statusCode, body: response.json() };
  }

  /** Resolves once the rollout's first step has started: its window runs, with no write of the step's own under way. */
  async function stepStarted(model: string, id: string): Promise<void> {
    await waitFor(
      `rollout ${id}'s step to start`,
      async () => ((await rolloutEvents(first, model, id)).includes('step_started') ? true : undefined),
      20_000,
      200,
    );
  }

  it('lets one of two simultaneous starts through and has its driver carry out an abort sent to the other instance', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-race');

    const plan = { to: '2', steps: [0.1], step_seconds: 60, min_requests: 1, reason: 'race' };
    const answers = await Promise.all(
      [first, second].map((app) => call(app, 'POST', `/models/${model}/rollouts`, plan)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const winner = answers.find((answer) => answer.status === 201)?.body as RolloutJson;
    const loser = answers.find((answer) => answer.status === 409)?.body as { detail: string };
    expect(loser.detail).toContain(`rollout ${winner.id} of '${model}'`);
    const driver = answers[0].status === 201 ? first : second;
    const other = driver === first ? second : first;

    const aborted = await call(other, 'POST', `/models/${model}/rollouts/${winner.id}/abort`, { reason: 'race over' });
    expect(aborted.status).toBe(200);
    expect([aborted.body.status, aborted.body.ended_because]).toEqual(['aborted', 'aborted by alice: race over']);
    // The driver reverted it (the challenger cleared) and both instances read it ended.
    for (const app of [first, second])
      expect((await call(app, 'GET', `/models/${model}/rollouts/${winner.id}`)).body.status).toBe('aborted');
    const registered = await mlflow.registeredModels.get(model);
    expect((registered.aliases ?? []).map((alias) => alias.alias).sort()).toEqual(['champion', 'production']);
  }, 120_000);

  it('takes over an orphaned rollout even when the scan meets rollouts it cannot take over first', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-orphan');
    await setStartedRollout(mlflow, model);
    // Rollouts MLflow fails to read (the run itself, when the lease is taken; or its model), before
    // and after the orphan in any order the scan reads them: taking them over fails every time.
    const unreadableRuns = new Set<string>();
    const unreadableModels = new Set<string>();
    const lost = () => new MlflowConnectionError('MLflow closed the connection (injected)');
    for (const app of [first, second]) {
      const client = app.get(MlflowClient);
      const getModel = client.registeredModels.get.bind(client.registeredModels);
      jest.spyOn(client.registeredModels, 'get').mockImplementation(async (name) => {
        if (unreadableModels.has(name)) throw lost();
        return getModel(name);
      });
      const getRun = client.runs.get.bind(client.runs);
      jest.spyOn(client.runs, 'get').mockImplementation(async (id) => {
        if (unreadableRuns.has(id)) throw lost();
        return getRun(id);
      });
    }
    const poisoned: RolloutState[] = [];
    const poison = async () => {
      const runUnread = await createOrphanedRollout(store, uniqueName('model-run-unread'));
      unreadableRuns.add(runUnread.id);
      const modelUnread = uniqueName('model-unread');
      unreadableModels.add(modelUnread);
      poisoned.push(runUnread, await createOrphanedRollout(store, modelUnread));
    };
    await poison();
    const orphan = await createOrphanedRollout(store, model);
    await poison();
    try {
      await waitFor(
        `rollout ${orphan.id} to be resumed`,
        async () => ((await rolloutEvents(first, model, orphan.id)).includes('resumed') ? true : undefined),
        20_000,
        200,
      );
      const aborted = await call(first, 'POST', `/models/${model}/rollouts/${orphan.id}/abort`, { reason: 'done' });
      expect([aborted.status, aborted.body.status]).toEqual([200, 'aborted']);
      for (const state of poisoned) expect((await store.get(state.model, state.id))?.status).toBe('running');
    } finally {
      for (const state of poisoned)
        await store.save({ ...state, status: 'aborted', ended_at: new Date().toISOString() });
      jest.restoreAllMocks();
    }
  }, 120_000);

  it('ends starts that lost the race and stayed running, by the scan or an abort, leaving the traffic of the rollout that goes on', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-lost-start');
    const winner = await startRollout(first, model);
    // What a start that lost the race leaves when saving itself aborted failed: running, never gone
    // on, created after the winner and for the same versions (so the aliases look as it would set
    // them). The first is left to the adoption scan; the second, whose replica's lease has not lapsed
    // yet, is aborted (by the abort call or the scan, whichever takes its lease: both say the same).
    const lost = `rollout ${winner} of the model was started at the same moment`;
    const scanned = await createOrphanedRollout(store, model, { wentOn: false });
    const asked = await createOrphanedRollout(store, model, { wentOn: false, leaseHolderMs: 2000 });
    try {
      const aborted = await call(second, 'POST', `/models/${model}/rollouts/${asked.id}/abort`, {
        reason: 'not this one',
      });
      expect([aborted.status, aborted.body.status, aborted.body.ended_because]).toEqual([
        200,
        'aborted',
        `aborted by alice: not this one (${lost})`,
      ]);
      const state = await endedRollout(store, model, scanned.id);
      expect([state.status, state.ended_because]).toEqual(['aborted', lost]);
      for (const loser of [scanned, asked]) expect(await rolloutEvents(first, model, loser.id)).toEqual([]);
      expect((await store.get(model, winner))?.status).toBe('running');
      const registered = await mlflow.registeredModels.get(model);
      expect(Object.fromEntries((registered.aliases ?? []).map((alias) => [alias.alias, alias.version]))).toEqual({
        production: '1',
        champion: '1',
        challenger: '2',
      });
      expect(tagsToRecord(registered.tags)).toMatchObject({
        'traffic.per_request': 'true',
        'traffic.challenger_share': '0.1',
      });
    } finally {
      await call(first, 'POST', `/models/${model}/rollouts/${winner}/abort`, { reason: 'done' });
    }
  }, 60_000);

  it('ends a running rollout whose start never went on, alone, without a revert', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-never-went-on');
    // Traffic someone set by hand since: ending the rollout must leave it.
    await mlflow.registeredModels.setTag({ name: model, key: 'traffic.per_request', value: 'true' });
    const stopped = await createOrphanedRollout(store, model, { wentOn: false });
    const state = await endedRollout(store, model, stopped.id);
    expect([state.status, state.ended_because]).toEqual(['aborted', 'its start stopped before it took traffic']);
    expect(await rolloutEvents(first, model, stopped.id)).toEqual([]);
    expect(tagsToRecord((await mlflow.registeredModels.get(model)).tags)['traffic.per_request']).toBe('true');
  }, 60_000);

  it('ends, through the abort itself, a rollout whose start never went on, with no revert or audit record', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-abort-never-went-on');
    await mlflow.registeredModels.setTag({ name: model, key: 'traffic.per_request', value: 'true' });
    // The model's rollouts hidden from both instances' searches, so no adoption scan meets this
    // one: only the abort call can end it.
    for (const client of new Set([first, second].map((app) => app.get(MlflowClient)))) {
      const searchPage = client.runs.searchPage.bind(client.runs);
      jest.spyOn(client.runs, 'searchPage').mockImplementation(async (params) => {
        const page = await searchPage(params);
        return { ...page, items: page.items.filter((run) => tagsToRecord(run.data.tags)['model'] !== model) };
      });
    }
    let stopped: RolloutState;
    try {
      stopped = await createOrphanedRollout(store, model, { wentOn: false });
      const aborted = await call(second, 'POST', `/models/${model}/rollouts/${stopped.id}/abort`, { reason: 'stale' });
      expect([aborted.status, aborted.body.status, aborted.body.ended_because]).toEqual([
        200,
        'aborted',
        'aborted by alice: stale (its start stopped before it took traffic)',
      ]);
    } finally {
      jest.restoreAllMocks();
    }
    // Read unhidden: the history route searches the audit runs, which carry the model's tag too.
    expect(await rolloutEvents(first, model, stopped.id)).toEqual([]);
    expect(tagsToRecord((await mlflow.registeredModels.get(model)).tags)['traffic.per_request']).toBe('true');
  }, 60_000);

  const ENDS = ['promoted', 'reverted', 'aborted', 'failed'];

  /**
   * A rollout's ending audit records as MLflow holds them (the history route needs the model, which
   * these tests delete), once there is one: the end writes its record after saving the state.
   */
  async function auditedEnds(model: string, id: string): Promise<Array<{ event: string; reason: string }>> {
    return waitFor(
      `rollout ${id}'s end to be audited`,
      async () => {
        const experiment = await mlflow.experiments.getByName(`${model}.alias-audit`);
        const runs = await mlflow.runs.search({ experiment_ids: [experiment.experiment_id] }).toArray();
        const ends = runs
          .map((run) => tagsToRecord(run.data.tags ?? []))
          .map((tags) => ({
            reason: tags['reason'],
            rollout: JSON.parse(tags['rollout'] ?? '{}') as Record<string, unknown>,
          }))
          .filter((record) => record.rollout['rollout_id'] === id && ENDS.includes(String(record.rollout['event'])))
          .map((record) => ({ event: String(record.rollout['event']), reason: record.reason }));
        return ends.length > 0 ? ends : undefined;
      },
      10_000,
      200,
    );
  }

  it('ends an orphaned rollout whose model was deleted, once, instead of meeting it at every scan', async () => {
    const model = uniqueName('rollout-deleted');
    const orphan = await createOrphanedRollout(store, model);
    const state = await endedRollout(store, model, orphan.id);
    const because = `registered model '${model}' was deleted during the rollout while no registry-admin drove it (the model no longer exists: no traffic to revert)`;
    expect([state.status, state.ended_because]).toEqual(['aborted', because]);
    expect(await auditedEnds(model, orphan.id)).toEqual([
      { event: 'aborted', reason: `rollout ${orphan.id} aborted: ${because}` },
    ]);
  }, 60_000);

  it('ends a driven rollout whose model is deleted under it', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-deleted');
    const id = await startRollout(first, model);
    // Deleted while its step's window runs (a deletion during the step's own writes fails the rollout instead).
    await stepStarted(model, id);
    await mlflow.registeredModels.delete(model);
    const state = await endedRollout(store, model, id);
    const because = `registered model '${model}' was deleted during the rollout (the model no longer exists: no traffic to revert)`;
    expect([state.status, state.ended_because]).toEqual(['aborted', because]);
    expect(await auditedEnds(model, id)).toEqual([{ event: 'aborted', reason: `rollout ${id} aborted: ${because}` }]);
  }, 60_000);

  it('does not take a bare 404 (from a proxy, no MLflow error code) for a deleted model: it reverts the traffic once MLflow answers', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-bare-404');
    const id = await startRollout(first, model);
    await stepStarted(model, id);
    // Both replicas meet the proxy's 404 on reading the model: the rollout fails, and its revert
    // cannot finish (it reads the model too), so its end stays claimed until MLflow answers.
    for (const app of [first, second]) {
      const client = app.get(MlflowClient);
      const get = client.registeredModels.get.bind(client.registeredModels);
      jest.spyOn(client.registeredModels, 'get').mockImplementation(async (name) => {
        if (name === model) throw new ResourceDoesNotExistError('HTTP 404 from a proxy (injected)', { status: 404 });
        return get(name);
      });
    }
    try {
      await waitFor(
        `rollout ${id}'s end to be claimed`,
        async () => ((await store.read(model, id))?.endClaim ? true : undefined),
        20_000,
        200,
      );
    } finally {
      jest.restoreAllMocks();
    }
    // Once MLflow answers again, a replica finishes the claimed end: reverted, as failed, and not
    // ended as a deleted model (which reverts nothing and says the model no longer exists).
    const state = await endedRollout(store, model, id);
    expect([state.status, state.ended_because]).toEqual(['failed', 'failed: HTTP 404 from a proxy (injected)']);
    expect(tagsToRecord((await mlflow.registeredModels.get(model)).tags)).toMatchObject({
      'traffic.per_request': 'false',
      'traffic.challenger_share': '0',
    });
  }, 90_000);

  /**
   * Reads the lease of the model's rollout run every 50 ms from before it exists, keeping the least
   * time it had left when read (negative: it had lapsed).
   */
  function watchLease(model: string): { stop: () => Promise<{ reads: number; leastMs: number }> } {
    let running = true;
    let reads = 0;
    let leastMs = Infinity;
    const loop = (async () => {
      while (running) {
        const runs = await mlflow.experiments
          .getByName(`${model}.rollouts`)
          .then((experiment) => mlflow.runs.search({ experiment_ids: [experiment.experiment_id] }).toArray())
          .catch(() => []);
        for (const run of runs) {
          const lease = leaseOf(run);
          if (lease === null) continue;
          reads++;
          leastMs = Math.min(leastMs, lease.expires_at - Date.now());
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return { reads, leastMs };
      },
    };
  }

  /** Starts a one-step rollout to v2 through `app`, its window a minute (it never closes here). @returns its id */
  async function startRollout(app: NestFastifyApplication, model: string): Promise<string> {
    const plan = { to: '2', steps: [0.1], step_seconds: 60, min_requests: 1, reason: 'test' };
    const started = await call(app, 'POST', `/models/${model}/rollouts`, plan);
    expect(started.status).toBe(201);
    return (started.body as RolloutJson).id;
  }

  /** Claims the rollout's end for a replica that then stopped (see RolloutStore.claimEnd). */
  async function claimForStoppedReplica(id: string, status: string, because: string | null): Promise<void> {
    const claim = { by: 'stopped-replica#1', status, because };
    await mlflow.runs.logParameter({ run_id: id, key: END_CLAIM_PARAM, value: JSON.stringify(claim) });
  }

  /** The rollout once it has ended, as `app` reads it (within 30 s). */
  async function ended(app: NestFastifyApplication, model: string, id: string): Promise<RolloutJson> {
    return waitFor(
      `rollout ${id} to end`,
      async () => {
        const state = (await call(app, 'GET', `/models/${model}/rollouts/${id}`)).body as RolloutJson;
        return state.status === 'running' ? undefined : state;
      },
      30_000,
      200,
    );
  }

  describe('with a lease shorter than a start takes', () => {
    // A start waits 1 s before its first step (START_SETTLE_MS); the lease it writes lasts 1.5 s.
    let driver: NestFastifyApplication;
    let standby: NestFastifyApplication;

    beforeAll(async () => {
      driver = await createTestApp({ ROLLOUT_LEASE_MS: '1500' });
      standby = await createTestApp({ ROLLOUT_LEASE_MS: '1500' });
    });

    afterAll(async () => {
      await driver?.close();
      await standby?.close();
    });

    it('keeps the lease from the moment the rollout is created, so a live driver is never taken over', async () => {
      const model = await modelWithTwoVersions(mlflow, 'rollout-lease-gap');
      const watch = watchLease(model);
      const id = await startRollout(driver, model);
      // The standby looks for lapsed leases every 0.75 s: four looks, none of which may adopt it.
      await new Promise((r) => setTimeout(r, 3_000));
      const leaseLeft = await watch.stop();
      expect(leaseLeft.reads).toBeGreaterThan(20);
      expect(leaseLeft.leastMs).toBeGreaterThan(0);
      expect(await rolloutEvents(driver, model, id)).toEqual(['started', 'step_started']);

      const aborted = await call(standby, 'POST', `/models/${model}/rollouts/${id}/abort`, { reason: 'done' });
      expect([aborted.status, aborted.body.status]).toEqual([200, 'aborted']);
      // The driver saves the ended state, then audits it: wait for the event, then for any second one
      // (two lease times, both replicas scanning for orphans meanwhile).
      await waitFor(
        "the 'aborted' event",
        async () => ((await rolloutEvents(driver, model, id)).includes('aborted') ? true : undefined),
        10_000,
        100,
      );
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await rolloutEvents(driver, model, id)).toEqual(['started', 'step_started', 'aborted']);
    }, 120_000);

    it('finishes an end another replica claimed and did not carry out: once, with its reason', async () => {
      const model = await modelWithTwoVersions(mlflow, 'rollout-claimed');
      const id = await startRollout(driver, model);
      await stepStarted(model, id);
      // A replica claimed the end and stopped before carrying it out.
      await claimForStoppedReplica(id, 'aborted', 'aborted by carol: stopped halfway');

      // The driver stops driving it at its next watch tick; once its lease lapses, one replica finishes.
      const state = await ended(standby, model, id);
      expect([state.status, state.ended_because]).toEqual(['aborted', 'aborted by carol: stopped halfway']);
      // Two more adoption scans on each instance: nothing more is written.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await rolloutEvents(driver, model, id)).toEqual(['started', 'step_started', 'aborted']);
      const registered = await mlflow.registeredModels.get(model);
      expect((registered.aliases ?? []).map((alias) => alias.alias).sort()).toEqual(['champion', 'production']);
    }, 120_000);

    it('finishes a promotion another replica claimed and left halfway, without moving production twice', async () => {
      const model = await modelWithTwoVersions(mlflow, 'rollout-half-promoted');
      const id = await startRollout(driver, model);
      await stepStarted(model, id);
      // A replica claimed the promotion, moved production and stopped before champion and challenger.
      await claimForStoppedReplica(id, 'promoted', null);
      await mlflow.registeredModels.setAlias({ name: model, alias: 'production', version: '2' });

      const state = await ended(standby, model, id);
      expect([state.status, state.ended_because]).toEqual(['promoted', null]);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await rolloutEvents(driver, model, id)).toEqual(['started', 'step_started', 'promoted']);
      const aliases = Object.fromEntries(
        ((await mlflow.registeredModels.get(model)).aliases ?? []).map((alias) => [alias.alias, alias.version]),
      );
      expect(aliases).toEqual({ production: '2', champion: '2' });
      // Production was moved once (by the stopped replica, past registry-admin): no promote was audited.
      const history = (await call(driver, 'GET', `/models/${model}/history?alias=production&max_results=100`)).body as {
        records: Array<{ action: string }>;
      };
      expect(history.records.map((record) => record.action)).not.toContain('promote');
    }, 120_000);

    it('ends as failed a claimed promotion that fails, once, leaving production where it was', async () => {
      const model = await modelWithTwoVersions(mlflow, 'rollout-promotion-fails');
      const id = await startRollout(driver, model);
      await stepStarted(model, id);
      // The candidate fails its training gate after the start: the promotion's gates refuse it, on
      // whichever of the live instances finishes the claimed end.
      await mlflow.modelVersions.setTag({ name: model, version: '2', key: 'gate_passed', value: 'false' });
      await claimForStoppedReplica(id, 'promoted', null);
      const state = await ended(standby, model, id);
      expect(state.status).toBe('failed');
      expect(state.ended_because).toMatch(/^failed: promotion: .*gate_passed=false/);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await rolloutEvents(driver, model, id)).toEqual(['started', 'step_started', 'failed']);
      const aliases = Object.fromEntries(
        ((await mlflow.registeredModels.get(model)).aliases ?? []).map((alias) => [alias.alias, alias.version]),
      );
      expect(aliases).toEqual({ production: '1', champion: '1' });
    }, 120_000);
  });
});
