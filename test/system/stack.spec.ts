import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers, freePort, startProcess, TestProcess } from './support/processes';

// The README's first command, run as a user runs it: `npm start`, then Ctrl-C.
describe('npm start (the whole stack in the foreground)', () => {
  let stack: TestProcess;
  let dataDir: string;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'churn-stack-test-'));
    for (const name of ['mlflow', 'inference-api', 'registry-admin', 'training-worker']) ports[name] = await freePort();
    stack = startProcess('npm', ['start'], {
      MLFLOW_TRACKING_URI: '',
      MLFLOW_PORT: String(ports['mlflow']),
      MLFLOW_DATA_DIR: dataDir,
      INFERENCE_API_PORT: String(ports['inference-api']),
      REGISTRY_ADMIN_PORT: String(ports['registry-admin']),
      TRAINING_WORKER_PORT: String(ports['training-worker']),
      // Nx built the apps before this test (the test target depends on their build targets).
      STACK_SKIP_BUILD: '1',
    });
    await stack.waitFor(/^READY .*$/m, 150_000);
  });

  afterAll(() => {
    stack.signalGroup('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints READY with the URL of MLflow and of every app', () => {
    const ready = stack.output.match(/^READY .*$/m)?.[0] ?? '';
    expect(ready).toContain(`mlflow=http://127.0.0.1:${ports['mlflow']}`);
    for (const app of ['inference-api', 'registry-admin', 'training-worker']) {
      expect(ready).toContain(`${app}=http://127.0.0.1:${ports[app]}`);
    }
  });

  it('brings MLflow and the three apps up, each answering /health and serving its OpenAPI spec', async () => {
    const mlflow = await fetch(`http://127.0.0.1:${ports['mlflow']}/health`);
    expect(mlflow.status).toBe(200);
    for (const app of ['inference-api', 'registry-admin', 'training-worker']) {
      const health = await fetch(`http://127.0.0.1:${ports[app]}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      const spec = await fetch(`http://127.0.0.1:${ports[app]}/docs-json`);
      expect(((await spec.json()) as { info: { title: string } }).info.title).toBe(app);
    }
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
});
