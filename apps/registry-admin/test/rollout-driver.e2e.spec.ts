import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { tagsToRecord, TRAFFIC_TAGS } from '@churn/mlflow-client';
import { waitFor } from '@churn/service-kit/testing';

import { AliasAuditStore } from '../src/app/registry/alias-audit.store';
import { ReplicaReader } from '../src/app/rollouts/replica-reader';
import { leaseOf, RolloutLeases } from '../src/app/rollouts/rollout-lease';
import { RolloutStore, type RolloutState } from '../src/app/rollouts/rollout-state';
import { RolloutsService } from '../src/app/rollouts/rollouts.service';
import {
  createOrphanedRollout,
  driverStopped,
  endElsewhere,
  modelWithTwoVersions,
  setStartedRollout,
  startServingReplica,
  testClient,
} from './support/registry-fixtures';
import { endedRollout, rolloutEvents, rolloutRecordsOnce } from './support/rollout-reads';
import { asAdmin, createTestApp } from './support/test-app';

/**
 * A rollout driven through windows that pass (one stand-in replica under steady load, whose figures
 * pass every guard; F1, with no labels, does not apply): what it promotes, and what an abort, an
 * end elsewhere or a shutdown met between its steps leaves. Each test runs its own registry-admin
 * against its own stand-in.
 */
