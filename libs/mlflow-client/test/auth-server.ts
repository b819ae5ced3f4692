// An MLflow server with its basic-auth app, private to one test file: the suites' shared server
// (Jest global setup) runs without auth, and turning auth on there would change every other suite.
// Same shape as tools/mlflow/mlflow.mjs's startMlflowServer (fresh folder, free port, detached
// process group, watchdog, /health), plus `--app-name basic-auth` and its config file.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const workspaceRoot = resolve(__dirname, '../../..');

export interface AuthServer {
  url: string;
  adminUsername: string;
  /** Random per run, at least 12 characters (the auth app's minimum), so a leak check can search for it. */
  adminPassword: string;
  stop(): Promise<void>;
}

export interface AuthServerOptions {
  /** What a signed-in user may do on resources nobody granted them anything on (basic_auth.ini). */
  defaultPermission: 'READ' | 'USE' | 'EDIT' | 'MANAGE' | 'NO_PERMISSIONS';
  /** Under a loaded machine the auth app's first start (it migrates two SQLite stores) takes ~45 s. */
  startTimeoutMs: number;
}

/** A password the auth app accepts (≥ 12 characters) and that occurs nowhere else. */
export function randomPassword(): string {
  return `pw-${randomBytes(12).toString('hex')}`;
}

export async function startAuthServer(options: AuthServerOptions): Promise<AuthServer> {
  const python = process.env['CHURN_PYTHON'];
  if (!python) throw new Error('CHURN_PYTHON is not set: the Jest global setup should point it at the pinned venv');
  const dataDir = mkdtempSync(join(tmpdir(), 'churn-mlflow-auth-'));
  const port = await freePort();
  const adminUsername = 'admin';
  const adminPassword = randomPassword();
  const configPath = join(dataDir, 'basic_auth.ini');
  // Format and keys of mlflow/server/auth/basic_auth.ini. MLflow ships no admin password: the app
  // creates the admin from `admin_password` on its first start against an empty user store.
  // The credential cache (`auth_cache_ttl_seconds`) stays off, MLflow's default, although every
  // request then re-checks a scrypt hash (seconds each on a loaded 2-core machine): with it on,
  // MLflow 3.17.2 answers `Authorization: Bearer ...` with a 500 instead of a 401 (it hashes the
  // missing password), so the suite would test a server bug rather than the real behaviour.
  writeFileSync(
    configPath,
    [
      '[mlflow]',
      `default_permission = ${options.defaultPermission}`,
      `database_uri = sqlite:///${join(dataDir, 'basic_auth.db')}`,
      `admin_username = ${adminUsername}`,
      `admin_password = ${adminPassword}`,
      'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
      '',
    ].join('\n'),
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MLFLOW_AUTH_CONFIG_PATH: configPath,
    // Signs the auth app's CSRF tokens; any fixed value does for a throwaway server.
    MLFLOW_FLASK_SERVER_SECRET_KEY: randomBytes(16).toString('hex'),
    PYTHONUNBUFFERED: '1',
  };
  // These would override the file's admin settings, or point the server's own client elsewhere.
  for (const name of [
    'MLFLOW_AUTH_ADMIN_USERNAME',
    'MLFLOW_AUTH_ADMIN_PASSWORD',
    'MLFLOW_TRACKING_URI',
    'MLFLOW_TRACKING_USERNAME',
    'MLFLOW_TRACKING_PASSWORD',
    'MLFLOW_TRACKING_TOKEN',
  ]) {
    delete env[name];
  }

  const logFile = join(dataDir, 'mlflow-server.log');
  const out = openSync(logFile, 'a');
  const args = [
    '-m',
    'mlflow',
    'server',
    '--app-name',
    'basic-auth',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--backend-store-uri',
    `sqlite:///${join(dataDir, 'mlflow.db')}`,
    '--artifacts-destination',
    join(dataDir, 'artifacts'),
    '--workers',
    '1',
  ];
  const child = spawn(python, args, { cwd: dataDir, env, stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  const groupPid = child.pid;
  if (groupPid === undefined) throw new Error(`Could not start ${python} -m mlflow server (no pid); see ${logFile}`);
  // If Jest is killed before afterAll, the watchdog stops the server so it does not outlive the run.
  spawn(process.execPath, [join(workspaceRoot, 'tools/mlflow/watchdog.mjs'), String(process.pid), String(groupPid)], {
    stdio: 'ignore',
    detached: true,
  }).unref();

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcessGroup(groupPid);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const exited = exitWatch(child);
  const deadline = Date.now() + options.startTimeoutMs;
  while (Date.now() < deadline && exited.reason === undefined) {
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, adminUsername, adminPassword, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
  await stop();
  throw new Error(
    `The basic-auth MLflow server on ${url} did not become healthy (${exited.reason ?? `no answer within ${options.startTimeoutMs} ms`}). Last log lines:\n${tail}`,
  );
}

function exitWatch(child: ChildProcess): { reason?: string } {
  const watch: { reason?: string } = {};
  child.on('exit', (code, signal) => {
    watch.reason = `exited with ${signal ?? code}`;
  });
  return watch;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** SIGTERM to the whole group (uvicorn and its worker), SIGKILL after a grace period. */
async function stopProcessGroup(groupPid: number, graceMs = 10_000): Promise<void> {
  const alive = () => {
    try {
      process.kill(-groupPid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-groupPid, name);
    } catch {
      // the group ended between the check and the signal
    }
  };
  if (!alive()) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) signal('SIGKILL');
}
