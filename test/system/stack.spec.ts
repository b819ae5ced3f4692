import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { registryState, type RegistryState } from './support/mlflow-server';
import { answers, freePort, startProcess, TestProcess } from './support/processes';
import { copyRepository, type RepositoryCopy } from './support/repository-copy';

const MODEL = 'churn_model';
/** The demo's steps as the stack prints them, in order, each with what it shows before the next step. */
const DEMO_STEPS: { header: string; shows: RegExp }[] = [
  { header: '[demo] step 1/8: train v1 on the Telco CSV', shows: /Model Registry : churn_model v1$/m },
  { header: '[demo] step 2/8: promote v1 to production', shows: /^ +churn_model@production -> v1$/m },
  { header: '[demo] step 3/8: train v2, seed 2', shows: /Model Registry : churn_model v2$/m },
  { header: '[demo] step 4/8: promote v2 to production', shows: /^ +churn_model@production -> v2$/m },
  {
    header: '[demo] step 5/8: inference-api serves v2',
    shows: /^ +\{"status":"ok","model":"churn_model@production \(v2\)"\}$/m,
  },
  {
    header: '[demo] step 6/8: predict one Telco customer',
    shows:
      /^ +\{"prediction":[01],"probability":[\d.e-]+,"model":\{"name":"churn_model","alias":"production","version":"2"\}/m,
  },
  { header: '[demo] step 7/8: roll production back', shows: /^ +\[OK\] rollback => v2 -> v1$/m },
  {
    header: '[demo] step 8/8: inference-api serves v1 again',
    shows: /^ +\{"status":"ok","model":"churn_model@production \(v1\)"\}$/m,
  },
];

/** Waits until inference-api has loaded a model (it loads in the background after /health first answers). */
async function servedModel(inferenceUrl: string, timeoutMs = 20_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = (await (await fetch(`${inferenceUrl}/health`)).json()) as { model: string | null };
    if (health.model !== null || Date.now() > deadline) return health;
    await new Promise((r) => setTimeout(r, 200));
  }
}