describe('a rollout whose windows pass', () => {
  const mlflow = testClient();
  const store = new RolloutStore(mlflow);
  const plan = { to: '2', steps: [0.1, 0.5], step_seconds: 1, min_requests: 1, reason: 'test' };

  afterEach(() => jest.restoreAllMocks());

  /**
   * A registry-admin reading one stand-in replica that serves `model`, both closed by `close`. Its
   * lease (10 s) outlasts a renewal held up on a loaded machine, so no other test file's
   * registry-admin (which reads no stand-in) adopts the rollout while this one drives it.
   */
  async function adminServing(model: string) {
    const replica = await startServingReplica(mlflow, model);
    const app = await createTestApp({ ROLLOUT_LEASE_MS: '10000', INFERENCE_URLS: replica.url }).catch(
      async (error: unknown) => {
        await replica.close();
        throw error;
      },
    );
    return {
      app,
      close: async () => {
        try {
          await app.close();
        } finally {
          await replica.close();
        }
      },
    };
  }

  /** Runs `body` against a registry-admin serving `model` ({@link adminServing}), closed however it ends. */
  async function withAdminServing(model: string, body: (app: NestFastifyApplication) => Promise<void>): Promise<void> {
    const admin = await adminServing(model);
    try {
      await body(admin.app);
    } finally {
      await admin.close();
    }
  }

  async function start(app: NestFastifyApplication, model: string, payload: object = plan): Promise<string> {
    const response = await app.inject({ method: 'POST', url: `/models/${model}/rollouts`, headers: asAdmin, payload });
    expect(response.statusCode).toBe(201);
    return (response.json() as RolloutState).id;
  }

  /** A model whose rollout to v2 is under way at its first step (10 %), as a stopped replica leaves it. */
  async function modelMidRollout(prefix: string): Promise<string> {
    const model = await modelWithTwoVersions(mlflow, prefix);
    await setStartedRollout(mlflow, model);
    await mlflow.registeredModels.setTag({ name: model, key: TRAFFIC_TAGS.challengerShare, value: '0.1' });
    return model;
  }

  /** The instance name `app`'s rollouts hold their leases under. */
  function instanceOf(app: NestFastifyApplication): string {
    return app.get(RolloutsService)['leases'].self;
  }

  /**
   * A rollout of `model` left running by `app`'s own replica before a restart, its lease (10 s) not
   * lapsed: no other test file's registry-admin adopts it first, and `app` does at its next scan.
   */
  function ownOrphan(app: NestFastifyApplication, model: string): Promise<RolloutState> {
    return createOrphanedRollout(store, model, { leaseHolder: instanceOf(app), leaseHolderMs: 10_000 });
  }

  /** Aliases and the challenger share, as MLflow holds them now. */
  async function registryState(model: string) {
    const registered = await mlflow.registeredModels.get(model);
    return {
      aliases: (registered.aliases ?? []).map((alias) => `${alias.alias}=v${alias.version}`).sort(),
      share: Number(tagsToRecord(registered.tags)[TRAFFIC_TAGS.challengerShare] ?? 0),
    };
  }

  it('passes every step and promotes the candidate', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-passes');
    await withAdminServing(model, async (app) => {
      const state = await endedRollout(store, model, await start(app, model));
      expect([state.status, state.step_results.map((step) => [step.share, step.outcome])]).toEqual([
        'promoted',
        [
          [0.1, 'passed'],
          [0.5, 'passed'],
        ],
      ]);
      expect(await registryState(model)).toEqual({ aliases: ['champion=v2', 'production=v2'], share: 0 });
    });
  }, 120_000);

  it('promotes at once, once resumed, a rollout whose every step had passed when its replica stopped', async () => {
    const model = await modelMidRollout('rollout-resumed-passed');
    // Its replica stopped after saving the last step's pass, and its lease has lapsed. The pass is
    // written with the rollout, in one write, so no replica can adopt the rollout without it.
    const now = new Date().toISOString();
    const orphan = await createOrphanedRollout(store, model, {
      stepResults: [{ index: 0, share: 0.1, started_at: now, ended_at: now, outcome: 'passed', windows: [] }],
    });
    // Any replica may adopt it; every one promotes it without another window.
    await withAdminServing(model, async (app) => {
      const state = await endedRollout(store, model, orphan.id);
      // The passed step as it was saved: no window was run again.
      expect([state.status, state.step_results]).toEqual([
        'promoted',
        [{ index: 0, share: 0.1, started_at: now, ended_at: now, outcome: 'passed', windows: [] }],
      ]);
      expect(await registryState(model)).toEqual({ aliases: ['champion=v2', 'production=v2'], share: 0 });
      const records = await rolloutRecordsOnce(app, model, orphan.id, 'promoted');
      expect(records.map((record) => record.event).sort()).toEqual(['promoted', 'resumed']);
      expect(records.find((record) => record.event === 'resumed')?.reason).toContain(
        'every step has passed, so it promotes now',
      );
    });
  }, 120_000);

  it('goes on from a pass its stopped replica saved after the scan read the rollout', async () => {
    const model = await modelMidRollout('rollout-late-pass');
    const now = new Date().toISOString();
    const passed = { index: 0, share: 0.1, started_at: now, ended_at: now, outcome: 'passed' as const, windows: [] };
    await withAdminServing(model, async (app) => {
      const created = ownOrphan(app, model);
      // The stopped driver's save of the step's pass lands after the scan read the rollout without
      // it, just before the lease is taken again: the adopter must go on from the saved pass.
      const acquire = RolloutLeases.prototype.acquire;
      let saved = false;
      jest.spyOn(RolloutLeases.prototype, 'acquire').mockImplementation(async function (this: RolloutLeases, runId) {
        const orphan = await created;
        if (runId === orphan.id && !saved) {
          saved = true;
          await store.save({ ...orphan, step_results: [passed] });
        }
        return acquire.call(this, runId);
      });
      const orphan = await created;
      const state = await endedRollout(store, model, orphan.id);
      expect(saved).toBe(true);
      // Promoted with the pass as it was saved: no window was run again.
      expect([state.status, state.step_results]).toEqual(['promoted', [passed]]);
      const records = await rolloutRecordsOnce(app, model, orphan.id, 'promoted');
      expect(records.map((record) => record.event).sort()).toEqual(['promoted', 'resumed']);
    });
  }, 120_000);

  it('gives back at once the lease of a rollout it took over just as it began to stop', async () => {
    const model = await modelMidRollout('rollout-adopt-at-stop');
    const admin = await adminServing(model);
    let orphan: RolloutState | undefined;
    try {
      const service = admin.app.get(RolloutsService);
      const created = ownOrphan(admin.app, model);
      const acquire = RolloutLeases.prototype.acquire;
      let stopping = false;
      jest.spyOn(RolloutLeases.prototype, 'acquire').mockImplementation(async function (this: RolloutLeases, runId) {
        const taken = await acquire.call(this, runId);
        // The replica begins to stop as its scan takes the orphan's lease.
        if (runId === (await created).id && !stopping) {
          stopping = true;
          await service.onApplicationShutdown();
        }
        return taken;
      });
      orphan = await created;
      const id = orphan.id;
      const lease = await waitFor(
        'the lease to be given back',
        async () => {
          const held = leaseOf(await mlflow.runs.get(id));
          return held?.expires_at === 0 ? held : undefined;
        },
        20_000,
        200,
      );
      expect(lease.holder).toBe(instanceOf(admin.app));
      expect((await store.get(model, id))?.status).toBe('running');
    } finally {
      // Ended before the app closes, so that no other registry-admin adopts it once its lease is given back.
      try {
        if (orphan) await store.save({ ...orphan, status: 'aborted', ended_at: new Date().toISOString() });
      } finally {
        await admin.close();
      }
    }
  }, 120_000);

  it('reverts, instead of promoting, when an abort is asked through its run just after its last step passed', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-abort-after-pass');
    await withAdminServing(model, async (app) => {
      // Asked through the run (as another replica's abort call does) once the last step's pass is
      // saved and recorded, before the driver promotes.
      const recordRolloutEvent = AliasAuditStore.prototype.recordRolloutEvent;
      jest.spyOn(AliasAuditStore.prototype, 'recordRolloutEvent').mockImplementation(async function (
        this: AliasAuditStore,
        event,
        details,
      ) {
        const record = await recordRolloutEvent.call(this, event, details);
        if (details['event'] === 'step_passed' && details['step'] === plan.steps.length - 1)
          await store.requestAbort(String(details['rollout_id']), 'aborted by bob: asked after the last step');
        return record;
      });
      const state = await endedRollout(store, model, await start(app, model));
      expect([state.status, state.ended_because]).toEqual(['aborted', 'aborted by bob: asked after the last step']);
      expect(await registryState(model)).toEqual({ aliases: ['champion=v1', 'production=v1'], share: 0 });
    });
  }, 120_000);

  it('saves nothing back over a rollout ended elsewhere while its last passing window was read', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-ended-at-pass');
    await withAdminServing(model, async (app) => {
      // Another replica ends the rollout while the last step's window figures are read.
      const report = ReplicaReader.prototype.report;
      jest.spyOn(ReplicaReader.prototype, 'report').mockImplementation(async function (this: ReplicaReader, ...args) {
        const [run] = await mlflow.runs
          .search({ experiment_ids: [(await mlflow.experiments.getByName(`${model}.rollouts`)).experiment_id] })
          .toArray();
        const state = run === undefined ? undefined : await store.get(model, run.info.run_id);
        if (state?.status === 'running' && state.step_results.length === plan.steps.length)
          await endElsewhere(store, state);
        return report.apply(this, args);
      });
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const id = await start(app, model);
      await driverStopped(warn, id);
      const stored = await store.get(model, id);
      expect([stored?.status, stored?.step_results.map((step) => [step.outcome, step.windows.length])]).toEqual([
        'aborted',
        [
          ['passed', 1],
          ['running', 0],
        ],
      ]);
      expect((await registryState(model)).aliases).toEqual(['challenger=v2', 'champion=v1', 'production=v1']);
    });
  }, 120_000);

  it('saves the second step when its replica stops right after writing its share, so the next one resumes it', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-stopped-at-step');
    const stopping = await adminServing(model);
    let resuming: Awaited<ReturnType<typeof adminServing>> | undefined;
    let closed: Promise<void> | undefined;
    let id: string | undefined;
    try {
      // The replica is told to stop while the second step reads its baseline, right after that
      // step's share (50 %); the read returns once its shutdown hook has begun, which stops the
      // driver at once.
      const shutdowns = jest.spyOn(RolloutsService.prototype, 'onApplicationShutdown');
      const snapshot = ReplicaReader.prototype.snapshot;
      jest.spyOn(ReplicaReader.prototype, 'snapshot').mockImplementation(async function (this: ReplicaReader) {
        if (closed === undefined && (await registryState(model)).share === plan.steps[1]) {
          closed = stopping.close();
          await waitFor(
            'the shutdown hook',
            async () => (shutdowns.mock.calls.length > 0 ? true : undefined),
            10_000,
            10,
          );
        }
        return snapshot.call(this);
      });
      // Another test file's registry-admin may resume it; reading no stand-in, it holds the step
      // for up to max_holds windows, and this many outlast the test.
      const started = await start(stopping.app, model, { ...plan, max_holds: 100 });
      id = started;
      await waitFor(
        'the replica to be told to stop',
        async () => (closed === undefined ? undefined : true),
        20_000,
        50,
      );
      await closed;
      jest.restoreAllMocks();
      // Saved with its second step, so the replica resuming it reads the share that step wrote as
      // its own, not as a manual change (which would abort the rollout).
      const stored = await store.get(model, started);
      expect([stored?.status, stored?.step_results.map((step) => [step.share, step.outcome])]).toEqual([
        'running',
        [
          [0.1, 'passed'],
          [0.5, 'running'],
        ],
      ]);
      // Whichever live replica resumes it must drive it on, not abort it.
      resuming = await adminServing(model);
      const { app } = resuming;
      const resumed = await waitFor(
        `rollout ${started} to be resumed or ended`,
        async () => {
          const state = await store.get(model, started);
          return state?.status !== 'running' || (await rolloutEvents(app, model, started)).includes('resumed')
            ? state
            : undefined;
        },
        30_000,
        200,
      );
      expect(['running', 'promoted']).toContain(resumed?.status);
      expect(await rolloutEvents(app, model, started)).toContain('resumed');
    } finally {
      try {
        await (closed ?? stopping.close());
        if (resuming !== undefined && id !== undefined && (await store.get(model, id))?.status === 'running')
          await resuming.app.inject({ method: 'POST', url: `/models/${model}/rollouts/${id}/abort`, headers: asAdmin });
      } finally {
        await resuming?.close();
      }
    }
  }, 120_000);
});
