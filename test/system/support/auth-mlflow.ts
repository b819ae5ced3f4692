// MLflow with its basic-auth app configured as the deployment ships it (docker/mlflow/basic_auth.ini,
// only the user store moved to a SQLite file of the run), and the deployment's init step
// (docker/mlflow/init_mlflow.py) run against it by the pinned venv's Python.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { MlflowClient } from '@churn/mlflow-client';

import { MlflowServer } from './mlflow-server';
import { freePort, runToCompletion, workspaceRoot } from './processes';

export const SHIPPED_AUTH_CONFIG = join(workspaceRoot, 'docker/mlflow/basic_auth.ini');
export const INIT_SCRIPT = join(workspaceRoot, 'docker/mlflow/init_mlflow.py');

/** A secret nothing else contains, long enough for the project's rule (16 characters) and MLflow's (12). */
export function secretFor(label: string): string {
  return `${label}-${randomBytes(12).toString('hex')}`;
}

export interface Credentials {
  username: string;
  password: string;
}

/** One MLflow user per app, with a fresh password each, as an operator's secrets would hold them. */
export interface AppCredentials {
  admin: Credentials;
  'inference-api': Credentials;
  'training-worker': Credentials;
  'registry-admin': Credentials;
}

export function freshCredentials(): AppCredentials {
  return {
    admin: { username: 'mlflow-admin', password: secretFor('admin') },
    'inference-api': { username: 'inference-api', password: secretFor('inference') },
    'training-worker': { username: 'training-worker', password: secretFor('training') },
    'registry-admin': { username: 'registry-admin', password: secretFor('registry') },
  };
}

/**
 * The shipped auth config with its `database_uri` replaced (by default with a SQLite file under
 * `dataDir`), every other line as shipped.
 */
export function writeAuthConfig(dataDir: string, databaseUri = `sqlite:///${join(dataDir, 'basic_auth.db')}`): string {
  const shipped = readFileSync(SHIPPED_AUTH_CONFIG, 'utf8');
  const lines = shipped.split('\n');
  const index = lines.findIndex((line) => /^database_uri\s*=/.test(line));
  if (index < 0 || lines.filter((line) => /^database_uri\s*=/.test(line)).length !== 1)
    throw new Error(`${SHIPPED_AUTH_CONFIG} must set database_uri exactly once`);
  lines[index] = `database_uri = ${databaseUri}`;
  const file = join(dataDir, 'basic_auth.ini');
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** A Fernet key (32 random bytes, url-safe base64 with padding), as MLflow needs for webhook secrets. */
function fernetKey(): string {
  return randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Where MLflow keeps its data and its users: SQLite files under its folder unless given. */
export interface AuthMlflowStores {
  backendStoreUri?: string;
  authDatabaseUri?: string;
  /** What libpq reads as the password of PostgreSQL URIs that carry none, as deployed. */
  pgPassword?: string;
}

/** Starts `mlflow server --app-name basic-auth` with the shipped config and the admin from the environment, as deployed. */
export async function startAuthMlflow(
  dataDir: string,
  admin: Credentials,
  stores: AuthMlflowStores = {},
): Promise<MlflowServer> {
  mkdirSync(dataDir, { recursive: true });
  const server = new MlflowServer(await freePort(), dataDir, stores.backendStoreUri, {
    appName: 'basic-auth',
    env: {
      ...(stores.pgPassword === undefined ? {} : { PGPASSWORD: stores.pgPassword }),
      MLFLOW_AUTH_CONFIG_PATH: writeAuthConfig(dataDir, stores.authDatabaseUri),
      MLFLOW_AUTH_ADMIN_USERNAME: admin.username,
      MLFLOW_AUTH_ADMIN_PASSWORD: admin.password,
      MLFLOW_FLASK_SERVER_SECRET_KEY: secretFor('flask'),
      MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: fernetKey(),
      // Receivers are local processes over plain HTTP; webhook lists are re-read each second.
      MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https',
      MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: 'true',
      MLFLOW_WEBHOOK_CACHE_TTL: '1',
      // As the deployment runs it: without MLflow 3's job runner, which nothing here uses.
      MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    },
  });
  // The auth app migrates its own store on the first start (and MLflow its own, on PostgreSQL): slow.
  await server.start(300_000);
  return server;
}

/** The init step's environment for a server, the apps' credentials and inference-api's receiver. */
export function initEnvironment(
  trackingUri: string,
  credentials: AppCredentials,
  webhook: { url: string; secret: string },
): NodeJS.ProcessEnv {
  return {
    MLFLOW_TRACKING_URI: trackingUri,
    MLFLOW_TRACKING_USERNAME: credentials.admin.username,
    MLFLOW_TRACKING_PASSWORD: credentials.admin.password,
    INFERENCE_API_MLFLOW_USERNAME: credentials['inference-api'].username,
    INFERENCE_API_MLFLOW_PASSWORD: credentials['inference-api'].password,
    TRAINING_WORKER_MLFLOW_USERNAME: credentials['training-worker'].username,
    TRAINING_WORKER_MLFLOW_PASSWORD: credentials['training-worker'].password,
    REGISTRY_ADMIN_MLFLOW_USERNAME: credentials['registry-admin'].username,
    REGISTRY_ADMIN_MLFLOW_PASSWORD: credentials['registry-admin'].password,
    INFERENCE_WEBHOOK_URL: webhook.url,
    MLFLOW_WEBHOOK_SECRET: webhook.secret,
    MLFLOW_INIT_WAIT_SECONDS: '60',
  };
}

/** Runs the init step with exactly `env` (nothing of the test's own environment but PATH and HOME). */
export async function runInit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const python = process.env['CHURN_PYTHON'];
  if (!python) throw new Error('CHURN_PYTHON is not set: the system tests run under test/jest.config.cjs');
  const clean: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], PYTHONUNBUFFERED: '1' };
  for (const name of Object.keys(process.env)) if (!(name in clean)) clean[name] = undefined;
  return runToCompletion(python, [INIT_SCRIPT], { ...clean, ...env }, 240_000);
}

/** A client as an app holds it: basic auth with one user's credentials, no retries (answers are what is tested). */
export function clientAs(trackingUri: string, credentials?: Credentials): MlflowClient {
  return new MlflowClient({
    trackingUri,
    auth: credentials ? { type: 'basic', ...credentials } : undefined,
    maxRetries: 0,
  });
}
