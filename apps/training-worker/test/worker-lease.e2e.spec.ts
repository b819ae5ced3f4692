// A job left by a worker that is gone, with real processes: a training-worker runs a job on a large
// CSV and is killed with SIGKILL; a second worker under another name (a replaced pod) settles that
// job and the one queued behind it once their lease runs out, frees their idempotency keys, and a new
// request with the first key starts a new job. A worker that was only slow finds its job settled and
// stops before registering anything.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { tagsToRecord, type Run } from '@churn/mlflow-client';
import { freePort } from '@churn/service-kit/testing';

import { validateTrainingWorkerConfig } from '../src/app/config/training-worker.config';
import { JobLeases } from '../src/app/jobs/job-leases';
import type { JobResponse } from '../src/app/jobs/job.response';
import { builtMain, readBack, telcoCsv, testClient, trackingUri, uniqueName, workspaceRoot } from './support';

const TOKEN = 'tr-lease-token-0001';
const API_TOKENS = `ci:trainer+viewer:${TOKEN}`;
/** Small, so the test sees a lease run out; the lease is recorded on each job by the worker that holds it. */
const LEASE = { JOB_HEARTBEAT_MS: '500', JOB_LEASE_MS: '3000' };
/** How long the test waits for a worker to act (a bound, not a measurement). */
const ACTS_WITHIN_MS = 120_000;
/** Telco's rows repeated: loading them alone keeps the job running for seconds, heartbeats flowing. */
const LARGE_CSV_COPIES = 80;

