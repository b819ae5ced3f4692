// Secrets given to the apps never come back out: not in a log line, not in a response body. Each
// app gets MLflow's credentials inside its tracking URI (`http://ops:<password>@host`, as an
// operator may pass them) and its tokens; the three run a whole lifecycle against a real MLflow
// (train, promote with a push, predict, feedback, refused tokens), then MLflow is killed and every
// path that reports an MLflow failure runs. Every captured line and body is searched for every secret.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MlflowServer, stopWithThisProcess } from './support/mlflow-server';
import { answers, freePort, runToCompletion, startProcess, workspaceRoot, type TestProcess } from './support/processes';
import { TELCO_CSV, TELCO_CUSTOMER } from './support/telco';

const MODEL = 'churn_model';
const secret = (label: string) => `${label}-${randomBytes(16).toString('hex')}`;

const SECRETS = {
  uriPassword: secret('uri'),
  deployerToken: secret('deployer'),
  trainerToken: secret('trainer'),
  inferenceAdminToken: secret('reload'),
  feedbackToken: secret('feedback'),
  webhookSecret: secret('webhook'),
  wrongToken: secret('wrong'),
};

const app = (name: string) => join(workspaceRoot, 'dist/apps', name, 'main.js');

/** Every body an app answered in this test, with the request that got it. */
const bodies: { request: string; status: number; body: string }[] = [];

