/**
 * The untimed set-up the serving benchmarks (inference, ab-logging, ab-report, rollout-revert) share: the apps built
 * from the current source, a private MLflow server, model versions trained and registered by
 * training-worker's CLI as a user would, and Telco customers written the way a client sends them.
 */
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { defaultChurnSchema, readCsvSample } from '@churn/churn-pipeline';
import { MlflowClient, TRAFFIC_ALIASES, TRAFFIC_TAGS } from '@churn/mlflow-client';
import { ownMlflowServerArgs } from '@churn/service-kit/testing';

import { freePort, runOrThrow, startServer, type ServerProcess } from './processes';

/**
 * Builds inference-api and training-worker with Nx, so a suite measures the current source and never
 * a stale dist/ bundle (Nx's cache makes this a few seconds when nothing changed).
 * @returns the two bundles' paths.
 */
export function buildServingApps(workspaceRoot: string): { apiBundle: string; trainerBundle: string } {
  runOrThrow(
    'nx build',
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', 'inference-api,training-worker', '--outputStyle=static'],
    { cwd: workspaceRoot, env: { ...process.env, NX_DAEMON: 'false' }, timeoutMs: 900_000 },
  );
  return {
    apiBundle: join(workspaceRoot, 'dist/apps/inference-api/main.js'),
    trainerBundle: join(workspaceRoot, 'dist/apps/training-worker/main.js'),
  };
}

/** A private MLflow server with a client of it and the environment a CLI reaches it with. */
export type PrivateMlflow = ServerProcess & { client: MlflowClient; env: NodeJS.ProcessEnv };

/** A private MLflow tracking server (SQLite store, proxied artifacts, one worker) kept in `scratchDir`. */
export async function startPrivateMlflow(options: {
  python: string;
  scratchDir: string;
  logDir: string;
  workspaceRoot: string;
}): Promise<PrivateMlflow> {
  const port = await freePort();
  const server = await startServer({
    name: 'mlflow',
    command: options.python,
    args: ownMlflowServerArgs(port, options.scratchDir),
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    port,
    readyPath: '/health',
    logDir: options.logDir,
    workspaceRoot: options.workspaceRoot,
  });
  return {
    ...server,
    client: new MlflowClient({ trackingUri: server.url }),
    env: { ...process.env, MLFLOW_TRACKING_URI: server.url },
  };
}

/**
 * Starts a champion/challenger experiment as registry-admin would: `production` and `champion` on
 * one version, `challenger` on the other, the challenger's share and the assignment salt as tags.
 */
export async function startExperiment(
  client: MlflowClient,
  modelName: string,
  experiment: { champion: string; challenger: string; challengerShare: number; salt: string },
): Promise<void> {
  for (const [alias, version] of [
    ['production', experiment.champion],
    [TRAFFIC_ALIASES.champion, experiment.champion],
    [TRAFFIC_ALIASES.challenger, experiment.challenger],
  ])
    await client.registeredModels.setAlias({ name: modelName, alias, version });
  const tags = {
    [TRAFFIC_TAGS.challengerShare]: String(experiment.challengerShare),
    [TRAFFIC_TAGS.salt]: experiment.salt,
  };
  for (const [key, value] of Object.entries(tags))
    await client.registeredModels.setTag({ name: modelName, key, value });
}

export interface InferenceApiSpec {
  /** Names the process and its log file. */
  name: string;
  workspaceRoot: string;
  logDir: string;
  /** Environment with MLFLOW_TRACKING_URI; `settings` go on top of it. */
  env: NodeJS.ProcessEnv;
  modelName: string;
  modelAlias: string;
  modelCacheDir: string;
  /** Further settings (push, polling, the prediction log...). */
  settings: Record<string, string>;
}

/** A running inference-api: `url` is its public listener (scoring), `internalUrl` the other (push, metrics, reports). */
export type InferenceApiProcess = ServerProcess & { internalUrl: string };

/**
 * The built inference-api as deployed (dist/apps/inference-api/main.js, NODE_ENV=production, JSON
 * logs) on free ports of 127.0.0.1, once its /ready answers 200.
 */
