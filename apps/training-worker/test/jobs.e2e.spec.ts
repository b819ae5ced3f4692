// REST training jobs end to end, in-process against the suite's real MLflow server: auth, validation,
// queueing, idempotency, results read back from MLflow, a restart, and crash leftovers.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

import { configureApp } from '@churn/service-kit';

import { AppModule, TRAINING_WORKER } from '../src/app/app.module';
import { validateTrainingWorkerConfig } from '../src/app/config/training-worker.config';
import type { JobResponse } from '../src/app/jobs/job.response';
import { readBack, telcoCsv, testClient, trackingUri, uniqueName } from './support';

const TRAINER = 'Bearer tr-s3cret-000001';
const VIEWER = 'Bearer vw-s3cret-000001';
const API_TOKENS = 'ci-trainer:trainer:tr-s3cret-000001,dashboard:viewer:vw-s3cret-000001';
const JOB_TIMEOUT_MS = 90_000;

async function createApp(environment: Record<string, string>): Promise<NestFastifyApplication> {
  const config = validateTrainingWorkerConfig({
    MLFLOW_TRACKING_URI: trackingUri(),
    SYNTHETIC_ROWS: '1000',
    ...environment,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forConfig(config)] }).compile();
  const app = configureApp(
    moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter()),
    TRAINING_WORKER,
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

async function postJob(app: NestFastifyApplication, body: Record<string, unknown>, authorization = TRAINER) {
  return app.inject({ method: 'POST', url: '/jobs', headers: { authorization }, payload: body });
}

async function getJob(app: NestFastifyApplication, id: string): Promise<JobResponse> {
  const response = await app.inject({ method: 'GET', url: `/jobs/${id}`, headers: { authorization: VIEWER } });
  if (response.statusCode !== 200) throw new Error(`GET /jobs/${id}: ${response.statusCode} ${response.body}`);
  return response.json<JobResponse>();
}