async function call(
  url: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  const response = await fetch(url, { ...init, headers });
  const answer = { status: response.status, body: await response.text() };
  bodies.push({ request: `${init.method ?? 'GET'} ${url}`, ...answer });
  return answer;
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('secrets in the tracking URI and in tokens', () => {
  let dataDir: string;
  let mlflow: MlflowServer;
  const processes: Record<string, TestProcess> = {};
  const urls: Record<string, string> = {};
  let trackingUri: string;
  let trainingOutput = '';

  async function startApp(name: string, env: Record<string, string>): Promise<void> {
    const port = await freePort();
    const internalPort = await freePort();
    const started = startProcess(process.execPath, [app(name)], {
      PORT: String(port),
      ...(name === 'inference-api' ? { INTERNAL_PORT: String(internalPort) } : {}),
      HOST: '127.0.0.1',
      MLFLOW_TRACKING_URI: trackingUri,
      ...env,
    });
    stopWithThisProcess(started.child.pid as number);
    processes[name] = started;
    urls[name] = `http://127.0.0.1:${port}`;
    if (name === 'inference-api') urls['inference-internal'] = `http://127.0.0.1:${internalPort}`;
    await waitUntil(`${name} to answer`, async () => {
      if (started.child.exitCode !== null) throw new Error(`${name} exited:\n${started.output}`);
      return (await answers(urls[name])) || undefined;
    });
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'churn-secrets-'));
    mlflow = new MlflowServer(await freePort(), dataDir);
    await mlflow.start();
    trackingUri = `http://ops:${SECRETS.uriPassword}@127.0.0.1:${mlflow.port}`;

    const trained = await runToCompletion(
      process.execPath,
      [
        app('training-worker'),
        'train',
        `--data=${TELCO_CSV}`,
        `--model-name=${MODEL}`,
        '--gate-f1=0',
        '--register=true',
      ],
      { MLFLOW_TRACKING_URI: trackingUri },
    );
    trainingOutput = trained.output;
    if (trained.code !== 0) throw new Error(`training exited with ${trained.code}:\n${trained.output}`);

    await startApp('inference-api', {
      INFERENCE_ADMIN_TOKEN: SECRETS.inferenceAdminToken,
      FEEDBACK_TOKEN: SECRETS.feedbackToken,
      MLFLOW_WEBHOOK_SECRET: SECRETS.webhookSecret,
      MODEL_CACHE_DIR: join(dataDir, 'cache'),
      INFERENCE_STORE_URL: `sqlite:${join(dataDir, 'predictions.db')}`,
      POLL_INTERVAL_MS: '0',
    });
    await startApp('registry-admin', {
      API_TOKENS: `ci:deployer+viewer:${SECRETS.deployerToken}`,
      INFERENCE_URLS: urls['inference-internal'],
      INFERENCE_ADMIN_TOKEN: SECRETS.inferenceAdminToken,
      MLFLOW_WEBHOOK_SECRET: SECRETS.webhookSecret,
    });
    await startApp('training-worker', {
      API_TOKENS: `ci:trainer:${SECRETS.trainerToken}`,
      SYNTHETIC_ROWS: '500',
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
    });
  }, 300_000);

  afterAll(async () => {
    for (const started of Object.values(processes)) started.signalGroup('SIGKILL');
    mlflow?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a lifecycle, refuses wrong tokens and reports MLflow down, echoing no secret', async () => {
    const registry = urls['registry-admin'];
    const inference = urls['inference-api'];
    const internal = urls['inference-internal'];
    const worker = urls['training-worker'];

    // The lifecycle, every call authenticated: promote (pushed to inference-api with its admin
    // token), predict, feedback, a training job through the REST API.
    const promoted = await call(`${registry}/models/${MODEL}/promote`, {
      method: 'POST',
      token: SECRETS.deployerToken,
      body: JSON.stringify({ to: 1 }),
    });
    expect(promoted.status).toBe(200);
    await waitUntil('inference-api to serve v1', async () => {
      const health = await call(`${inference}/health`);
      return health.body.includes(`${MODEL}@production (v1)`) || undefined;
    });
    const predicted = await call(`${inference}/predict`, {
      method: 'POST',
      body: JSON.stringify({ ...TELCO_CUSTOMER, request_id: 'secret-test-1' }),
    });
    expect(predicted.status).toBe(200);
    const feedback = await call(`${internal}/feedback`, {
      method: 'POST',
      token: SECRETS.feedbackToken,
      body: JSON.stringify({ request_id: 'secret-test-1', actual: 1 }),
    });
    expect(feedback.status).toBe(200);
    const job = await call(`${worker}/jobs`, {
      method: 'POST',
      token: SECRETS.trainerToken,
      body: JSON.stringify({ seed: 7, register: false }),
    });
    expect(job.status).toBe(202);
    const jobId = (JSON.parse(job.body) as { id: string }).id;
    await waitUntil('the training job to end', async () => {
      const state = await call(`${worker}/jobs/${jobId}`, { token: SECRETS.trainerToken });
      return /"status":"(FINISHED|FAILED)"/.test(state.body) || undefined;
    });

    // Wrong and missing tokens on every app's guarded routes.
    const refused = await Promise.all([
      call(`${registry}/models/${MODEL}/promote`, { method: 'POST', token: SECRETS.wrongToken, body: '{}' }),
      call(`${worker}/jobs`, { method: 'POST', token: SECRETS.wrongToken, body: '{}' }),
      call(`${internal}/admin/reload`, { method: 'POST', token: SECRETS.wrongToken, body: '{}' }),
      call(`${internal}/feedback`, { method: 'POST', token: SECRETS.wrongToken, body: '{}' }),
      call(`${internal}/webhooks/mlflow`, { method: 'POST', body: '{"entity":"model_version_tag"}' }),
    ]);
    for (const answer of refused) expect([400, 401, 403]).toContain(answer.status);

    // MLflow gone: every app reports it, naming MLflow, through paths that hold the tracking URI.
    mlflow.kill();
    const down = await Promise.all([
      call(`${registry}/models/${MODEL}/versions`, { token: SECRETS.deployerToken }),
      call(`${registry}/models/${MODEL}/promote`, {
        method: 'POST',
        token: SECRETS.deployerToken,
        body: JSON.stringify({ to: 1 }),
      }),
    ]);
    for (const answer of down) expect(answer.status).toBeGreaterThanOrEqual(500);
    // A reload answers with what each slot serves and the slot's last error (MLflow's failure).
    const reload = await call(`${internal}/admin/reload`, {
      method: 'POST',
      token: SECRETS.inferenceAdminToken,
      body: JSON.stringify({ name: MODEL }),
    });
    expect(reload.status).toBe(200);
    const failedJob = await call(`${worker}/jobs`, {
      method: 'POST',
      token: SECRETS.trainerToken,
      body: JSON.stringify({ seed: 8, register: false }),
    });
    if (failedJob.status === 202) {
      const failedId = (JSON.parse(failedJob.body) as { id: string }).id;
      await waitUntil('the job against a dead MLflow to fail', async () => {
        const state = await call(`${worker}/jobs/${failedId}`, { token: SECRETS.trainerToken });
        return /"status":"FAILED"/.test(state.body) || undefined;
      });
    } else expect(failedJob.status).toBeGreaterThanOrEqual(500);

    // Give the apps a moment to write what they log about the failures, then search everything.
    await new Promise((r) => setTimeout(r, 1000));
    const captured = [
      { source: 'train CLI output', text: trainingOutput },
      ...Object.entries(processes).map(([name, started]) => ({ source: `${name} output`, text: started.output })),
      ...bodies.map((answer) => ({ source: `${answer.request} -> ${answer.status}`, text: answer.body })),
    ];
    const leaks = captured.flatMap(({ source, text }) =>
      Object.entries(SECRETS)
        .filter(([, value]) => text.includes(value))
        .map(([name]) => `${name} in ${source}`),
    );
    expect(leaks).toEqual([]);
    // The search is not vacuous: the apps did report MLflow's failures, in logs and bodies.
    expect(down.map((answer) => /mlflow/i.test(answer.body))).toEqual([true, true]);
    expect(Object.values(processes).some((started) => /mlflow/i.test(started.output))).toBe(true);
  });
});
