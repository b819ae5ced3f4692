import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers, freePort, runToCompletion } from './support/processes';

// The MLflow tooling behind `nx run mlflow:<target>`, run as the targets run it.
describe('tools/mlflow/cli.mjs', () => {
  it('install is idempotent: with the environment in place it installs nothing', async () => {
    const { code, output } = await runToCompletion('node', ['tools/mlflow/cli.mjs', 'install']);
    expect(code).toBe(0);
    expect(output).toMatch(/^mlflow 3\.\d+\.\d+ already installed in /m);
  });

  it('start answers /health, status reports it, stop leaves nothing listening', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'churn-mlflow-cli-'));
    const port = await freePort();
    const env = { MLFLOW_PORT: String(port), MLFLOW_DATA_DIR: dataDir };
    try {
      const start = await runToCompletion('node', ['tools/mlflow/cli.mjs', 'start'], env);
      expect(start.output).toContain(`ready at http://127.0.0.1:${port}`);
      expect(start.code).toBe(0);
      const status = await runToCompletion('node', ['tools/mlflow/cli.mjs', 'status'], env);
      expect(status.code).toBe(0);
      const stop = await runToCompletion('node', ['tools/mlflow/cli.mjs', 'stop'], env);
      expect(stop.output).toMatch(/MLflow stopped \(pid \d+\)/);
      expect(await answers(`http://127.0.0.1:${port}`)).toBe(false);
      const after = await runToCompletion('node', ['tools/mlflow/cli.mjs', 'status'], env);
      expect(after.code).toBe(1);
    } finally {
      await runToCompletion('node', ['tools/mlflow/cli.mjs', 'stop'], env);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a bad port setting with a message naming the variable', async () => {
    const { code, output } = await runToCompletion('node', ['tools/mlflow/cli.mjs', 'status'], { MLFLOW_PORT: 'fivethousand' });
    expect(code).toBe(1);
    expect(output).toContain('MLFLOW_PORT must be a port number (1-65535), got "fivethousand"');
  });
});

describe('a built app with a bad setting', () => {
  it.each(['inference-api', 'registry-admin', 'training-worker'])('%s exits 1 naming the variable, without a stack trace', async (app) => {
    const { code, output } = await runToCompletion('node', [`dist/apps/${app}/main.js`], { PORT: 'abc' });
    expect(code).toBe(1);
    expect(output).toContain(`${app} failed to start: invalid configuration: PORT must`);
    expect(output).not.toMatch(/^\s+at /m);
  });
});
