// @ts-check
/**
 * The real MLflow server, installed and run by the project itself.
 *
 * - `ensureMlflowInstalled()` puts the pinned Python requirements into a virtual environment cached
 *   outside the source tree (keyed by the requirements' hash, so a second run installs nothing and a
 *   changed pin gets a fresh environment).
 * - `startMlflowServer()` runs `mlflow server` with a SQLite backend and proxied artifacts under a
 *   data folder, waits for `/health`, and returns a handle that stops the whole process group.
 *
 * Used by the Nx targets of the `mlflow` project, by the test suites' global setup (a temporary
 * folder and a free port per run) and by the one-command stack.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureVenv, PythonSetupError, venvPath } from '../python-venv.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const workspaceRoot = resolve(here, '../..');
export const requirementsFile = join(here, 'requirements.txt');

/**
 * A fixed Fernet key for local servers. MLflow encrypts webhook secrets with it; without a fixed
 * key every worker invents its own and webhook secrets cannot be read back. Production sets its own.
 */
export const DEV_WEBHOOK_ENCRYPTION_KEY = 'Y2h1cm4tbWxvcHMtZGV2LW9ubHktd2ViaG9vay1rZXk=';

export class MlflowSetupError extends Error {
  /** @override */
  name = 'MlflowSetupError';
}

/** MLflow's environment: `$CHURN_VENV_DIR`, else a cache folder keyed by the pins. */
const mlflowVenv = () => ({ name: 'venv', requirementsFile, dirOverride: process.env.CHURN_VENV_DIR });

/** The virtual environment's folder. */
export function venvDir() {
  return venvPath(mlflowVenv());
}

/**
 * Absolute path of an executable inside the virtual environment (`python`, `mlflow`).
 * @param {string} name
 */
export function venvBin(name) {
  return join(venvDir(), 'bin', name);
}

/** @param {string} message */
function log(message) {
  process.stderr.write(`[mlflow] ${message}\n`);
}

/**
 * Installs the pinned requirements once (safe from several processes at once).
 * @returns {{ venv: string, installed: boolean }}
 */
export function ensureMlflowInstalled() {
  try {
    const result = ensureVenv(mlflowVenv(), { log });
    if (result.installed) log(`installed mlflow ${pinnedVersion('mlflow')} into ${result.venv}`);
    return result;
  } catch (error) {
    if (error instanceof PythonSetupError) throw new MlflowSetupError(`${error.message} (needed to run MLflow)`);
    throw error;
  }
}

/**
 * The version pinned in requirements.txt for a package (`pkg==X` or `pkg[extras]==X`).
 * @param {string} pkg
 * @returns {string}
 */
export function pinnedVersion(pkg) {
  const pin = new RegExp(`^${pkg}(\\[[^\\]]*\\])?==(\\S+)`);
  for (const line of readFileSync(requirementsFile, 'utf8').split('\n')) {
    const match = pin.exec(line);
    if (match) return match[2];
  }
  throw new MlflowSetupError(`${pkg} is not pinned in ${requirementsFile}`);
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The environment an MLflow server runs with: webhooks to local receivers allowed, a fixed key. */
export function mlflowServerEnv(extra = {}) {
  return {
    ...process.env,
    MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY:
      process.env.MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY || DEV_WEBHOOK_ENCRYPTION_KEY,
    MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https',
    MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: 'true',
    // MLflow caches each event's webhook list (60 s by default): a webhook registered a moment
    // after the same event fired would hear nothing for a minute. Local servers refresh each second.
    MLFLOW_WEBHOOK_CACHE_TTL: process.env.MLFLOW_WEBHOOK_CACHE_TTL || '1',
    // MLflow 3's server-side job runner (a supervisor and several huey consumer pools) serves
    // features this project does not use (GenAI evaluation, trace rollups); off, a server starts
    // some twenty fewer processes. Webhooks are delivered by the server itself, not by jobs.
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: process.env.MLFLOW_SERVER_ENABLE_JOB_EXECUTION || 'false',
    PYTHONUNBUFFERED: '1',
    ...extra,
  };
}

/**
 * Starts `mlflow server` and resolves once `/health` answers.
 * @param {{ port?: number, host?: string, dataDir: string, backendStoreUri?: string, logFile?: string, startTimeoutMs?: number, stopWithPid?: number }} options
 *   `stopWithPid`: stop the server when that process is gone (test runs, which may be killed before teardown)
 */
export async function startMlflowServer(options) {
  ensureMlflowInstalled();
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 5000;
  const dataDir = resolve(options.dataDir);
  mkdirSync(join(dataDir, 'artifacts'), { recursive: true });
  const backendStoreUri = options.backendStoreUri ?? `sqlite:///${join(dataDir, 'mlflow.db')}`;
  const logFile = options.logFile ?? join(dataDir, 'mlflow-server.log');
  const out = openSync(logFile, 'a');
  const args = [
    'server',
    '--host',
    host,
    '--port',
    String(port),
    '--backend-store-uri',
    backendStoreUri,
    '--artifacts-destination',
    join(dataDir, 'artifacts'),
    '--workers',
    '1',
  ];
  const child = spawn(venvBin('mlflow'), args, {
    cwd: dataDir,
    env: mlflowServerEnv(),
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  if (options.stopWithPid) {
    spawn(process.execPath, [join(here, 'watchdog.mjs'), String(options.stopWithPid), String(child.pid)], {
      stdio: 'ignore',
      detached: true,
    }).unref();
  }
  const url = `http://${host}:${port}`;
  let exited = /** @type {null | string} */ (null);
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) {
        return {
          url,
          port,
          pid: /** @type {number} */ (child.pid),
          dataDir,
          logFile,
          stop: () => stopProcessGroup(/** @type {number} */ (child.pid)),
        };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  stopProcessGroup(/** @type {number} */ (child.pid));
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
  throw new MlflowSetupError(
    `MLflow server on ${url} did not become healthy (${exited ?? 'timed out'}). Last log lines from ${logFile}:\n${tail}`,
  );
}

/**
 * Stops a process group started with `detached: true`: SIGTERM, then SIGKILL after a grace period.
 * @param {number} pid
 */
export async function stopProcessGroup(pid, graceMs = 10_000) {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
