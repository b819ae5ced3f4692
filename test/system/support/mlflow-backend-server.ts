import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { killGroup, stopWithThisProcess } from './mlflow-server';
import { answers } from './processes';

/**
 * A real `mlflow server` (the pinned venv's, through CHURN_PYTHON) on any backend store MLflow
 * takes (`postgresql://…`, as production runs it), with proxied artifacts under `dataDir`, in its
 * own process group. {@link MlflowServer} is the SQLite flavour the other system tests use.
 */
export class MlflowBackendServer {
  private pid: number | undefined;

  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly backendStoreUri: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logFile(): string {
    return join(this.dataDir, 'mlflow-server.log');
  }

  /**
   * Starts the server and waits for /health. On an empty database MLflow first creates its schema
   * (several dozen Alembic migrations), which takes most of a minute on a loaded two-core machine.
   */
  async start(timeoutMs = 240_000): Promise<void> {
    const python = process.env['CHURN_PYTHON'];
    if (!python) throw new Error('CHURN_PYTHON is not set: the system tests run under test/jest.config.cjs, whose global setup installs Python');
    mkdirSync(join(this.dataDir, 'artifacts'), { recursive: true });
    const log = openSync(this.logFile, 'a');
    const child = spawn(
      python,
      ['-m', 'mlflow', 'server', '--host', '127.0.0.1', '--port', String(this.port), '--backend-store-uri', this.backendStoreUri, '--artifacts-destination', join(this.dataDir, 'artifacts'), '--workers', '1'],
      { cwd: this.dataDir, env: { ...process.env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', log, log], detached: true },
    );
    closeSync(log);
    this.pid = child.pid as number;
    stopWithThisProcess(this.pid);
    const deadline = Date.now() + timeoutMs;
    while (!(await answers(this.url))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        this.kill();
        throw new Error(`MLflow on ${this.url} (${this.backendStoreUri}) did not answer /health (${child.exitCode === null ? 'timed out' : `exited with ${child.exitCode}`}):\n${this.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGKILL to the whole group (the uvicorn workers die with their parent). */
  kill(): void {
    if (this.pid === undefined) return;
    killGroup(this.pid, 'SIGKILL');
    this.pid = undefined;
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
