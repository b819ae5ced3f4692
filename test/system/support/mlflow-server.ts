import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { killProcessGroup } from '@churn/service-kit/testing';

import { answers, workspaceRoot } from './processes';

/** Kept under its old name for the system tests that import it from here. */
export const killGroup = killProcessGroup;

/** How a server differs from the plain one: another app (`basic-auth`) and what it reads from the environment. */
export interface MlflowServerOptions {
  appName?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * A real `mlflow server` (the pinned venv's, through CHURN_PYTHON) on a SQLite file under `dataDir`
 * (or any backend store MLflow takes, e.g. `postgresql+psycopg2://…` as production runs it) and
 * proxied artifacts under `dataDir`, in its own process group so it can be killed as MLflow dies in
 * production: all at once, by process id, without a chance to clean up.
 */
export class MlflowServer {
  private pid: number | undefined;

  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly backendStoreUri = `sqlite:///${join(dataDir, 'mlflow.db')}`,
    readonly options: MlflowServerOptions = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logFile(): string {
    return join(this.dataDir, 'mlflow-server.log');
  }

  /**
   * Starts the server (again, on the same port and data after {@link kill}) and waits for /health.
   * On an empty PostgreSQL database MLflow first runs several dozen migrations: give it longer.
   */
  async start(timeoutMs = 120_000): Promise<void> {
    const python = process.env['CHURN_PYTHON'];
    if (!python)
      throw new Error(
        'CHURN_PYTHON is not set: the system tests run under test/jest.config.cjs, whose global setup installs Python',
      );
    mkdirSync(join(this.dataDir, 'artifacts'), { recursive: true });
    const log = openSync(this.logFile, 'a');
    const child = spawn(
      python,
      [
        '-m',
        'mlflow',
        'server',
        ...(this.options.appName ? ['--app-name', this.options.appName] : []),
        '--host',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--backend-store-uri',
        this.backendStoreUri,
        '--artifacts-destination',
        join(this.dataDir, 'artifacts'),
        '--workers',
        '1',
      ],
      {
        cwd: this.dataDir,
        env: {
          ...process.env,
          // MLflow 3's job runner (some twenty huey processes) serves nothing this project uses.
          MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
          ...this.options.env,
          PYTHONUNBUFFERED: '1',
        },
        stdio: ['ignore', log, log],
        detached: true,
      },
    );
    closeSync(log);
    this.pid = child.pid as number;
    stopWithThisProcess(this.pid);
    const deadline = Date.now() + timeoutMs;
    while (!(await answers(this.url))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        this.kill();
        throw new Error(
          `MLflow on ${this.url} (${this.backendStoreUri}) did not answer /health (${child.exitCode === null ? 'timed out' : `exited with ${child.exitCode}`}):\n${this.logTail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGKILL to the whole group (the gunicorn/uvicorn workers die with their parent). */
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

/**
 * Stops a detached process group when this test process is gone, so a test run killed before its
 * teardown (a timeout, Ctrl-C) leaves no server behind.
 */
export function stopWithThisProcess(groupPid: number): void {
  spawn(process.execPath, [join(workspaceRoot, 'tools/mlflow/watchdog.mjs'), String(process.pid), String(groupPid)], {
    stdio: 'ignore',
    detached: true,
  }).unref();
}

/** What the registry says about one model: its versions (with their run and last update) and aliases. */
export interface RegistryState {
  versions: { version: string; run_id: string; last_updated_timestamp: number; aliases: string[] }[];
  aliases: Record<string, string>;
  runs: number;
}

interface MlflowModelVersion {
  version: string;
  run_id: string;
  last_updated_timestamp: number;
  aliases?: string[];
}

/** Reads {@link RegistryState} through MLflow's REST API (nothing of ours in between). */
export async function registryState(trackingUri: string, model: string): Promise<RegistryState> {
  const get = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${trackingUri}${path}`, init);
    if (!response.ok) throw new Error(`MLflow ${path} answered HTTP ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const registered = await get<{ registered_model: { aliases?: { alias: string; version: string }[] } }>(
    `/api/2.0/mlflow/registered-models/get?name=${encodeURIComponent(model)}`,
  );
  const search = await get<{ model_versions?: MlflowModelVersion[] }>(
    `/api/2.0/mlflow/model-versions/search?filter=${encodeURIComponent(`name='${model}'`)}&max_results=1000`,
  );
  const experiments = await get<{ experiments?: { experiment_id: string }[] }>('/api/2.0/mlflow/experiments/search', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ max_results: 1000 }),
  });
  const runs = await get<{ runs?: unknown[] }>('/api/2.0/mlflow/runs/search', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      experiment_ids: (experiments.experiments ?? []).map((e) => e.experiment_id),
      max_results: 1000,
    }),
  });
  return {
    versions: (search.model_versions ?? [])
      .map((v) => ({
        version: v.version,
        run_id: v.run_id,
        last_updated_timestamp: Number(v.last_updated_timestamp),
        aliases: [...(v.aliases ?? [])].sort(),
      }))
      .sort((a, b) => Number(a.version) - Number(b.version)),
    aliases: Object.fromEntries((registered.registered_model.aliases ?? []).map((a) => [a.alias, a.version])),
    runs: (runs.runs ?? []).length,
  };
}
