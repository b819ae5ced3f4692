import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  clientAs,
  freshCredentials,
  initEnvironment,
  runInit,
  secretFor,
  startAuthMlflow,
  type AppCredentials,
  type Credentials,
} from './support/auth-mlflow';
import { killGroup, MlflowServer, stopWithThisProcess } from './support/mlflow-server';
import { freePort, startProcess, TestProcess, waitUntilAnswering, workspaceRoot } from './support/processes';
import { TELCO_CSV, TELCO_CUSTOMER } from './support/telco';

// The whole lifecycle as deployed with MLflow's auth on: the init step sets up the server, then each
// built app runs as a real process with its own MLflow user (training-worker trains, registry-admin
// promotes and rolls back, inference-api serves with READ only). inference-api does not poll and
// registry-admin pushes to no one, so every version inference-api serves reached it through the
// MLflow webhook the init step registered, signed with the secret it was given.

const MODEL = 'churn_model';
const ALIAS = 'production';
const AUDIT = `${MODEL}.alias-audit`;
/** Webhook deliveries are asynchronous (MLflow's thread pool, a download and warm-up in inference-api). */
const SERVE_DEADLINE_MS = 60_000;

const built = (name: string) => join(workspaceRoot, 'dist/apps', name, 'main.js');

interface Job {
  id: string;
  status: string;
  registered_version: string | null;
  error: string | null;
}

