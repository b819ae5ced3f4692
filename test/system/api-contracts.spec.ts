// The OpenAPI documents are contracts: schemathesis (an outside fuzzer, pinned in
// tools/contracts/requirements.txt) runs every operation of each app's document against the running
// app with a token holding every role, `--checks all`, a fixed seed, a bounded number of examples
// and a time budget, and must find no failure (which includes no 5xx). The apps run on a real MLflow
// holding one trained version, so the fuzzer reaches past "model not found"; training jobs it
// starts run on small synthetic data. Operation-level exceptions live in tools/contracts/<app>.toml,
// each with its reason. inference-api is fuzzed on both its listeners (each serves its own
// document), with the operations that take their own secret sent those (tools/contracts/inference-api.toml).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MlflowServer, stopWithThisProcess } from './support/mlflow-server';
import { answers, freePort, runToCompletion, startProcess, workspaceRoot, type TestProcess } from './support/processes';
import { TELCO_CSV } from './support/telco';

const TOKEN = 'contract-fuzzer-0123456789abcdef';
const API_TOKENS = `fuzzer:viewer+deployer+trainer:${TOKEN}`;
/** inference-api's own secrets, which its toml sends to the operations that take them. */
const INFERENCE_SECRETS = {
  INFERENCE_ADMIN_TOKEN: 'contract-admin-0123456789abcdef',
  FEEDBACK_TOKEN: 'contract-feedback-0123456789abcd',
};
const built = (name: string) => join(workspaceRoot, 'dist/apps', name, 'main.js');

interface AppUnderTest {
  name: 'registry-admin' | 'training-worker' | 'inference-api';
  env: Record<string, string>;
  /** tools/contracts/<name>.toml, when the app has operation-level settings. */
  config?: string;
  /** Listeners besides PORT whose documents are fuzzed too, by the setting that names their port. */
  otherListeners?: string[];
}

const APPS: AppUnderTest[] = [
  { name: 'registry-admin', env: { API_TOKENS }, config: join(workspaceRoot, 'tools/contracts/registry-admin.toml') },
  {
    name: 'training-worker',
    env: { API_TOKENS, SYNTHETIC_ROWS: '300', WORKER_ID: 'contract-test' },
    config: join(workspaceRoot, 'tools/contracts/training-worker.toml'),
  },
  {
    name: 'inference-api',
    env: { API_TOKENS, ...INFERENCE_SECRETS, MAX_BATCH_ROWS: '50', SHADOW_QUEUE_SIZE: '10' },
    config: join(workspaceRoot, 'tools/contracts/inference-api.toml'),
    otherListeners: ['INTERNAL_PORT'],
  },
];

describe('API contracts: schemathesis finds nothing against each running app', () => {
  let dataDir: string;
  let mlflow: MlflowServer;
  const started: TestProcess[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'churn-contracts-'));
    // Webhooks to local http receivers allowed, as on the development stack (tools/mlflow/mlflow.mjs).
    mlflow = new MlflowServer(await freePort(), join(dataDir, 'mlflow'), undefined, {
      env: { MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https', MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: 'true' },
    });
    await mlflow.start();
    await trainVersion();
  }, 420_000);

  /** Trains churn_model on the Telco data and registers it. @returns the new version's number */
  async function trainVersion(): Promise<number> {
    const trained = await runToCompletion(
      process.execPath,
      [
        built('training-worker'),
        'train',
        `--data=${TELCO_CSV}`,
        '--model-name=churn_model',
        '--gate-f1=0',
        '--register=true',
      ],
      { MLFLOW_TRACKING_URI: mlflow.url },
      300_000,
    );
    const registered = /Model Registry : churn_model v(\d+)/.exec(trained.output)?.[1];
    if (trained.code !== 0 || registered === undefined)
      throw new Error(`training exited with ${trained.code}:\n${trained.output}`);
    return Number(registered);
  }

  /** churn_model's version numbers, lowest first. */
  async function versions(): Promise<number[]> {
    const filter = encodeURIComponent("name='churn_model'");
    const response = await fetch(`${mlflow.url}/api/2.0/mlflow/model-versions/search?filter=${filter}`);
    if (!response.ok) throw new Error(`listing churn_model's versions: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { model_versions?: Array<{ version: string }> };
    return (body.model_versions ?? []).map((version) => Number(version.version)).sort((a, b) => a - b);
  }

  /**
   * Points `production` at version 1 again, whatever registry-admin's fuzzing did to aliases; had
   * it deleted version 1 (which it may: no alias holds it then), at a Telco version trained anew.
   */
  async function servedAlias(): Promise<void> {
    // Not the newest version: training jobs the fuzzer started may have registered synthetic ones.
    const version = (await versions()).includes(1) ? 1 : await trainVersion();
    const response = await fetch(`${mlflow.url}/api/2.0/mlflow/registered-models/alias`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'churn_model', alias: 'production', version: String(version) }),
    });
    if (!response.ok) throw new Error(`setting churn_model@production: ${response.status} ${await response.text()}`);
  }

  /** Waits until inference-api answers /ready: the fuzzer's valid predictions need a loaded model. */
  async function servedModel(url: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while ((await fetch(`${url}/ready`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) throw new Error('inference-api did not load churn_model@production');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  afterAll(() => {
    for (const process of started) process.signalGroup('SIGKILL');
    mlflow?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(APPS)(
    '$name: 0 failures over every operation of its document',
    async (app) => {
      if (app.name === 'inference-api') await servedAlias();
      const port = await freePort();
      const otherPorts = new Map<string, number>();
      for (const setting of app.otherListeners ?? []) otherPorts.set(setting, await freePort());
      const server = startProcess(process.execPath, [built(app.name)], {
        PORT: String(port),
        HOST: '127.0.0.1',
        MLFLOW_TRACKING_URI: mlflow.url,
        MODEL_CACHE_DIR: join(dataDir, `${app.name}-model-cache`),
        INFERENCE_STORE_URL: `sqlite:${join(dataDir, `${app.name}-predictions.db`)}`,
        ...Object.fromEntries([...otherPorts].map(([setting, other]) => [setting, String(other)])),
        ...app.env,
      });
      stopWithThisProcess(server.child.pid as number);
      started.push(server);
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 120_000;
      while (!(await answers(url))) {
        if (server.child.exitCode !== null || Date.now() > deadline)
          throw new Error(`${app.name} did not come up:\n${server.output}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      if (app.name === 'inference-api') await servedModel(url);
      for (const base of [url, ...[...otherPorts.values()].map((other) => `http://127.0.0.1:${other}`)]) {
        const run = await runToCompletion(
          process.execPath,
          [
            join(workspaceRoot, 'tools/contracts/schemathesis.mjs'),
            `--document=${base}/docs-json`,
            `--url=${base}`,
            `--token=${TOKEN}`,
            '--seed=1',
            '--max-examples=10',
            '--max-time=120',
            ...(app.config ? [`--config=${app.config}`] : []),
          ],
          // The toml reads the app's own secrets from the environment.
          INFERENCE_SECRETS,
          600_000,
        );
        const failures = /^failures: (\d+)$/m.exec(run.output)?.[1];
        // The whole report on failure: each case with its curl to reproduce it.
        expect({ base, failures, code: run.code, report: failures === '0' ? '' : run.output }).toEqual({
          base,
          failures: '0',
          code: 0,
          report: '',
        });
        expect(run.output).toMatch(/API Operations:\s+Selected: (\d+)\/\1\s+Tested: \1\b/);
      }
    },
    1_200_000,
  );
});
