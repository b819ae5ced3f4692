// @ts-check
/**
 * `npm start`: the whole system in the foreground on its embedded defaults.
 *
 * Installs what is missing (npm packages, the pinned MLflow venv), builds the three apps, starts
 * MLflow on 127.0.0.1:5000 (SQLite + proxied artifacts under .data/mlflow) unless
 * MLFLOW_TRACKING_URI names an existing server, starts inference-api (8000, internal listener 9000),
 * registry-admin (8001) and training-worker (8002), and waits until each answers /health. When the embedded registry
 * holds no model yet, it then runs the seed's lifecycle as a demo through the built command-line
 * tools (train v1, promote, train v2, promote, /health on v2, predict, roll back, /health on v1).
 * Finally it prints `READY` with the URLs and stops every process it started on Ctrl-C (or when
 * any of them dies, or when a demo step fails).
 *
 * Settings: MLFLOW_PORT, MLFLOW_DATA_DIR, INFERENCE_API_PORT, INFERENCE_API_INTERNAL_PORT, REGISTRY_ADMIN_PORT,
 * TRAINING_WORKER_PORT, STACK_SKIP_BUILD=1 (the apps are already built); MODEL_NAME, MODEL_ALIAS,
 * INFERENCE_ADMIN_TOKEN, API_TOKENS and FEEDBACK_TOKEN are passed on to the apps, the tokens
 * generated for this run when unset; inference-api's prediction log goes to
 * .data/inference/predictions.db unless INFERENCE_STORE_URL names another store.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ensureMlflowInstalled, startMlflowServer, stopProcessGroup, workspaceRoot } from './mlflow/mlflow.mjs';
import { ensureNodeModules } from './workspace.mjs';

const APPS = [
  { name: 'inference-api', port: Number(process.env.INFERENCE_API_PORT ?? 8000) },
  { name: 'registry-admin', port: Number(process.env.REGISTRY_ADMIN_PORT ?? 8001) },
  { name: 'training-worker', port: Number(process.env.TRAINING_WORKER_PORT ?? 8002) },
];
const appUrl = (/** @type {string} */ name) => `http://127.0.0.1:${APPS.find((a) => a.name === name)?.port}`;
/** inference-api's internal listener: the reload push, metrics and business reads (its public port serves scoring and probes). */
const INFERENCE_INTERNAL_PORT = Number(process.env.INFERENCE_API_INTERNAL_PORT ?? 9000);
const inferenceInternalUrl = `http://127.0.0.1:${INFERENCE_INTERNAL_PORT}`;

const MODEL_NAME = process.env.MODEL_NAME || 'churn_model';
const MODEL_ALIAS = process.env.MODEL_ALIAS || 'production';
const TELCO_CSV = resolve(workspaceRoot, 'libs/churn-pipeline/data/telco-customer-churn.csv');
const TELCO_FIRST_CUSTOMER = resolve(workspaceRoot, 'libs/churn-pipeline/data/telco-first-customer.json');
/** How long the demo waits for inference-api to serve a version after a move (push makes it near-instant; polling is the fallback). */
const SERVE_TIMEOUT_MS = 15_000;
/** The first customer of the IBM Telco data set (7590-VHVEG), as a consumer sends it to /predict. */
const DEMO_CUSTOMER = JSON.parse(readFileSync(TELCO_FIRST_CUSTOMER, 'utf8'));

/** Process groups to stop on the way out: the servers, and a demo command while it runs. */
const started = /** @type {{ name: string, pid: number }[]} */ ([]);
let stopping = false;

class DemoStepFailedError extends Error {
  name = 'DemoStepFailedError';
}

function say(message) {
  process.stdout.write(`[stack] ${message}\n`);
}