export async function startInferenceApi(spec: InferenceApiSpec): Promise<InferenceApiProcess> {
  const port = await freePort();
  const internalPort = await freePort();
  const server = await startServer({
    name: spec.name,
    command: process.execPath,
    args: [join(spec.workspaceRoot, 'dist/apps/inference-api/main.js')],
    env: {
      ...spec.env,
      NODE_ENV: 'production',
      PORT: String(port),
      INTERNAL_PORT: String(internalPort),
      HOST: '127.0.0.1',
      MODEL_NAME: spec.modelName,
      MODEL_ALIAS: spec.modelAlias,
      MODEL_CACHE_DIR: spec.modelCacheDir,
      LOG_FORMAT: 'json',
      ...spec.settings,
    },
    port,
    readyPath: '/ready',
    logDir: spec.logDir,
    workspaceRoot: spec.workspaceRoot,
  });
  return Object.assign(server, { internalUrl: `http://127.0.0.1:${internalPort}` });
}

export interface TrainingRequest {
  workspaceRoot: string;
  /** dist/apps/training-worker/main.js */
  trainerBundle: string;
  telcoCsv: string;
  /** The server the versions are registered in; the CLI runs with its `env`. */
  mlflow: Pick<PrivateMlflow, 'client' | 'env'>;
  modelName: string;
  experiment: string;
  seeds: number[];
  log(message: string): void;
}

/**
 * Trains and registers one version of `modelName` per seed with training-worker's CLI, waiting
 * until each is READY; returns the versions in seed order.
 * @throws Error when a CLI run fails or does not add exactly one version.
 */
export async function trainVersions(request: TrainingRequest): Promise<string[]> {
  const { modelName } = request;
  const { client } = request.mlflow;
  const listVersions = async () =>
    (await client.modelVersions.search({ filter: `name='${modelName}'` }).toArray()).map((version) => version.version);
  // Versions registered before this call (a suite may train on several data sets) are not new ones.
  const known = new Set(await listVersions().catch(() => []));
  const versions: string[] = [];
  for (const seed of request.seeds) {
    request.log(`training and registering a version with training-worker's CLI (seed ${seed})`);
    runOrThrow(
      'training-worker train',
      process.execPath,
      [
        request.trainerBundle,
        'train',
        `--data=${request.telcoCsv}`,
        `--model-name=${modelName}`,
        `--experiment=${request.experiment}`,
        `--seed=${seed}`,
      ],
      {
        cwd: request.workspaceRoot,
        env: request.mlflow.env,
        timeoutMs: 300_000,
      },
    );
    const created = (await listVersions()).filter((version) => !known.has(version) && !versions.includes(version));
    if (created.length !== 1)
      throw new Error(`expected one new version of ${modelName}, found ${created.join(', ') || 'none'}`);
    versions.push(created[0]);
    await client.modelVersions.waitUntilReady({ name: modelName, version: created[0] });
  }
  return versions;
}

/** The first `count` Telco customers as a client sends them: numbers for numeric columns (blank → null), text otherwise. */
export async function telcoFeatureRows(
  csv: string,
  count: number,
): Promise<{ columns: string[]; rows: (string | number | null)[][] }> {
  const schema = defaultChurnSchema();
  const numeric = new Set(schema.numeric);
  const features = [...schema.numeric, ...schema.categorical];
  const sample = await readCsvSample(createReadStream(csv), count);
  const positions = features.map((name) => sample.header.indexOf(name));
  const rows = sample.rows.map((row) =>
    features.map((name, index) => {
      const cell = row[positions[index]];
      if (!numeric.has(name)) return cell;
      return cell.trim() === '' ? null : Number(cell);
    }),
  );
  return { columns: features, rows };
}

/**
 * `users` single-customer `/predict` bodies as JSON lines: the first `customers` Telco customers
 * (numbers for numeric columns, blank → null) taken in turn, each with its own `user_id`, so a
 * champion/challenger split sends users to both arms.
 */
export async function writeUserBodies(
  csv: string,
  file: string,
  counts: { users: number; customers: number },
): Promise<void> {
  const { columns, rows } = await telcoFeatureRows(csv, counts.customers);
  const customers = rows.map((row) => Object.fromEntries(columns.map((name, index) => [name, row[index]])));
  const lines: string[] = [];
  for (let user = 0; user < counts.users; user++)
    lines.push(JSON.stringify({ ...customers[user % customers.length], user_id: `user-${user}` }));
  writeFileSync(file, `${lines.join('\n')}\n`);
}
