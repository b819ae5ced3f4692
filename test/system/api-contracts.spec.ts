// The OpenAPI documents are contracts: schemathesis (an outside fuzzer, pinned in
// tools/contracts/requirements.txt) runs every operation of each app's document against the running
// app with a token holding every role, `--checks all`, a fixed seed, a bounded number of examples
// and a time budget, and must find no failure (which includes no 5xx). The apps run on a real MLflow
// holding one trained version, so the fuzzer reaches past "model not found"; training jobs it
// starts run on small synthetic data. Operation-level exceptions live in tools/contracts/<app>.toml,
// each with its reason. inference-api is not here yet: it has not adopted the kit's error answers
// and contract statement (issue 16).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MlflowServer, stopWithThisProcess } from './support/mlflow-server';
import { answers, freePort, runToCompletion, startProcess, workspaceRoot, type TestProcess } from './support/processes';
import { TELCO_CSV } from './support/telco';

const TOKEN = 'contract-fuzzer-0123456789abcdef';
const API_TOKENS = `fuzzer:viewer+deployer+trainer:${TOKEN}`;
const built = (name: string) => join(workspaceRoot, 'dist/apps', name, 'main.js');

interface AppUnderTest {
  name: 'registry-admin' | 'training-worker';
  env: Record<string, string>;
  /** tools/contracts/<name>.toml, when the app has operation-level settings. */
  config?: string;
}

const APPS: AppUnderTest[] = [
  { name: 'registry-admin', env: { API_TOKENS }, config: join(workspaceRoot, 'tools/contracts/registry-admin.toml') },
  {
    name: 'training-worker',
    env: { API_TOKENS, SYNTHETIC_ROWS: '300', WORKER_ID: 'contract-test' },
    config: join(workspaceRoot, 'tools/contracts/training-worker.toml'),
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
    if (trained.code !== 0) throw new Error(`training exited with ${trained.code}:\n${trained.output}`);
  }, 420_000);

  afterAll(() => {
    for (const process of started) process.signalGroup('SIGKILL');
    mlflow?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(APPS)(
    '$name: 0 failures over every operation of its document',
    async (app) => {
      const port = await freePort();
      const server = startProcess(process.execPath, [built(app.name)], {
        PORT: String(port),
        HOST: '127.0.0.1',
        MLFLOW_TRACKING_URI: mlflow.url,
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
      const run = await runToCompletion(
        process.execPath,
        [
          join(workspaceRoot, 'tools/contracts/schemathesis.mjs'),
          `--document=${url}/docs-json`,
          `--url=${url}`,
          `--token=${TOKEN}`,
          '--seed=1',
          '--max-examples=10',
          '--max-time=120',
          ...(app.config ? [`--config=${app.config}`] : []),
        ],
        {},
        600_000,
      );
      const failures = /^failures: (\d+)$/m.exec(run.output)?.[1];
      // The whole report on failure: each case with its curl to reproduce it.
      expect({ failures, code: run.code, report: failures === '0' ? '' : run.output }).toEqual({
        failures: '0',
        code: 0,
        report: '',
      });
      expect(run.output).toMatch(/API Operations:\s+Selected: (\d+)\/\1\s+Tested: \1\b/);
    },
    720_000,
  );
});
