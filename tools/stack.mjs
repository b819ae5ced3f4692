// @ts-check
/**
 * `npm start`: the whole system in the foreground on its embedded defaults.
 *
 * Installs what is missing (npm packages, the pinned MLflow venv), builds the three apps, starts
 * MLflow on 127.0.0.1:5000 (SQLite + proxied artifacts under .data/mlflow) unless
 * MLFLOW_TRACKING_URI names an existing server, starts inference-api (8000), registry-admin (8001)
 * and training-worker (8002), waits until each answers /health, prints `READY` with the URLs, and
 * stops every process it started on Ctrl-C (or when any of them dies).
 * Ports: MLFLOW_PORT, INFERENCE_API_PORT, REGISTRY_ADMIN_PORT, TRAINING_WORKER_PORT.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ensureNodeModules } from './workspace.mjs';
import { ensureMlflowInstalled, startMlflowServer, stopProcessGroup, workspaceRoot } from './mlflow/mlflow.mjs';

const APPS = [
  { name: 'inference-api', port: Number(process.env.INFERENCE_API_PORT ?? 8000) },
  { name: 'registry-admin', port: Number(process.env.REGISTRY_ADMIN_PORT ?? 8001) },
  { name: 'training-worker', port: Number(process.env.TRAINING_WORKER_PORT ?? 8002) },
];

/** @type {{ name: string, pid: number }[]} */
const started = [];
let stopping = false;

function say(message) {
  process.stdout.write(`[stack] ${message}\n`);
}

async function waitForHealth(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url} exited with code ${child.exitCode} before answering /health`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url}/health did not answer within ${timeoutMs / 1000}s`);
}

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  say('stopping...');
  for (const { name, pid } of [...started].reverse()) {
    await stopProcessGroup(pid);
    say(`stopped ${name}`);
  }
  process.exit(exitCode);
}

async function main() {
  ensureNodeModules();
  const external = process.env.MLFLOW_TRACKING_URI;
  if (!external) ensureMlflowInstalled();

  // The system test builds through Nx's task graph first and sets STACK_SKIP_BUILD.
  if (process.env.STACK_SKIP_BUILD !== '1') {
    say('building the apps');
    const build = spawnSync(join(workspaceRoot, 'node_modules/.bin/nx'), ['run-many', '-t', 'build', '-p', ...APPS.map((a) => a.name), '--outputStyle=static'], {
      cwd: workspaceRoot,
      stdio: 'inherit',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    });
    if (build.status !== 0) throw new Error('building the apps failed (see above)');
  }

  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  let trackingUri = external;
  if (!trackingUri) {
    const dataDir = resolve(workspaceRoot, process.env.MLFLOW_DATA_DIR ?? '.data/mlflow');
    say(`starting MLflow (data in ${dataDir})`);
    const mlflow = await startMlflowServer({ port: Number(process.env.MLFLOW_PORT ?? 5000), dataDir });
    started.push({ name: 'mlflow', pid: mlflow.pid });
    trackingUri = mlflow.url;
  } else {
    say(`using the MLflow server at ${trackingUri}`);
  }

  for (const app of APPS) {
    const child = spawn(process.execPath, [join(workspaceRoot, 'dist/apps', app.name, 'main.js')], {
      cwd: workspaceRoot,
      env: { ...process.env, PORT: String(app.port), MLFLOW_TRACKING_URI: trackingUri },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    started.push({ name: app.name, pid: /** @type {number} */ (child.pid) });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        say(`${app.name} exited (${signal ?? code}); stopping the stack`);
        void stopAll(1);
      }
    });
    await waitForHealth(`http://127.0.0.1:${app.port}`, child);
    say(`${app.name} is up on http://127.0.0.1:${app.port}`);
  }

  const urls = [`mlflow=${trackingUri}`, ...APPS.map((a) => `${a.name}=http://127.0.0.1:${a.port}`)];
  process.stdout.write(`READY ${urls.join(' ')} (Swagger UI at /docs on each app; Ctrl-C stops everything)\n`);
}

main().catch(async (error) => {
  process.stderr.write(`[stack] ${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll(1);
});
