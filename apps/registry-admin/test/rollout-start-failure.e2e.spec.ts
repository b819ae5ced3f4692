import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { MlflowClient, MlflowConnectionError, tagList, tagsToRecord } from '@churn/mlflow-client';
import { waitFor } from '@churn/service-kit/testing';

import { ReplicaReader } from '../src/app/rollouts/replica-reader';
import { LEASE_TAG } from '../src/app/rollouts/rollout-lease';
import { END_CLAIM_PARAM, RolloutStore, WENT_ON_TAG } from '../src/app/rollouts/rollout-state';
import { PER_REQUEST_TAG } from '../src/app/rollouts/rollouts.service';
import {
  createOrphanedRollout,
  driverStopped,
  endElsewhere,
  modelWithTwoVersions,
  setStartedRollout,
  testClient,
  uniqueName,
} from './support/registry-fixtures';
import { endedRollout } from './support/rollout-reads';
import { asAdmin, createTestApp } from './support/test-app';

interface RolloutJson {
  id: string;
  status: string;
  ended_because: string | null;
}

/**
 * A start that fails after creating its rollout (MLflow failing one call of the start, injected
 * into the app's own client) must not leave the rollout running: the caller was told it failed.
 * Also a start or driver whose rollout another replica takes over or ends under it (written into
 * MLflow by the test): neither may write traffic or state over that replica's.
 */