// The README's first command, run as a user runs it: `npm start` in a copy of the repository with
// nothing beside it (so nothing outside the repository can be read), then Ctrl-C; then once more
// on the same data, as the next day's start.
describe('npm start (the whole stack in the foreground)', () => {
  let stack: TestProcess;
  let restarted: TestProcess | undefined;
  let copy: RepositoryCopy;
  let afterDemo: RegistryState;
  const ports: Record<string, number> = {};
  const mlflowUrl = () => `http://127.0.0.1:${ports['mlflow']}`;
  const start = () =>
    startProcess(
      'npm',
      ['start'],
      {
        MLFLOW_TRACKING_URI: '',
        MLFLOW_PORT: String(ports['mlflow']),
        INFERENCE_API_PORT: String(ports['inference-api']),
        INFERENCE_API_INTERNAL_PORT: String(ports['inference-api-internal']),
        REGISTRY_ADMIN_PORT: String(ports['registry-admin']),
        TRAINING_WORKER_PORT: String(ports['training-worker']),
        // Nx built the apps before this test (the test target depends on their build targets) and
        // the copy carries that build.
        STACK_SKIP_BUILD: '1',
      },
      copy.root,
    );

  beforeAll(async () => {
    copy = copyRepository('churn-stack-test-', { withBuild: true });
    for (const name of ['mlflow', 'inference-api', 'inference-api-internal', 'registry-admin', 'training-worker'])
      ports[name] = await freePort();
    stack = start();
    await stack.waitFor(/^READY .*$/m, 230_000);
    afterDemo = await registryState(mlflowUrl(), MODEL);
  }, 240_000);

  afterAll(() => {
    stack.signalGroup('SIGKILL');
    restarted?.signalGroup('SIGKILL');
    copy.remove();
  });

  it("runs the seed's lifecycle as a demo on an empty registry, printing each step, before READY", async () => {
    const output = stack.output;
    expect(output).toContain("[demo] the registry holds no churn_model yet: running the seed's lifecycle (8 steps)");
    // On the Telco data the repository carries, read from the copy itself.
    expect(output).toContain(
      `[demo] step 1/8: train v1 on the Telco CSV (${join(copy.root, 'libs/churn-pipeline/data/telco-customer-churn.csv')})`,
    );
    const headers = DEMO_STEPS.map(({ header }) => output.indexOf(header));
    for (const [index, { header, shows }] of DEMO_STEPS.entries()) {
      if (headers[index] < 0 || (index > 0 && headers[index] < headers[index - 1]))
        throw new Error(`"${header}" is missing or out of order in:\n${output}`);
      const stepOutput = output.slice(headers[index], headers[index + 1] ?? output.indexOf('[demo] done'));
      if (!shows.test(stepOutput)) throw new Error(`"${header}" did not show ${shows}; it printed:\n${stepOutput}`);
    }
    expect(output.indexOf('[demo] done: churn_model v1 and v2 registered, production back on v1')).toBeLessThan(
      output.search(/^READY /m),
    );

    const health = await fetch(`http://127.0.0.1:${ports['inference-api']}/health`);
    expect(await health.json()).toEqual({ status: 'ok', model: 'churn_model@production (v1)' });
    expect(afterDemo.versions.map((v) => v.version)).toEqual(['1', '2']);
    expect(afterDemo.aliases).toEqual({ production: '1' });
  });

  it('prints READY with the URL of MLflow and of every app', () => {
    const ready = stack.output.match(/^READY .*$/m)?.[0] ?? '';
    expect(stack.output.match(/^READY /gm)).toHaveLength(1);
    expect(ready).toContain(`mlflow=http://127.0.0.1:${ports['mlflow']}`);
    for (const app of ['inference-api', 'inference-api-internal', 'registry-admin', 'training-worker']) {
      expect(ready).toContain(`${app}=http://127.0.0.1:${ports[app]}`);
    }
  });

  it('brings MLflow and the three apps up, each answering /health and serving its OpenAPI spec', async () => {
    const mlflow = await fetch(`${mlflowUrl()}/health`);
    expect(mlflow.status).toBe(200);
    for (const app of ['inference-api', 'registry-admin', 'training-worker']) {
      const health = await fetch(`http://127.0.0.1:${ports[app]}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      const spec = await fetch(`http://127.0.0.1:${ports[app]}/docs-json`);
      expect(((await spec.json()) as { info: { title: string } }).info.title).toBe(
        app === 'inference-api' ? 'inference-api (public listener)' : app,
      );
    }
    const internal = await fetch(`http://127.0.0.1:${ports['inference-api-internal']}/docs-json`);
    expect(((await internal.json()) as { info: { title: string } }).info.title).toBe(
      'inference-api (internal listener)',
    );
  });

  it("gives registry-admin, training-worker and inference-api's internal reads the dev token it prints", async () => {
    const token = /Authorization: Bearer (\S+)/.exec(stack.output)?.[1];
    expect(token).toBeDefined();
    const models = await fetch(`http://127.0.0.1:${ports['registry-admin']}/models/${MODEL}/versions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(models.status).toBe(200);
    const anonymous = await fetch(`http://127.0.0.1:${ports['registry-admin']}/models/${MODEL}/versions`);
    expect(anonymous.status).toBe(401);
    const model = `http://127.0.0.1:${ports['inference-api-internal']}/model`;
    expect((await fetch(model, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(model)).status).toBe(401);
  });

  it('stops every process it started on Ctrl-C', async () => {
    stack.signalGroup('SIGINT');
    // npm itself ends on the signal (its exit code is the shell's business); the stack script
    // goes on until every process it started is stopped, the last being MLflow.
    await stack.waitFor(/\[stack\] stopped mlflow/, 30_000);
    await stack.exited;
    for (const port of Object.values(ports)) {
      expect(await answers(`http://127.0.0.1:${port}`)).toBe(false);
    }
  });

  it('skips the demo and changes nothing when started again on the same data', async () => {
    restarted = start();
    await restarted.waitFor(/^READY .*$/m, 150_000);
    expect(restarted.output).toContain('[stack] the registry already holds churn_model: no demo, nothing changed');
    expect(restarted.output).not.toContain('[demo]');
    expect(await servedModel(`http://127.0.0.1:${ports['inference-api']}`)).toEqual({
      status: 'ok',
      model: 'churn_model@production (v1)',
    });
    expect(await registryState(mlflowUrl(), MODEL)).toEqual(afterDemo);

    restarted.signalGroup('SIGINT');
    await restarted.waitFor(/\[stack\] stopped mlflow/, 30_000);
  }, 180_000);
});

describe('npm start when a demo step fails', () => {
  let dataDir: string;
  let stack: TestProcess | undefined;

  afterAll(() => {
    stack?.signalGroup('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the step that failed, stops every process it started and exits with 1', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'churn-stack-fail-'));
    const ports: Record<string, number> = {};
    for (const name of [
      'mlflow',
      'inference-api',
      'inference-api-internal',
      'registry-admin',
      'training-worker',
      'nobody',
    ])
      ports[name] = await freePort();
    // The reload push goes where no replica listens and inference-api's polling is off, so after its
    // first load inference-api never follows a move: one of the demo's /health steps must fail. Which
    // one depends on timing: with no model yet, inference-api's start-up retries (backing off up to
    // 10 s) may load v1, or v2 if the second training finished first; then step 8 fails instead of 5.
    stack = startProcess('npm', ['start'], {
      MLFLOW_TRACKING_URI: '',
      MLFLOW_PORT: String(ports['mlflow']),
      MLFLOW_DATA_DIR: dataDir,
      INFERENCE_API_PORT: String(ports['inference-api']),
      INFERENCE_API_INTERNAL_PORT: String(ports['inference-api-internal']),
      REGISTRY_ADMIN_PORT: String(ports['registry-admin']),
      TRAINING_WORKER_PORT: String(ports['training-worker']),
      STACK_SKIP_BUILD: '1',
      INFERENCE_URLS: `http://127.0.0.1:${ports['nobody']}`,
      POLL_INTERVAL_MS: '0',
    });
    expect(await stack.exited).toBe(1);
    expect(stack.output).toMatch(
      /^\[demo\] FAILED at step (5\/8 \(inference-api serves v2\): inference-api did not serve churn_model@production \(v2\)|8\/8 \(inference-api serves v1 again\): inference-api did not serve churn_model@production \(v1\)) within 15s; \/health says \{/m,
    );
    expect(stack.output).not.toMatch(/^READY /m);
    expect(stack.output).toContain('[stack] stopped mlflow');
    for (const port of Object.values(ports)) {
      expect(await answers(`http://127.0.0.1:${port}`)).toBe(false);
    }
  }, 180_000);
});
