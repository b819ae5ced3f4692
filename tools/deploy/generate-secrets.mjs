#!/usr/bin/env node
// @ts-check
/**
 * Writes fresh random secrets for a deployment, consistent across every place that must share one
 * (inference-api's retraining token inside training-worker's API_TOKENS, registry-admin's report
 * reader inside inference-api's API_TOKENS, the prediction log's
 * passwords inside its connection URLs, the reload token and webhook key on both sides):
 *
 *   node tools/deploy/generate-secrets.mjs --kubernetes [folder]   docker/k8s/secrets/<name>.env,
 *       one file per <name>.env.example in the folder (default docker/k8s/secrets)
 *   node tools/deploy/generate-secrets.mjs --compose FILE          a file for
 *       `docker compose --env-file FILE -f docker/compose.yaml up`
 *
 * Every password and token has 32 characters from [A-Za-z0-9_-] (safe inside URLs, above the
 * project's 16-character minimum). Existing files are never overwritten. Exit code: 0 written,
 * 1 a file exists or the examples ask for a key this tool does not know, 2 bad arguments.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const workspaceRoot = resolve(here, '../..');
export const DEFAULT_KUBERNETES_FOLDER = join(workspaceRoot, 'docker/k8s/secrets');

export class SecretsError extends Error {
  name = 'SecretsError';
}

/** 32 characters of [A-Za-z0-9_-] from 24 random bytes. */
function token() {
  return randomBytes(24).toString('base64url');
}

/** A Fernet key: 32 random bytes in url-safe base64 with its padding, as MLflow expects. */
function fernetKey() {
  return randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** One set of values; every output below is a view of it. */
export function freshValues() {
  const predictionOwner = token();
  const predictionWriter = token();
  const trainingWorkerToken = token();
  return {
    POSTGRES_SUPERUSER_PASSWORD: token(),
    MLFLOW_DB_PASSWORD: token(),
    MINIO_ROOT_USER: `minio-${token().slice(0, 12)}`,
    MINIO_ROOT_PASSWORD: token(),
    MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: fernetKey(),
    MLFLOW_FLASK_SERVER_SECRET_KEY: token(),
    MLFLOW_ADMIN_USERNAME: 'mlflow-admin',
    MLFLOW_ADMIN_PASSWORD: token(),
    INFERENCE_API_MLFLOW_USERNAME: 'inference-api',
    INFERENCE_API_MLFLOW_PASSWORD: token(),
    REGISTRY_ADMIN_MLFLOW_USERNAME: 'registry-admin',
    REGISTRY_ADMIN_MLFLOW_PASSWORD: token(),
    TRAINING_WORKER_MLFLOW_USERNAME: 'training-worker',
    TRAINING_WORKER_MLFLOW_PASSWORD: token(),
    INFERENCE_ADMIN_TOKEN: token(),
    MLFLOW_WEBHOOK_SECRET: token(),
    TRAINING_WORKER_TOKEN: trainingWorkerToken,
    FEEDBACK_TOKEN: token(),
    INFERENCE_VIEWER_TOKEN: token(),
    INFERENCE_API_API_TOKENS: `ops-viewer:viewer:${token()}`,
    REGISTRY_ADMIN_API_TOKENS: `ops-deployer:viewer+deployer:${token()}`,
    TRAINING_WORKER_API_TOKENS: `ops-trainer:trainer:${token()}`,
    PREDICTION_DB_SUPERUSER_PASSWORD: token(),
    PREDICTION_DB_OWNER_PASSWORD: predictionOwner,
    PREDICTION_DB_WRITER_PASSWORD: predictionWriter,
  };
}

/** The Kubernetes Secrets' keys (kustomization.yaml's secretGenerator), as views of {@link freshValues}. */
export function kubernetesSecrets(values) {
  const mlflowUser = (prefix) => ({
    MLFLOW_TRACKING_USERNAME: values[`${prefix}_MLFLOW_USERNAME`],
    MLFLOW_TRACKING_PASSWORD: values[`${prefix}_MLFLOW_PASSWORD`],
  });
  const storeUrl = (role, password) => `postgres://${role}:${password}@prediction-db:5432/predictions`;
  return {
    'mlflow-backend': pick(values, [
      'POSTGRES_SUPERUSER_PASSWORD',
      'MLFLOW_DB_PASSWORD',
      'MINIO_ROOT_USER',
      'MINIO_ROOT_PASSWORD',
      'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY',
      'MLFLOW_FLASK_SERVER_SECRET_KEY',
    ]),
    'mlflow-admin': pick(values, ['MLFLOW_ADMIN_USERNAME', 'MLFLOW_ADMIN_PASSWORD']),
    'inference-api-mlflow': mlflowUser('INFERENCE_API'),
    'registry-admin-mlflow': mlflowUser('REGISTRY_ADMIN'),
    'training-worker-mlflow': mlflowUser('TRAINING_WORKER'),
    'inference-push': pick(values, ['INFERENCE_ADMIN_TOKEN', 'MLFLOW_WEBHOOK_SECRET']),
    'inference-api-tokens': {
      API_TOKENS: inferenceApiApiTokens(values),
      TRAINING_WORKER_TOKEN: values.TRAINING_WORKER_TOKEN,
      FEEDBACK_TOKEN: values.FEEDBACK_TOKEN,
    },
    'registry-admin-tokens': {
      API_TOKENS: values.REGISTRY_ADMIN_API_TOKENS,
      INFERENCE_VIEWER_TOKEN: values.INFERENCE_VIEWER_TOKEN,
    },
    'training-worker-tokens': { API_TOKENS: trainingWorkerApiTokens(values) },
    'prediction-db': {
      POSTGRES_SUPERUSER_PASSWORD: values.PREDICTION_DB_SUPERUSER_PASSWORD,
      PREDICTION_DB_OWNER_PASSWORD: values.PREDICTION_DB_OWNER_PASSWORD,
      PREDICTION_DB_WRITER_PASSWORD: values.PREDICTION_DB_WRITER_PASSWORD,
    },
    'prediction-store': {
      INFERENCE_STORE_URL: storeUrl('prediction_writer', values.PREDICTION_DB_WRITER_PASSWORD),
      INFERENCE_STORE_MIGRATION_URL: storeUrl('prediction_owner', values.PREDICTION_DB_OWNER_PASSWORD),
    },
  };
}

/** inference-api's business-read callers: registry-admin's rollout reports (viewer only) and the operators'. */
export function inferenceApiApiTokens(values) {
  return `rollout-reader:viewer:${values.INFERENCE_VIEWER_TOKEN},${values.INFERENCE_API_API_TOKENS}`;
}

/** training-worker's callers: inference-api's retraining token (trainer only) and the operators'. */
export function trainingWorkerApiTokens(values) {
  return `drift-retraining:trainer:${values.TRAINING_WORKER_TOKEN},${values.TRAINING_WORKER_API_TOKENS}`;
}

function pick(values, keys) {
  return Object.fromEntries(keys.map((key) => [key, values[key]]));
}

/** The keys an env file (or its example) sets, in order. */
export function envFileKeys(text) {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.slice(0, line.indexOf('=')));
}