describe('the lifecycle with MLflow’s auth on and one MLflow user per app', () => {
  let dataDir: string;
  let mlflow: MlflowServer;
  let credentials: AppCredentials;
  const servers: TestProcess[] = [];
  const urls = { inference: '', registry: '', training: '' };
  const deployerToken = secretFor('deployer');
  const trainerToken = secretFor('trainer');
  const webhookSecret = secretFor('webhook');

  function start(name: string, port: number, mlflowUser: Credentials, env: NodeJS.ProcessEnv): TestProcess {
    const server = startProcess(process.execPath, [built(name)], {
      MLFLOW_TRACKING_URI: mlflow.url,
      MLFLOW_TRACKING_USERNAME: mlflowUser.username,
      MLFLOW_TRACKING_PASSWORD: mlflowUser.password,
      MODEL_NAME: MODEL,
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    });
    stopWithThisProcess(server.child.pid as number);
    servers.push(server);
    return server;
  }

  async function post(url: string, token: string, body: unknown): Promise<{ status: number; json: unknown }> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  }

  /** A training job through training-worker's REST API, followed to its end. */
  async function trainJob(body: Record<string, unknown>): Promise<{ status: number; job: Job }> {
    const created = await post(`${urls.training}/jobs`, trainerToken, body);
    if (created.status !== 202) return { status: created.status, job: created.json as Job };
    const id = (created.json as Job).id;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const job = (await (
        await fetch(`${urls.training}/jobs/${id}`, { headers: { authorization: `Bearer ${trainerToken}` } })
      ).json()) as Job;
      if (job.status === 'FINISHED' || job.status === 'FAILED') return { status: created.status, job };
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after 240 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async function train(seed: number): Promise<string> {
    const { job } = await trainJob({ data: TELCO_CSV, model_name: MODEL, seed });
    expect({ status: job.status, error: job.error }).toEqual({ status: 'FINISHED', error: null });
    return job.registered_version as string;
  }

  async function move(action: 'promote' | 'rollback', body: Record<string, unknown>, expected: string) {
    const { status, json } = await post(`${urls.registry}/models/${MODEL}/${action}`, deployerToken, {
      alias: ALIAS,
      reason: `auth system test: ${action}`,
      ...body,
    });
    expect({ status, to: (json as { to_version?: string }).to_version }).toEqual({ status: 200, to: expected });
  }

  /** inference-api's /health names the version, which it can only have learned from the webhook. */
  async function expectServed(version: string): Promise<void> {
    const wanted = `${MODEL}@${ALIAS} (v${version})`;
    const deadline = Date.now() + SERVE_DEADLINE_MS;
    let last = '';
    while (Date.now() < deadline) {
      last = await (await fetch(`${urls.inference}/health`)).text();
      if ((JSON.parse(last) as { model: string | null }).model === wanted) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`inference-api still answers ${last} ${SERVE_DEADLINE_MS} ms after the move to v${version}`);
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'churn-auth-lifecycle-'));
    credentials = freshCredentials();
    mlflow = await startAuthMlflow(join(dataDir, 'mlflow'), credentials.admin);
    const [inferencePort, registryPort, trainingPort] = [await freePort(), await freePort(), await freePort()];
    urls.inference = `http://127.0.0.1:${inferencePort}`;
    urls.registry = `http://127.0.0.1:${registryPort}`;
    urls.training = `http://127.0.0.1:${trainingPort}`;
    // MLflow delivers to inference-api's internal listener, where /webhooks/mlflow is served.
    const inferenceInternalPort = await freePort();
    const init = await runInit(
      initEnvironment(mlflow.url, credentials, {
        url: `http://127.0.0.1:${inferenceInternalPort}`,
        secret: webhookSecret,
      }),
    );
    if (init.code !== 0) throw new Error(`the init step exited with ${init.code}:\n${init.output}`);

    const inference = start('inference-api', inferencePort, credentials['inference-api'], {
      MODEL_ALIAS: ALIAS,
      INTERNAL_PORT: String(inferenceInternalPort),
      // Push only: what inference-api serves comes from MLflow's webhook deliveries.
      POLL_INTERVAL_MS: '0',
      MLFLOW_WEBHOOK_SECRET: webhookSecret,
      MODEL_CACHE_DIR: join(dataDir, 'model-cache'),
      INFERENCE_STORE_URL: `sqlite:${join(dataDir, 'predictions.db')}`,
    });
    const registry = start('registry-admin', registryPort, credentials['registry-admin'], {
      MODEL_ALIAS: ALIAS,
      API_TOKENS: `release-bot:viewer+deployer:${deployerToken}`,
      INFERENCE_URLS: '',
    });
    const training = start('training-worker', trainingPort, credentials['training-worker'], {
      API_TOKENS: `ci-trainer:trainer:${trainerToken}`,
      WORKER_ID: 'auth-system-test',
    });
    await Promise.all([
      waitUntilAnswering(urls.inference, inference, 90_000),
      waitUntilAnswering(urls.registry, registry, 90_000),
      waitUntilAnswering(urls.training, training, 90_000),
    ]);
  }, 600_000);

  afterAll(() => {
    for (const server of servers) killGroup(server.child.pid as number, 'SIGKILL');
    mlflow?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('trains v1 through training-worker and promotes it through registry-admin: inference-api serves v1', async () => {
    expect(await train(1)).toBe('1');
    await move('promote', { to: 1 }, '1');
    await expectServed('1');
    const predicted = await fetch(`${urls.inference}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(TELCO_CUSTOMER),
    });
    expect({ status: predicted.status, body: await predicted.json() }).toMatchObject({
      status: 200,
      body: { model: { name: MODEL, alias: ALIAS, version: '1' } },
    });
  }, 400_000);

  it('trains v2, promotes it, then rolls back: inference-api follows each move', async () => {
    expect(await train(2)).toBe('2');
    await move('promote', {}, '2');
    await expectServed('2');
    await move('rollback', {}, '1');
    await expectServed('1');
  }, 400_000);

  it('cannot make training-worker write a run into the audit experiment', async () => {
    const admin = clientAs(mlflow.url, credentials.admin);
    const auditId = (await admin.experiments.getByName(AUDIT)).experiment_id;
    const before = (await admin.runs.searchPage({ experiment_ids: [auditId], max_results: 1000 })).items.length;
    const { status, job } = await trainJob({ experiment: AUDIT, model_name: MODEL, seed: 3 });
    // Refused by training-worker itself, before MLflow (whose grants would refuse it too) is asked.
    const outcome = status === 202 ? `job ${job.status}` : `HTTP ${status}`;
    expect(outcome).toBe('HTTP 400');
    const after = (await admin.runs.searchPage({ experiment_ids: [auditId], max_results: 1000 })).items.length;
    expect(after).toBe(before);
  }, 300_000);

  it('kept every move in the audit with registry-admin’s caller as actor', async () => {
    const response = await fetch(`${urls.registry}/models/${MODEL}/history?alias=${ALIAS}`, {
      headers: { authorization: `Bearer ${deployerToken}` },
    });
    expect(response.status).toBe(200);
    const { records } = (await response.json()) as {
      records: {
        action: string;
        from_version: string | null;
        to_version: string | null;
        outcome: string;
        actor: string;
      }[];
    };
    expect(records.map((r) => [r.action, r.from_version, r.to_version, r.outcome, r.actor])).toEqual([
      ['rollback', '2', '1', 'committed', 'release-bot'],
      ['promote', '1', '2', 'committed', 'release-bot'],
      ['promote', null, '1', 'committed', 'release-bot'],
    ]);
    // Neither app met a refusal from MLflow on the way: their grants are all they need.
    for (const server of servers.slice(0, 2)) expect(server.output).not.toMatch(/HTTP 403|Permission denied/);
  });
});