function sayDemo(message) {
  process.stdout.write(`[demo] ${message}\n`);
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

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
    await sleep(250);
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

/**
 * The settings every app and demo command shares: one MLflow, the embedded inference-api as the
 * push target, and dev tokens generated for this run (kept when the caller set its own).
 * @returns {{ env: NodeJS.ProcessEnv, generatedApiToken: string | undefined }}
 */
function stackEnvironment(trackingUri) {
  const generatedApiToken = process.env.API_TOKENS ? undefined : randomBytes(18).toString('base64url');
  const env = {
    ...process.env,
    MLFLOW_TRACKING_URI: trackingUri,
    INFERENCE_URLS: process.env.INFERENCE_URLS || inferenceInternalUrl,
    INTERNAL_PORT: String(INFERENCE_INTERNAL_PORT),
    INFERENCE_ADMIN_TOKEN: process.env.INFERENCE_ADMIN_TOKEN || randomBytes(18).toString('base64url'),
    API_TOKENS: process.env.API_TOKENS || `dev:viewer+deployer+trainer:${generatedApiToken}`,
    // registry-admin's rollout reads of inference-api's /ab/report: a token of its own (every app
    // refuses a secret that is also one of its API_TOKENS), listed for inference-api only (stackApps).
    INFERENCE_VIEWER_TOKEN: process.env.INFERENCE_VIEWER_TOKEN || randomBytes(18).toString('base64url'),
    // The prediction log next to the embedded MLflow's data, so it survives restarts like the registry does.
    INFERENCE_STORE_URL:
      process.env.INFERENCE_STORE_URL || `sqlite:${resolve(workspaceRoot, '.data/inference/predictions.db')}`,
    FEEDBACK_TOKEN: process.env.FEEDBACK_TOKEN || randomBytes(18).toString('base64url'),
  };
  return { env, generatedApiToken };
}

/**
 * What one app gets beyond the shared settings: inference-api also lists registry-admin's report
 * reader in its API_TOKENS, with the viewer role only.
 * @returns {NodeJS.ProcessEnv}
 */
function appEnvironment(name, env) {
  if (name !== 'inference-api') return {};
  return { API_TOKENS: `${env.API_TOKENS},rollout-reader:viewer:${env.INFERENCE_VIEWER_TOKEN}` };
}

/**
 * True when MLflow has no registered model MODEL_NAME (its REST API answers RESOURCE_DOES_NOT_EXIST).
 * @throws {Error} when MLflow answers anything else
 */
async function registryIsEmpty(trackingUri) {
  const response = await fetch(
    `${trackingUri}/api/2.0/mlflow/registered-models/get?name=${encodeURIComponent(MODEL_NAME)}`,
  );
  if (response.ok) return false;
  const body = /** @type {{ error_code?: string }} */ (await response.json().catch(() => ({})));
  if (response.status === 404 && body.error_code === 'RESOURCE_DOES_NOT_EXIST') return true;
  throw new Error(`could not tell whether MLflow holds ${MODEL_NAME}: HTTP ${response.status} ${JSON.stringify(body)}`);
}

/**
 * Runs one built command-line tool (`node dist/apps/<app>/main.js ...`) to completion as a process
 * group of its own, so Ctrl-C during the demo stops it with the rest.
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
function runCommand(app, args, env) {
  const script = join('dist/apps', app, 'main.js');
  process.stdout.write(`    $ node ${script} ${args.join(' ')}\n`);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [join(workspaceRoot, script), ...args], {
      cwd: workspaceRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const entry = { name: `${app} ${args[0]}`, pid: /** @type {number} */ (child.pid) };
    started.push(entry);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      started.splice(started.indexOf(entry), 1);
      for (const line of stdout.trimEnd().split('\n').filter(Boolean)) process.stdout.write(`    ${line}\n`);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** Runs a command and fails the step unless it exits with 0. */
async function runStep(app, args, env) {
  const result = await runCommand(app, args, env);
  if (result.code !== 0)
    throw new DemoStepFailedError(
      `\`${app} ${args.join(' ')}\` exited with ${result.code}:\n${result.stderr.trimEnd()}`,
    );
  return result;
}

/**
 * The demo's training seeds (split and, for synthetic data, generation): v1's and v2's. Both clear
 * the 0.5 F1 quality gate and v2 is no worse than v1, so the promotion gates pass: F1 0.6174 then
 * 0.6177 on the Telco CSV; 0.5210 then 0.5636 on 5000 synthetic rows (other seeds fall below 0.5).
 */
const DEMO_SEEDS = existsSync(TELCO_CSV) ? [1, 2] : [2, 7];

async function train(env, seed) {
  const data = existsSync(TELCO_CSV) ? [`--data=${TELCO_CSV}`] : [];
  const { stdout } = await runStep(
    'training-worker',
    ['train', ...data, `--model-name=${MODEL_NAME}`, `--seed=${seed}`],
    env,
  );
  const registered = /Model Registry : \S+ v(\d+)/.exec(stdout);
  if (!registered) throw new DemoStepFailedError('the training run registered no version (see its output above)');
  return registered[1];
}

/** Waits until inference-api's /health names `version`, then prints that answer. */
async function showHealthOn(version) {
  const wanted = `${MODEL_NAME}@${MODEL_ALIAS} (v${version})`;
  const deadline = Date.now() + SERVE_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const response = await fetch(`${appUrl('inference-api')}/health`);
    last = await response.text();
    if (response.ok && /** @type {{ model?: string }} */ (JSON.parse(last)).model === wanted) break;
    if (Date.now() > deadline)
      throw new DemoStepFailedError(
        `inference-api did not serve ${wanted} within ${SERVE_TIMEOUT_MS / 1000}s; /health says ${last}`,
      );
    await sleep(200);
  }
  process.stdout.write(`    $ curl ${appUrl('inference-api')}/health\n    ${last}\n`);
}