function envFileText(title, entries) {
  return `# ${title}\n${Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

function writeNew(file, text) {
  if (existsSync(file)) throw new SecretsError(`${file} exists: remove it first to replace its secrets`);
  writeFileSync(file, text, { mode: 0o600 });
}

/**
 * One `<name>.env` per `<name>.env.example` in `folder`, each with exactly the example's keys.
 * @returns {string[]} the files written
 */
export function writeKubernetesSecrets(folder, values = freshValues()) {
  const secrets = kubernetesSecrets(values);
  const examples = readdirSync(folder).filter((file) => file.endsWith('.env.example'));
  if (examples.length === 0) throw new SecretsError(`${folder} holds no *.env.example`);
  const planned = examples.map((example) => {
    const name = example.slice(0, -'.env.example'.length);
    const keys = envFileKeys(readFileSync(join(folder, example), 'utf8'));
    const known = secrets[name];
    if (!known) throw new SecretsError(`${example}: no secret named ${name} is known to this tool`);
    const missing = keys.filter((key) => !(key in known));
    const extra = Object.keys(known).filter((key) => !keys.includes(key));
    if (missing.length > 0 || extra.length > 0)
      throw new SecretsError(
        `${example}: keys differ (unknown here: ${missing.join(', ') || '-'}; not in the example: ${extra.join(', ') || '-'})`,
      );
    return {
      file: join(folder, `${name}.env`),
      text: envFileText(`Generated by tools/deploy/generate-secrets.mjs for the Secret ${name}.`, known),
    };
  });
  for (const { file } of planned)
    if (existsSync(file)) throw new SecretsError(`${file} exists: remove it first to replace its secrets`);
  for (const { file, text } of planned) writeNew(file, text);
  return planned.map(({ file }) => file);
}

/** An env file for docker/compose.yaml, with the variables it requires. */
export function writeComposeSecrets(file, values = freshValues()) {
  writeNew(file, envFileText('Generated by tools/deploy/generate-secrets.mjs for docker/compose.yaml.', values));
  return [file];
}

function main(argv) {
  const [mode, target] = argv;
  try {
    let written;
    if (mode === '--kubernetes' && argv.length <= 2)
      written = writeKubernetesSecrets(resolve(target ?? DEFAULT_KUBERNETES_FOLDER));
    else if (mode === '--compose' && argv.length === 2) written = writeComposeSecrets(resolve(target));
    else {
      process.stderr.write('usage: generate-secrets.mjs --kubernetes [folder] | --compose FILE\n');
      return 2;
    }
    for (const file of written) process.stdout.write(`wrote ${file}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof SecretsError)) throw error;
    process.stderr.write(`generate-secrets: ${error.message}\n`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = main(process.argv.slice(2));