async function waitForJob(app: NestFastifyApplication, id: string): Promise<JobResponse> {
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  for (;;) {
    const job = await getJob(app, id);
    if (job.status === 'FINISHED' || job.status === 'FAILED') return job;
    if (Date.now() > deadline)
      throw new Error(`job ${id} still ${job.status} (${job.stage}) after ${JOB_TIMEOUT_MS} ms`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

describe('training jobs (REST)', () => {
  const experiment = uniqueName('jobs-exp');
  const workerId = uniqueName('worker');
  const modelName = uniqueName('jobs-model');
  const workDir = mkdtempSync(join(tmpdir(), 'training-worker-jobs-'));
  // REST jobs read only under DATA_DIR: the Telco CSV is copied into it.
  const dataCsv = join(workDir, 'telco.csv');
  const environment = {
    EXPERIMENT_NAME: experiment,
    API_TOKENS,
    WORKER_ID: workerId,
    JOB_CONCURRENCY: '1',
    DATA_DIR: workDir,
  };
  let app: NestFastifyApplication;

  beforeAll(async () => {
    copyFileSync(telcoCsv, dataCsv);
    app = await createApp(environment);
  });

  afterAll(async () => {
    await app?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  describe('access', () => {
    it('401 without a token and with an unknown one; 403 for a token without the trainer role', async () => {
      const none = await app.inject({ method: 'POST', url: '/jobs', payload: {} });
      expect(none.statusCode).toBe(401);
      expect(none.json().detail).toMatch(/missing bearer token/);
      const unknown = await postJob(app, {}, 'Bearer not-a-token');
      expect(unknown.statusCode).toBe(401);
      expect(unknown.json().detail).toBe('unknown bearer token');
      const viewer = await postJob(app, {}, VIEWER);
      expect(viewer.statusCode).toBe(403);
      expect(viewer.json().detail).toBe('dashboard lacks the trainer role (has viewer)');
      expect((await app.inject({ method: 'GET', url: '/jobs' })).statusCode).toBe(401);
    });

    it('401 on every protected endpoint, saying so, when API_TOKENS is empty', async () => {
      const open = await createApp({ ...environment, API_TOKENS: '', WORKER_ID: uniqueName('worker') });
      try {
        const response = await postJob(open, {});
        expect(response.statusCode).toBe(401);
        expect(response.json().detail).toMatch(/no API tokens are configured/);
        expect((await open.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      } finally {
        await open.close();
      }
    });
  });

  describe('validation', () => {
    it.each([
      [{ seed: 'abc' }, /seed must be an integer/],
      [{ seed: -1 }, /seed must not be less than 0/],
      [{ gate_f1: 2 }, /gate_f1 must not be greater than 1/],
      [{ register: 'yes' }, /register must be a boolean/],
      [{ model_name: '../x' }, /model_name must be a registered model name/],
      [{ idempotency_key: 'has space' }, /idempotency_key must be/],
      [{ epochs: 3 }, /property epochs should not exist/],
      [{ schema: 42 }, /schema must be a path to a JSON file or a schema object/],
      [{ schema: { numeric: 'tenure' } }, /^schema: /],
      [{ schema: 'no-such-schema.json' }, /^schema: "no-such-schema\.json" under DATA_DIR: no such file$/],
      [{ data: 'no-such.csv' }, /^data: "no-such\.csv" under DATA_DIR: no such file$/],
      [
        { experiment: 'churn_model.alias-audit' },
        /^experiment: names ending in "\.alias-audit" hold registry-admin's audit/,
      ],
    ])('400 naming the field for %j', async (body, message) => {
      const response = await postJob(app, body);
      expect(response.statusCode).toBe(400);
      expect(response.json().detail).toMatch(message);
    });

    it('400 for a bad list limit; 404 for an unknown job id or a run that is not a job', async () => {
      expect(
        (await app.inject({ method: 'GET', url: '/jobs?limit=abc', headers: { authorization: VIEWER } })).statusCode,
      ).toBe(400);
      const unknown = await app.inject({
        method: 'GET',
        url: '/jobs/0123456789abcdef0123456789abcdef',
        headers: { authorization: VIEWER },
      });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().detail).toMatch(/no training job with id/);
      expect(
        (await app.inject({ method: 'GET', url: '/jobs/not-an-id', headers: { authorization: VIEWER } })).statusCode,
      ).toBe(404);
      const mlflow = testClient();
      const { experiment_id } = await mlflow.experiments.getOrCreate(experiment);
      const other = await mlflow.runs.create({ experiment_id, run_name: 'not-a-job' });
      expect(
        (await app.inject({ method: 'GET', url: `/jobs/${other.info.run_id}`, headers: { authorization: VIEWER } }))
          .statusCode,
      ).toBe(404);
    });
  });

  describe('files: only regular files under DATA_DIR', () => {
    const outside = mkdtempSync(join(tmpdir(), 'training-worker-outside-'));
    const secret = join(outside, 'secret.csv');

    beforeAll(() => {
      writeFileSync(secret, 'customerID,Churn\ntop-secret-value,Yes\n');
      symlinkSync(secret, join(workDir, 'link-out.csv'));
      symlinkSync(outside, join(workDir, 'dir-link'));
      mkdirSync(join(workDir, 'folder.csv'));
      execFileSync('mkfifo', [join(workDir, 'pipe.csv')]);
    });

    afterAll(() => rmSync(outside, { recursive: true, force: true }));

    it.each([
      ['..', { data: '../secret.csv' }, /^data: "\.\.\/secret\.csv" is outside DATA_DIR/],
      ['.. inside a path', { data: 'sub/../../x.csv' }, /^data: "sub\/\.\.\/\.\.\/x\.csv" is outside DATA_DIR/],
      ['an absolute path outside', { data: '/etc/passwd' }, /^data: "\/etc\/passwd" is outside DATA_DIR/],
      [
        'a symlink out',
        { data: 'link-out.csv' },
        /^data: "link-out\.csv" leads outside DATA_DIR through a symbolic link/,
      ],
      ['a linked folder out', { data: 'dir-link/secret.csv' }, /leads outside DATA_DIR through a symbolic link/],
      ['a directory', { data: 'folder.csv' }, /^data: "folder\.csv" is not a regular file/],
      ['a FIFO', { data: 'pipe.csv' }, /^data: "pipe\.csv" is not a regular file/],
      ['a schema outside', { schema: '/etc/hostname' }, /^schema: "\/etc\/hostname" is outside DATA_DIR/],
      ['a schema through a symlink', { schema: 'link-out.csv' }, /^schema: "link-out\.csv" leads outside DATA_DIR/],
    ])('400 naming the rule for %s, nothing read, no job', async (_case, body, message) => {
      const before = await app.inject({ method: 'GET', url: '/jobs?limit=100', headers: { authorization: VIEWER } });
      const response = await postJob(app, { ...body, model_name: uniqueName('jobs-path') });
      expect(response.statusCode).toBe(400);
      expect(response.json().detail).toMatch(message);
      expect(response.body).not.toContain('top-secret-value');
      const after = await app.inject({ method: 'GET', url: '/jobs?limit=100', headers: { authorization: VIEWER } });
      expect(after.json().jobs).toHaveLength(before.json().jobs.length);
    });

    it('does not quote a schema file that is not JSON', async () => {
      writeFileSync(join(workDir, 'not-json.json'), 'top-secret-value');
      const response = await postJob(app, { schema: 'not-json.json', model_name: uniqueName('jobs-path') });
      expect(response.statusCode).toBe(400);
      expect(response.json().detail).toBe('schema: not-json.json is not valid JSON');
    });
  });

  describe('a job on Telco, a queued gated job and a failing one', () => {
    const key = uniqueName('nightly');
    let registered: JobResponse;
    let gated: JobResponse;
    let failed: JobResponse;
    let replays: { status: number; replayed: string | undefined; id: string }[];
    let queuedWhileFirstRan: JobResponse;

    beforeAll(async () => {
      const badCsv = join(workDir, 'bad.csv');
      const lines = readFileSync(telcoCsv, 'utf8').split(/\r?\n/).slice(0, 100);
      // Line 10's tenure (after Partner and Dependents) becomes text.
      lines[9] = lines[9].replace(/,(Yes|No),(Yes|No),(\d+),(Yes|No),/, ',$1,$2,twelve,$4,');
      writeFileSync(badCsv, `${lines.join('\n')}\n`);

      // Two requests with one idempotency key at once: one job.
      const body = { data: 'telco.csv', model_name: modelName, idempotency_key: key };
      const [a, b] = await Promise.all([postJob(app, body), postJob(app, body)]);
      replays = [a, b].map((r) => ({
        status: r.statusCode,
        replayed: r.headers['idempotent-replayed'] as string | undefined,
        id: r.json().id,
      }));
      const second = await postJob(app, { gate_f1: 0.99, model_name: uniqueName('jobs-gated'), seed: 7 });
      expect(second.statusCode).toBe(202);
      queuedWhileFirstRan = await getJob(app, second.json().id);
      const third = await postJob(app, { data: 'bad.csv', model_name: uniqueName('jobs-failed') });
      expect(third.statusCode).toBe(202);

      registered = await waitForJob(app, replays[0].id);
      gated = await waitForJob(app, second.json().id);
      failed = await waitForJob(app, third.json().id);
    }, 180_000);

    it('answers 202 once and returns the same job, 200 with Idempotent-Replayed, to the repeated key', () => {
      expect(replays.map((r) => r.status).sort()).toEqual([200, 202]);
      expect(replays[0].id).toBe(replays[1].id);
      expect(replays.find((r) => r.status === 200)?.replayed).toBe('true');
    });

    it('runs jobs one at a time: the second waits QUEUED while the first runs', () => {
      expect(queuedWhileFirstRan.status).toBe('QUEUED');
      expect(queuedWhileFirstRan.stage).toBe('queued');
    });

    it("finishes the Telco job with metrics, a passed gate and a registered version, by the token's user", async () => {
      expect(registered).toMatchObject({
        status: 'FINISHED',
        stage: 'done',
        user: 'ci-trainer',
        model_name: modelName,
        registered_version: '1',
        error: null,
        gate: { threshold: 0.5, passed: true, reason: null },
        options: {
          data: dataCsv,
          seed: 42,
          gate_f1: 0.5,
          experiment,
          model_name: modelName,
          register: true,
          idempotency_key: key,
        },
      });
      expect(registered.metrics?.f1).toBeGreaterThan(0.5);
      expect(registered.metrics?.roc_auc).toBeGreaterThan(0.8);
      const version = await testClient().modelVersions.get({ name: modelName, version: '1' });
      expect(version.run_id).toBe(registered.id);
      expect(version.status).toBe('READY');
    });

    it('finishes the gated job without a version and says why', () => {
      expect(gated).toMatchObject({
        status: 'FINISHED',
        registered_version: null,
        gate: { threshold: 0.99, passed: false },
      });
      expect(gated.gate?.reason).toMatch(/below the gate 0\.99/);
      expect(gated.options?.data).toBe('synthetic:7:1000');
    });

    it('fails the bad-data job naming the line, without quoting the file, and without a version', () => {
      expect(failed).toMatchObject({ status: 'FAILED', stage: 'load', registered_version: null });
      expect(failed.error).toMatch(/^the data file cannot be trained on at line 10 \(its content is not repeated here/);
      expect(failed.error).not.toMatch(/twelve|tenure/);
    });

    it("records each job as an MLflow run that MLflow's Python client reads as such", async () => {
      const read = await readBack({ runs: [registered.id, failed.id] });
      expect(read.runs[registered.id]).toMatchObject({
        status: 'FINISHED',
        tags: {
          'training_worker.job': 'true',
          'training_worker.worker_id': workerId,
          'training_worker.idempotency_key': key,
          'mlflow.user': 'ci-trainer',
          'mlflow.source.name': 'training-worker POST /jobs',
          registered_version: '1',
        },
      });
      expect(read.runs[registered.id].artifacts).toEqual(
        expect.arrayContaining(['model/MLmodel', 'train_stats.json', 'split.json']),
      );
      expect(read.runs[failed.id]).toMatchObject({
        status: 'FAILED',
        tags: { error: expect.stringContaining('at line 10') },
      });
    });

    it('lists the jobs newest first, up to the limit', async () => {
      const response = await app.inject({ method: 'GET', url: '/jobs?limit=2', headers: { authorization: VIEWER } });
      expect(response.statusCode).toBe(200);
      expect(response.json<{ jobs: JobResponse[] }>().jobs.map((job) => job.id)).toEqual([failed.id, gated.id]);
      const all = await app.inject({ method: 'GET', url: '/jobs', headers: { authorization: TRAINER } });
      expect(all.json<{ jobs: JobResponse[] }>().jobs.map((job) => job.id)).toEqual([
        failed.id,
        gated.id,
        registered.id,
      ]);
    });

    it('reads the same records from a new app instance after a restart, and still honours the key', async () => {
      await app.close();
      app = await createApp(environment);
      expect(await getJob(app, registered.id)).toEqual(registered);
      const replay = await postJob(app, { data: 'telco.csv', model_name: modelName, idempotency_key: key });
      expect(replay.statusCode).toBe(200);
      expect(replay.json().id).toBe(registered.id);
    });
  });

  it("marks this worker's RUNNING and SCHEDULED job runs FAILED at start-up, and leaves other workers' alone", async () => {
    const mlflow = testClient();
    const { experiment_id } = await mlflow.experiments.getOrCreate(experiment);
    const jobTags = (worker: string) => ({
      'training_worker.job': 'true',
      'training_worker.worker_id': worker,
      'training_worker.stage': 'fit',
    });
    const crashedRunning = await mlflow.runs.create({
      experiment_id,
      run_name: 'crashed-running',
      tags: jobTags(workerId),
    });
    const crashedQueued = await mlflow.runs.create({
      experiment_id,
      run_name: 'crashed-queued',
      tags: jobTags(workerId),
    });
    await mlflow.runs.update({ run_id: crashedQueued.info.run_id, status: 'SCHEDULED' });
    const otherReplica = await mlflow.runs.create({
      experiment_id,
      run_name: 'other-replica',
      tags: jobTags('another-worker'),
    });

    const restarted = await createApp(environment);
    try {
      const running = await getJob(restarted, crashedRunning.info.run_id);
      expect(running).toMatchObject({ status: 'FAILED', stage: 'fit' });
      expect(running.error).toMatch(new RegExp(`training-worker ${workerId} restarted while this job was running`));
      expect((await getJob(restarted, crashedQueued.info.run_id)).status).toBe('FAILED');
      expect((await getJob(restarted, otherReplica.info.run_id)).status).toBe('RUNNING');
    } finally {
      await restarted.close();
    }
  });
});