async function predictOneCustomer() {
  process.stdout.write(
    `    $ curl -X POST ${appUrl('inference-api')}/predict -H 'content-type: application/json' -d '<Telco customer 7590-VHVEG>'\n`,
  );
  const response = await fetch(`${appUrl('inference-api')}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(DEMO_CUSTOMER),
  });
  const text = await response.text();
  if (!response.ok) throw new DemoStepFailedError(`POST /predict answered HTTP ${response.status}: ${text}`);
  process.stdout.write(`    ${text}\n`);
}

/** The seed's lifecycle, step by step; throws {@link DemoStepFailedError} naming the step that failed. */
async function runDemo(env) {
  const data = existsSync(TELCO_CSV)
    ? `the Telco CSV (${TELCO_CSV})`
    : `synthetic Telco-like data (${TELCO_CSV} not found)`;
  let first = '';
  let second = '';
  const steps = [
    [`train v1 on ${data}, seed ${DEMO_SEEDS[0]}`, async () => (first = await train(env, DEMO_SEEDS[0]))],
    [
      `promote v1 to ${MODEL_ALIAS}`,
      () => runStep('registry-admin', ['promote', `--model-name=${MODEL_NAME}`, `--alias=${MODEL_ALIAS}`], env),
    ],
    [`train v2, seed ${DEMO_SEEDS[1]}`, async () => (second = await train(env, DEMO_SEEDS[1]))],
    [
      `promote v2 to ${MODEL_ALIAS}`,
      () => runStep('registry-admin', ['promote', `--model-name=${MODEL_NAME}`, `--alias=${MODEL_ALIAS}`], env),
    ],
    ['inference-api serves v2', () => showHealthOn(second)],
    ['predict one Telco customer', () => predictOneCustomer()],
    [
      `roll ${MODEL_ALIAS} back`,
      () => runStep('registry-admin', ['rollback', `--model-name=${MODEL_NAME}`, `--alias=${MODEL_ALIAS}`], env),
    ],
    ['inference-api serves v1 again', () => showHealthOn(first)],
  ];
  sayDemo(`the registry holds no ${MODEL_NAME} yet: running the seed's lifecycle (${steps.length} steps)`);
  for (const [index, [title, action]] of steps.entries()) {
    const step = `step ${index + 1}/${steps.length}`;
    sayDemo(`${step}: ${title}`);
    try {
      await action();
    } catch (error) {
      throw new DemoStepFailedError(
        `FAILED at ${step} (${title}): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  sayDemo(`done: ${MODEL_NAME} v${first} and v${second} registered, ${MODEL_ALIAS} back on v${first}`);
}

async function main() {
  ensureNodeModules();
  const external = process.env.MLFLOW_TRACKING_URI;
  if (!external) ensureMlflowInstalled();

  // The system test builds through Nx's task graph first and sets STACK_SKIP_BUILD.
  if (process.env.STACK_SKIP_BUILD !== '1') {
    say('building the apps');
    const build = spawnSync(
      join(workspaceRoot, 'node_modules/.bin/nx'),
      ['run-many', '-t', 'build', '-p', ...APPS.map((a) => a.name), '--outputStyle=static'],
      {
        cwd: workspaceRoot,
        stdio: 'inherit',
        env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      },
    );
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
  // Asked before any app starts, so nothing the apps do at start-up can change the answer.
  const demo = !external && (await registryIsEmpty(trackingUri));

  const { env, generatedApiToken } = stackEnvironment(trackingUri);
  for (const app of APPS) {
    const child = spawn(process.execPath, [join(workspaceRoot, 'dist/apps', app.name, 'main.js')], {
      cwd: workspaceRoot,
      env: { ...env, ...appEnvironment(app.name, env), PORT: String(app.port) },
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
    await waitForHealth(appUrl(app.name), child);
    say(`${app.name} is up on ${appUrl(app.name)}`);
  }

  if (demo) {
    await runDemo(env);
  } else if (external) {
    say('external MLflow: no demo, nothing changed');
  } else {
    say(`the registry already holds ${MODEL_NAME}: no demo, nothing changed`);
  }

  if (generatedApiToken)
    say(
      `dev API token for registry-admin, training-worker and inference-api's internal reads (roles viewer+deployer+trainer): Authorization: Bearer ${generatedApiToken}`,
    );
  if (!process.env.FEEDBACK_TOKEN)
    say(`dev token for inference-api's POST /feedback: Authorization: Bearer ${env.FEEDBACK_TOKEN}`);
  const urls = [
    `mlflow=${trackingUri}`,
    ...APPS.map((a) => `${a.name}=${appUrl(a.name)}`),
    `inference-api-internal=${inferenceInternalUrl}`,
  ];
  process.stdout.write(`READY ${urls.join(' ')} (Swagger UI at /docs on each app; Ctrl-C stops everything)\n`);
}

main().catch(async (error) => {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DemoStepFailedError) sayDemo(message);
  else process.stderr.write(`[stack] ${message}\n`);
  await stopAll(1);
});
