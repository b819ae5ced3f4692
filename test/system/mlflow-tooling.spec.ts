import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { answers, freePort, runToCompletion, startProcess, stopsAnswering } from './support/processes';

// The README's Nx targets for MLflow and the apps, run as a user runs them.
const nx = (target: string, env: NodeJS.ProcessEnv = {}) =>
  runToCompletion('npx', ['nx', 'run', target, '--outputStyle=static', '--skipNxCache'], {
    NX_DAEMON: 'false',
    ...env,
  });

describe('nx run mlflow:<target>', () => {
  it('install is idempotent: with the environment in place it installs nothing', async () => {
    const { code, output } = await nx('mlflow:install');
    expect(code).toBe(0);
    expect(output).toMatch(/^mlflow 3\.\d+\.\d+ already installed in /m);
  });

  it('start answers /health, status reports it, stop leaves nothing listening', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'churn-mlflow-cli-'));
    const port = await freePort();
    const env = { MLFLOW_PORT: String(port), MLFLOW_DATA_DIR: dataDir };
    try {
      const start = await nx('mlflow:start', env);
      expect(start.output).toContain(`ready at http://127.0.0.1:${port}`);
      expect(start.code).toBe(0);
      const status = await runToCompletion('node', ['tools/mlflow/cli.mjs', 'status'], env);
      expect(status.code).toBe(0);
      const stop = await nx('mlflow:stop', env);
      expect(stop.output).toMatch(/MLflow stopped \(pid \d+\)/);
      expect(await answers(`http://127.0.0.1:${port}`)).toBe(false);
      const after = await runToCompletion('node', ['tools/mlflow/cli.mjs', 'status'], env);
      expect(after.code).toBe(1);
    } finally {
      await runToCompletion('node', ['tools/mlflow/cli.mjs', 'stop'], env);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('serve runs MLflow in the foreground until Ctrl-C', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'churn-mlflow-serve-'));
    const port = await freePort();
    const serve = startProcess('npx', ['nx', 'run', 'mlflow:serve', '--outputStyle=stream'], {
      NX_DAEMON: 'false',
      MLFLOW_PORT: String(port),
      MLFLOW_DATA_DIR: dataDir,
    });
    try {
      const deadline = Date.now() + 150_000;
      while (!(await answers(`http://127.0.0.1:${port}`))) {
        if (serve.child.exitCode !== null || Date.now() > deadline)
          throw new Error(`mlflow:serve did not come up:\n${serve.output}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      serve.signalGroup('SIGINT');
      await serve.exited;
    }
    expect(await stopsAnswering(`http://127.0.0.1:${port}`)).toBe(true);
    rmSync(dataDir, { recursive: true, force: true });
  }, 200_000);

  it('refuses a bad port setting with a message naming the variable', async () => {
    const { code, output } = await runToCompletion('node', ['tools/mlflow/cli.mjs', 'status'], {
      MLFLOW_PORT: 'fivethousand',
    });
    expect(code).toBe(1);
    expect(output).toContain('MLFLOW_PORT must be a port number (1-65535), got "fivethousand"');
  });
});

describe('nx run <app>:serve', () => {
  it('builds and serves training-worker on PORT until stopped', async () => {
    const port = await freePort();
    const serve = startProcess('npx', ['nx', 'run', 'training-worker:serve', '--outputStyle=stream'], {
      NX_DAEMON: 'false',
      PORT: String(port),
    });
    try {
      const deadline = Date.now() + 120_000;
      while (!(await answers(`http://127.0.0.1:${port}`))) {
        if (serve.child.exitCode !== null || Date.now() > deadline)
          throw new Error(`serve did not come up:\n${serve.output}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await health.json()).toEqual({ status: 'ok' });
    } finally {
      serve.signalGroup('SIGTERM');
      await serve.exited;
    }
    // Nx runs the command in a terminal of its own and the app shuts down gracefully: give it time.
    expect(await stopsAnswering(`http://127.0.0.1:${port}`)).toBe(true);
  });
});

describe('a built app with a bad setting', () => {
  it.each(['inference-api', 'registry-admin', 'training-worker'])(
    '%s exits 1 naming the variable, without a stack trace',
    async (app) => {
      const { code, output } = await runToCompletion('node', [`dist/apps/${app}/main.js`], { PORT: 'abc' });
      expect(code).toBe(1);
      expect(output).toContain(`${app} failed to start: invalid configuration: PORT must`);
      expect(output).not.toMatch(/^\s+at /m);
    },
  );
});