describe('a rollout whose start fails after creating it', () => {
  const mlflow = testClient();
  let app: NestFastifyApplication;
  let client: MlflowClient;

  beforeAll(async () => {
    app = await createTestApp({ ROLLOUT_LEASE_MS: '2000' });
    client = app.get(MlflowClient);
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await app?.close();
  });

  const lost = () => new MlflowConnectionError('MLflow closed the connection (injected)');

  async function call(method: 'GET' | 'POST', url: string, payload?: object) {
    const response = await app.inject({ method, url, headers: asAdmin, payload });
    return { status: response.statusCode, body: response.json() };
  }

  const plan = { to: '2', steps: [0.1], step_seconds: 60, min_requests: 1, reason: 'test' };

  /** The id of the model's only rollout, read from MLflow (no list endpoint is needed for this). */
  async function onlyRolloutId(model: string): Promise<string> {
    const experiment = await mlflow.experiments.getByName(`${model}.rollouts`);
    const runs = await mlflow.runs.search({ experiment_ids: [experiment.experiment_id] }).toArray();
    expect(runs).toHaveLength(1);
    return runs[0].info.run_id;
  }

  /** Aliases and traffic tags of the model, as MLflow holds them now. */
  async function registryState(model: string) {
    const registered = await mlflow.registeredModels.get(model);
    const tags = tagsToRecord(registered.tags);
    return {
      aliases: (registered.aliases ?? []).map((alias) => `${alias.alias}=v${alias.version}`).sort(),
      perRequest: tags[PER_REQUEST_TAG],
      share: Number(tags['traffic.challenger_share'] ?? 0),
    };
  }

  it.each([
    ['pointing the challenger alias', () => failAlias('challenger')],
    ['turning the per-request split on', () => failPerRequestTag('true')],
  ])(
    'ends it as failed, the candidate without traffic or alias, when %s fails',
    async (_, inject) => {
      const model = await modelWithTwoVersions(mlflow, 'rollout-start-fails');
      inject();
      const started = await call('POST', `/models/${model}/rollouts`, plan);
      expect(started.status).toBe(503);
      expect(started.body.detail).toContain('MLflow closed the connection (injected)');
      jest.restoreAllMocks();

      const id = await onlyRolloutId(model);
      const state = (await call('GET', `/models/${model}/rollouts/${id}`)).body as RolloutJson;
      expect(state.status).toBe('failed');
      expect(state.ended_because).toBe('failed: its start did not finish: MLflow closed the connection (injected)');
      expect(await registryState(model)).toEqual({
        aliases: ['champion=v1', 'production=v1'],
        perRequest: 'false',
        share: 0,
      });
      // Nothing is left under way: the next start goes through.
      const again = await call('POST', `/models/${model}/rollouts`, plan);
      expect(again.status).toBe(201);
      expect((await call('POST', `/models/${model}/rollouts/${again.body.id}/abort`, {})).status).toBe(200);
    },
    120_000,
  );

  it('only saves it ended, touching no traffic, when it failed before knowing itself the first start', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-start-early');
    // The start reads the model's rollouts twice: before creating its own, and after the settle
    // (yieldToEarlierStart), when a failure leaves it unknown whose the traffic is. The second read
    // fails. (The adoption scan reads every model's rollouts at once, so it is not counted: another
    // model's rollout experiment makes sure its read names two.)
    const { experiment_id } = await mlflow.experiments.getOrCreate(`${model}.rollouts`);
    await mlflow.experiments.getOrCreate(`${uniqueName('another-model')}.rollouts`);
    const search = client.runs.search.bind(client.runs);
    let searches = 0;
    jest.spyOn(client.runs, 'search').mockImplementation((request) => {
      const ids = request.experiment_ids ?? [];
      if (ids.length === 1 && ids[0] === experiment_id && ++searches === 2) throw lost();
      return search(request);
    });
    const started = await call('POST', `/models/${model}/rollouts`, plan);
    expect([started.status, searches]).toEqual([503, 2]);
    jest.restoreAllMocks();

    const id = await onlyRolloutId(model);
    const state = (await call('GET', `/models/${model}/rollouts/${id}`)).body as RolloutJson;
    expect([state.status, state.ended_because]).toEqual([
      'failed',
      'failed: its start did not finish: MLflow closed the connection (injected)',
    ]);
    expect(await registryState(model)).toEqual({ aliases: ['production=v1'], perRequest: undefined, share: 0 });
  }, 120_000);

  it('stops before pointing any alias, and ends nothing, when another replica took its rollout over as it went on', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-start-taken');
    // Traffic set by hand: a revert by the stopped start would reset it.
    await mlflow.registeredModels.setTag({ name: model, key: PER_REQUEST_TAG, value: 'true' });
    // Another replica takes the lease; it then ends the rollout, not the start.
    leaseAfterMark({ holder: 'adopting-replica', expires_at: Date.now() + 60_000 });
    const started = await call('POST', `/models/${model}/rollouts`, plan);
    jest.restoreAllMocks();
    expect(started.status).toBe(409);
    expect(started.body.detail).toContain('was taken over by another registry-admin while it started, which ends it');

    const id = await onlyRolloutId(model);
    const store = new RolloutStore(mlflow);
    try {
      const stored = await store.read(model, id);
      expect([stored?.state.status, stored?.endClaim, stored?.lease?.holder]).toEqual([
        'running',
        null,
        'adopting-replica',
      ]);
      expect(await registryState(model)).toEqual({ aliases: ['production=v1'], perRequest: 'true', share: 0 });
      const history = await call('GET', `/models/${model}/history?alias=traffic.rollout&max_results=100`);
      expect(history.body.records).toEqual([]);
    } finally {
      const state = await store.get(model, id);
      if (state !== undefined) await store.save({ ...state, status: 'aborted', ended_at: new Date().toISOString() });
    }
  }, 120_000);

  it('ends it as failed itself when its lease lapsed as it went on and no other replica took it', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-start-lapsed');
    // Traffic set by hand: the start never pointed anything, so its end must leave it.
    await mlflow.registeredModels.setTag({ name: model, key: PER_REQUEST_TAG, value: 'true' });
    // No live replica holds the lease.
    leaseAfterMark({ holder: 'stopped-replica', expires_at: Date.now() - 1 });
    const started = await call('POST', `/models/${model}/rollouts`, plan);
    jest.restoreAllMocks();
    expect(started.status).toBe(409);
    expect(started.body.detail).toContain('its lease lapsed while it started');

    const id = await onlyRolloutId(model);
    const state = (await call('GET', `/models/${model}/rollouts/${id}`)).body as RolloutJson;
    expect([state.status, state.ended_because]).toEqual([
      'failed',
      `failed: its start did not finish: ${started.body.detail}`,
    ]);
    // Ended under a claim (a scan may have read it running and be ending it too), yet with no revert.
    expect((await new RolloutStore(mlflow).read(model, id))?.endClaim?.status).toBe('failed');
    expect(await registryState(model)).toEqual({ aliases: ['production=v1'], perRequest: 'true', share: 0 });
  }, 120_000);

  it('gives no traffic to a rollout ended elsewhere before its first step, nor saves it back as running', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-ended-before-step');
    const store = new RolloutStore(mlflow);
    // Another replica takes the rollout over and ends it before the driver's first step.
    afterStartPointed(model, async (id) => {
      const state = await store.get(model, id);
      if (state === undefined) throw new Error('the rollout is not stored');
      await endElsewhere(store, state);
    });
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const started = await call('POST', `/models/${model}/rollouts`, plan);
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    await driverStopped(warn, id);
    jest.restoreAllMocks();
    const stored = await store.get(model, id);
    expect([stored?.status, stored?.step_results.length]).toEqual(['aborted', 0]);
    expect((await registryState(model)).share).toBe(0);
  }, 120_000);

  it('takes no step, and reverts, for an abort asked through its run before its first step', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-abort-before-step');
    const store = new RolloutStore(mlflow);
    // An abort is asked through the run, as another replica's abort call does, before the driver's
    // first step.
    afterStartPointed(model, (id) => store.requestAbort(id, 'aborted by bob: before the first step'));
    const started = await call('POST', `/models/${model}/rollouts`, plan);
    expect(started.status).toBe(201);
    jest.restoreAllMocks();
    const id = started.body.id as string;
    const ended = await endedRollout(store, model, id, 10_000);
    expect([ended.status, ended.ended_because, ended.step_results.length]).toEqual([
      'aborted',
      'aborted by bob: before the first step',
      0,
    ]);
    expect(await registryState(model)).toEqual({
      aliases: ['champion=v1', 'production=v1'],
      perRequest: 'false',
      share: 0,
    });
  }, 120_000);

  it('takes back the share it wrote for a step when the rollout was ended elsewhere as the step began', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-ended-at-step');
    const store = new RolloutStore(mlflow);
    // Another replica ends the rollout while the step reads its baseline, right after the step's
    // share was written: as if that end's share 0 had landed before the share (the test writes only
    // the ended state).
    const snapshot = ReplicaReader.prototype.snapshot;
    jest.spyOn(ReplicaReader.prototype, 'snapshot').mockImplementation(async function (this: ReplicaReader) {
      const [run] = await mlflow.runs
        .search({ experiment_ids: [(await mlflow.experiments.getByName(`${model}.rollouts`)).experiment_id] })
        .toArray();
      const state = run === undefined ? undefined : await store.get(model, run.info.run_id);
      if (state?.status === 'running') await endElsewhere(store, state);
      return snapshot.call(this);
    });
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const started = await call('POST', `/models/${model}/rollouts`, plan);
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    const lines = await driverStopped(warn, id);
    jest.restoreAllMocks();
    expect(lines).toContain(`rollout ${id}: ended elsewhere as its step began; its share is back to 0`);
    const stored = await store.get(model, id);
    expect([stored?.status, stored?.step_results.length]).toEqual(['aborted', 0]);
    expect((await registryState(model)).share).toBe(0);
  }, 120_000);

  it('saves nothing back over a rollout ended elsewhere while a window was read', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-ended-in-window');
    const store = new RolloutStore(mlflow);
    const started = await call('POST', `/models/${model}/rollouts`, { ...plan, step_seconds: 1 });
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    // While the first window's figures are read, another replica takes the rollout over and ends it.
    const report = ReplicaReader.prototype.report;
    jest.spyOn(ReplicaReader.prototype, 'report').mockImplementation(async function (this: ReplicaReader, ...args) {
      const state = await store.get(model, id);
      if (state?.status === 'running') await endElsewhere(store, state);
      return report.apply(this, args);
    });
    const warn = jest.spyOn(Logger.prototype, 'warn');
    await driverStopped(warn, id);
    jest.restoreAllMocks();
    const stored = await store.get(model, id);
    expect([stored?.status, stored?.step_results.map((step) => step.windows.length)]).toEqual(['aborted', [0]]);
  }, 120_000);

  it('is ended by the adoption scan, never driven, when MLflow failed its end too', async () => {
    const model = await modelWithTwoVersions(mlflow, 'rollout-start-unended');
    failPerRequestTag('true');
    // The end's claim fails as well, so the rollout stays running, unclaimed, with its aliases set.
    const logParameter = client.runs.logParameter.bind(client.runs);
    jest.spyOn(client.runs, 'logParameter').mockImplementation(async (request) => {
      if (request.key === END_CLAIM_PARAM) throw lost();
      return logParameter(request);
    });
    const started = await call('POST', `/models/${model}/rollouts`, plan);
    expect(started.status).toBe(503);
    jest.restoreAllMocks();
    const id = await onlyRolloutId(model);
    expect(((await call('GET', `/models/${model}/rollouts/${id}`)).body as RolloutJson).status).toBe('running');

    // Once its 2 s lease lapses, the scan takes it: the split was never turned on, so it reverts it.
    const ended = await endedRollout(new RolloutStore(mlflow), model, id, 30_000);
    expect(ended.status).toBe('aborted');
    expect(ended.ended_because).toContain(`the per-request split (${PER_REQUEST_TAG}) is unset, not true`);
    expect(await registryState(model)).toEqual({
      aliases: ['champion=v1', 'production=v1'],
      perRequest: 'false',
      share: 0,
    });
  }, 120_000);

  it('is not driven by the adoption scan while the registry cannot be read to check it', async () => {
    const store = new RolloutStore(mlflow);
    const model = await modelWithTwoVersions(mlflow, 'rollout-unchecked');
    await setStartedRollout(mlflow, model);
    const getModel = client.registeredModels.get.bind(client.registeredModels);
    jest.spyOn(client.registeredModels, 'get').mockImplementation(async (name) => {
      if (name === model) throw lost();
      return getModel(name);
    });
    // Orphaned (no lease) once its model cannot be read.
    const orphan = await createOrphanedRollout(store, model);
    // Three scans (one a second with a 2 s lease) meet it while its model cannot be read.
    await new Promise((r) => setTimeout(r, 3_500));
    const unchecked = await store.read(model, orphan.id);
    expect([unchecked?.state.status, unchecked?.state.step_results.length, unchecked?.endClaim]).toEqual([
      'running',
      0,
      null,
    ]);
    jest.restoreAllMocks();

    // Readable again: once the lease its last attempt took lapses, it is checked and resumed.
    await waitFor(
      `rollout ${orphan.id} to be resumed`,
      async () => ((await store.read(model, orphan.id))?.state.step_results.length ? true : undefined),
      20_000,
      200,
    );
    expect((await call('POST', `/models/${model}/rollouts/${orphan.id}/abort`, {})).status).toBe(200);
  }, 120_000);

  /**
   * Runs `then` with the id of the model's rollout once its start has turned the per-request split
   * on (the start's last write), before the driver's first step; until the mocks are restored.
   */
  function afterStartPointed(model: string, then: (id: string) => Promise<void>): void {
    const setTag = client.registeredModels.setTag.bind(client.registeredModels);
    jest.spyOn(client.registeredModels, 'setTag').mockImplementation(async (request) => {
      await setTag(request);
      if (request.name === model && request.key === PER_REQUEST_TAG && request.value === 'true')
        await then(await onlyRolloutId(model));
    });
  }

  /**
   * Once the start marks itself gone on, MLflow holds `lease` for its rollout, as if its own lease
   * lapsed meanwhile (MLflow slow); this replica's renewals from then on count as landed before it.
   */
  function leaseAfterMark(lease: { holder: string; expires_at: number }): void {
    const logBatch = client.runs.logBatch.bind(client.runs);
    let replaced = false;
    jest.spyOn(client.runs, 'logBatch').mockImplementation(async (request) => {
      const tags = tagsToRecord(tagList(request.tags));
      if (replaced && tags[LEASE_TAG] !== undefined) return;
      const marking = tags[WENT_ON_TAG] === 'true';
      // From the mark on: a renewal sent after it is dropped, one sent before it lands first.
      if (marking) replaced = true;
      await logBatch(request);
      if (marking) await logBatch({ run_id: request.run_id, tags: { [LEASE_TAG]: JSON.stringify(lease) } });
    });
  }

  /** MLflow fails every move of `alias` until the mocks are restored. */
  function failAlias(alias: string): void {
    const setAlias = client.registeredModels.setAlias.bind(client.registeredModels);
    jest.spyOn(client.registeredModels, 'setAlias').mockImplementation(async (request) => {
      if (request.alias === alias) throw lost();
      return setAlias(request);
    });
  }

  /** MLflow fails every write of the per-request tag with `value` until the mocks are restored. */
  function failPerRequestTag(value: string): void {
    const setTag = client.registeredModels.setTag.bind(client.registeredModels);
    jest.spyOn(client.registeredModels, 'setTag').mockImplementation(async (request) => {
      if (request.key === PER_REQUEST_TAG && request.value === value) throw lost();
      return setTag(request);
    });
  }
});