interface Worker {
  id: string;
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** The workers' DATA_DIR: REST jobs read only under it. */
const dataDir = mkdtempSync(join(tmpdir(), 'training-worker-lease-'));

async function startWorker(id: string, experiment: string): Promise<Worker> {
  const port = await freePort();
  const child = spawn(process.execPath, [builtMain], {
    cwd: workspaceRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MLFLOW_TRACKING_URI: trackingUri(),
      API_TOKENS,
      EXPERIMENT_NAME: experiment,
      DATA_DIR: dataDir,
      WORKER_ID: id,
      JOB_CONCURRENCY: '1',
      ...LEASE,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const worker = { id, url: `http://127.0.0.1:${port}`, child, output: () => output };
  await until(`${id} answers /health`, async () => {
    if (child.exitCode !== null) throw new Error(`${id} exited (${child.exitCode}):\n${output}`);
    return fetch(`${worker.url}/health`).then(
      (response) => response.ok,
      () => false,
    );
  });
  return worker;
}

/** SIGKILL to the worker's process group, as a node losing the pod does; resolves once it is gone. */
async function kill(worker: Worker): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  try {
    process.kill(-(worker.child.pid as number), 'SIGKILL');
  } catch {
    // already gone
  }
  await exited;
}

async function until<T>(what: string, check: () => Promise<T | false | undefined>): Promise<T> {
  const deadline = Date.now() + ACTS_WITHIN_MS;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function post(worker: Worker, body: Record<string, unknown>) {
  const response = await fetch(`${worker.url}/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    job: (await response.json()) as JobResponse,
  };
}

async function job(worker: Worker, id: string): Promise<JobResponse> {
  const response = await fetch(`${worker.url}/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (response.status !== 200) throw new Error(`GET /jobs/${id}: ${response.status} ${await response.text()}`);
  return (await response.json()) as JobResponse;
}

const heartbeatOf = (run: Run): string | undefined => tagsToRecord(run.data.tags)['training_worker.heartbeat'];

describe('a job whose worker is gone (real processes)', () => {
  const mlflow = testClient();
  const experiment = uniqueName('lease-exp');
  const modelName = uniqueName('lease-model');
  const workDir = dataDir;
  const largeCsv = join(workDir, 'large.csv');
  const dataCsv = join(workDir, 'telco.csv');
  const workers: Worker[] = [];

  beforeAll(() => {
    const [header, ...rows] = readFileSync(telcoCsv, 'utf8').trimEnd().split(/\r?\n/);
    const body = `${rows.join('\n')}\n`;
    writeFileSync(largeCsv, `${header}\n${body.repeat(LARGE_CSV_COPIES)}`);
    copyFileSync(telcoCsv, dataCsv);
  });

  afterAll(async () => {
    for (const worker of workers) await kill(worker);
    rmSync(workDir, { recursive: true, force: true });
  });

  it(
    'settles the running and the queued job of a killed worker, frees their keys, and the key starts a new job',
    async () => {
      const first = await startWorker(uniqueName('worker-a'), experiment);
      workers.push(first);
      const key = uniqueName('nightly');
      const running = await post(first, { data: largeCsv, model_name: modelName, idempotency_key: key });
      const queued = await post(first, { data: dataCsv, model_name: modelName, idempotency_key: uniqueName('k') });
      expect([running.status, queued.status]).toEqual([202, 202]);

      // Running, with a heartbeat that moves: then the worker dies mid-training.
      const started = await until('the first job runs', async () => {
        const run = await mlflow.runs.get(running.job.id);
        return run.info.status === 'RUNNING' && heartbeatOf(run) !== undefined ? run : false;
      });
      await until(
        'its heartbeat is refreshed',
        async () => heartbeatOf(await mlflow.runs.get(running.job.id)) !== heartbeatOf(started),
      );
      await kill(first);
      expect((await mlflow.runs.get(running.job.id)).info.status).toBe('RUNNING');
      expect((await mlflow.runs.get(queued.job.id)).info.status).toBe('SCHEDULED');

      const second = await startWorker(uniqueName('worker-b'), experiment);
      workers.push(second);
      const settled = await until('the running job is settled', async () => {
        const read = await job(second, running.job.id);
        return read.status === 'FAILED' ? read : false;
      });
      const lastHeartbeat = heartbeatOf(await mlflow.runs.get(running.job.id)) as string;
      expect(settled.error).toBe(
        `training-worker ${first.id} is gone: the job was running and its last heartbeat was at ${lastHeartbeat}, longer ago than its 3000 ms lease (settled by ${second.id}); submit it again`,
      );
      expect(settled).toMatchObject({ registered_version: null, last_heartbeat: lastHeartbeat });
      const settledQueued = await until('the queued job is settled', async () => {
        const read = await job(second, queued.job.id);
        return read.status === 'FAILED' ? read : false;
      });
      expect(settledQueued.error).toMatch(
        new RegExp(`^training-worker ${first.id} is gone: the job was queued and its last heartbeat was at `),
      );

      // MLflow's own client reads the runs as ended FAILED, with the key released.
      const read = await readBack({ runs: [running.job.id, queued.job.id] });
      for (const id of [running.job.id, queued.job.id]) {
        expect(read.runs[id]).toMatchObject({
          status: 'FAILED',
          tags: { 'training_worker.idempotency_key_released': 'true' },
        });
      }

      // The key is free: a new job, then that job for the repeated key.
      const again = await post(second, { data: dataCsv, model_name: modelName, idempotency_key: key });
      expect(again.status).toBe(202);
      expect(again.job.id).not.toBe(running.job.id);
      const replay = await post(second, { data: dataCsv, model_name: modelName, idempotency_key: key });
      expect({ status: replay.status, replayed: replay.replayed, id: replay.job.id }).toEqual({
        status: 200,
        replayed: 'true',
        id: again.job.id,
      });
      const finished = await until('the new job ends', async () => {
        const read = await job(second, again.job.id);
        return read.status === 'FINISHED' || read.status === 'FAILED' ? read : false;
      });
      // The dead worker's job registered nothing: the new one is version 1.
      expect(finished).toMatchObject({ status: 'FINISHED', registered_version: '1', error: null });
    },
    ACTS_WITHIN_MS * 3,
  );

  it(
    'a worker whose job was settled meanwhile stops before registering a version and leaves the settlement as it is',
    async () => {
      const slow = await startWorker(uniqueName('worker-c'), experiment);
      workers.push(slow);
      const otherModel = uniqueName('lease-unregistered');
      const submitted = await post(slow, { data: largeCsv, model_name: otherModel });
      expect(submitted.status).toBe(202);
      await until('the job runs', async () => (await mlflow.runs.get(submitted.job.id)).info.status === 'RUNNING');
      // What another worker's sweep does to a job it takes for abandoned, done here while the worker lives.
      const reason = 'settled by the test as another worker would';
      await new JobLeases(mlflow, validateTrainingWorkerConfig({ MLFLOW_TRACKING_URI: trackingUri() })).settle(
        submitted.job.id,
        reason,
      );
      await until('the worker stops the job', async () =>
        /stopped: job [0-9a-f]{32} was settled by another worker/.test(slow.output()),
      );
      expect(await job(slow, submitted.job.id)).toMatchObject({
        status: 'FAILED',
        error: reason,
        registered_version: null,
      });
      const versions = await mlflow.modelVersions.search({ filter: `name='${otherModel}'` }).toArray();
      expect(versions).toEqual([]);
    },
    ACTS_WITHIN_MS * 2,
  );
});
