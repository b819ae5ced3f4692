/**
 * Real model versions for the tests, registered in the test run's MLflow server.
 *
 * Preferred: the training-worker CLI (`node dist/apps/training-worker/main.js train ...`), the way
 * versions reach production. While that build is absent (or has no `train` subcommand), the same
 * steps are done in-process with the libraries the worker uses: train on the Telco CSV, export ONNX,
 * write the MLflow Model directory, log it and `train_stats.json` to a run, register the version.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  exportPipelineToOnnx,
  readCsvSample,
  trainChurnModel,
  writeMlflowModelDirectory,
  type CustomerRecord,
} from '@churn/churn-pipeline';
import { buildTrainingStatistics } from '@churn/drift-stats';
import { MlflowClient, ResourceAlreadyExistsError, type ModelVersion } from '@churn/mlflow-client';

export const WORKSPACE_ROOT = resolve(__dirname, '../../../..');
export const TELCO_CSV = resolve(WORKSPACE_ROOT, 'libs/churn-pipeline/data/telco-customer-churn.csv');
const TRAINING_WORKER_MAIN = join(WORKSPACE_ROOT, 'dist/apps/training-worker/main.js');

export function mlflowClient(trackingUri = process.env['MLFLOW_TRACKING_URI'] as string): MlflowClient {
  return new MlflowClient({ trackingUri });
}

/** Which way versions are produced in this run, for the report and failure messages. */
export function fixtureSource(): 'training-worker CLI' | 'in-process pipeline' {
  return trainingWorkerCliAvailable() ? 'training-worker CLI' : 'in-process pipeline';
}

let cliAvailable: boolean | undefined;
/** True when the built worker has a `train` subcommand: an unknown flag makes it print its usage before touching MLflow. */
function trainingWorkerCliAvailable(): boolean {
  if (cliAvailable === undefined) {
    const probe = existsSync(TRAINING_WORKER_MAIN)
      ? spawnSync(process.execPath, [TRAINING_WORKER_MAIN, 'train', '--inference-api-probe'], {
          encoding: 'utf8',
          timeout: 30_000,
        })
      : undefined;
    cliAvailable = probe !== undefined && `${probe.stdout}${probe.stderr}`.includes('usage: train');
  }
  return cliAvailable;
}

/** Trains on the Telco data with `seed` and registers a new version of `modelName`. */
export async function registerTrainedVersion(
  client: MlflowClient,
  modelName: string,
  seed: number,
  experiment = 'inference-api-tests',
): Promise<ModelVersion> {
  if (trainingWorkerCliAvailable()) return registerWithCli(client, modelName, seed, experiment);
  const dir = await mkdtemp(join(tmpdir(), 'inference-fixture-'));
  try {
    return await registerInProcess(client, modelName, seed, experiment, dir, undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Registers a version whose `model.onnx` is not an ONNX model (everything else intact). */
export async function registerCorruptVersion(client: MlflowClient, modelName: string): Promise<ModelVersion> {
  const dir = await mkdtemp(join(tmpdir(), 'inference-fixture-'));
  try {
    return await registerInProcess(client, modelName, 7, 'inference-api-tests', dir, async (modelDir) => {
      const bytes = await readFile(join(modelDir, 'model.onnx'));
      await writeFile(
        join(modelDir, 'model.onnx'),
        Buffer.concat([Buffer.from('not an onnx model\n'), bytes.subarray(0, bytes.length >> 1)]),
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Registers a trained version saved without an input example (no `saved_input_example_info`, no
 * example file), as a model logged without `input_example` is: the loader warms it up on one
 * all-missing row.
 */
export async function registerVersionWithoutInputExample(
  client: MlflowClient,
  modelName: string,
  seed: number,
): Promise<ModelVersion> {
  const dir = await mkdtemp(join(tmpdir(), 'inference-fixture-'));
  try {
    return await registerInProcess(client, modelName, seed, 'inference-api-tests', dir, async (modelDir) => {
      const mlmodelPath = join(modelDir, 'MLmodel');
      const mlmodel = await readFile(mlmodelPath, 'utf8');
      const withoutExample = mlmodel.replace(/^saved_input_example_info:\n(?: {2}.*\n)*/m, '');
      if (withoutExample === mlmodel) throw new Error('MLmodel has no saved_input_example_info block to remove');
      await writeFile(mlmodelPath, withoutExample);
      await rm(join(modelDir, 'input_example.json'));
      await rm(join(modelDir, 'serving_input_example.json'), { force: true });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function registerWithCli(
  client: MlflowClient,
  modelName: string,
  seed: number,
  experiment: string,
): Promise<ModelVersion> {
  const before = new Set(
    (
      await client.modelVersions
        .search({ filter: `name='${modelName}'` })
        .toArray()
        .catch(() => [])
    ).map((v) => v.version),
  );
  // The quality gate is off (0): these tests need versions, whatever their F1.
  const flags = [
    `--data=${TELCO_CSV}`,
    `--model-name=${modelName}`,
    `--experiment=${experiment}`,
    `--seed=${seed}`,
    '--gate-f1=0',
    '--register=true',
  ];
  const run = spawnSync(process.execPath, [TRAINING_WORKER_MAIN, 'train', ...flags], {
    cwd: WORKSPACE_ROOT,
    encoding: 'utf8',
    // The worker reads MLflow's own variable; point it at the server this client talks to.
    env: { ...process.env, MLFLOW_TRACKING_URI: client.trackingUri },
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`training-worker train failed (${run.status}): ${run.stderr}\n${run.stdout}`);
  const created = (await client.modelVersions.search({ filter: `name='${modelName}'` }).toArray()).filter(
    (v) => !before.has(v.version),
  );
  if (created.length !== 1)
    throw new Error(`expected training-worker to register one version of ${modelName}, found ${created.length}`);
  return client.modelVersions.waitUntilReady({ name: modelName, version: created[0].version });
}

async function registerInProcess(
  client: MlflowClient,
  modelName: string,
  seed: number,
  experiment: string,
  dir: string,
  tamper: ((modelDir: string) => Promise<void>) | undefined,
): Promise<ModelVersion> {
  const trained = await trainChurnModel({ csvPath: TELCO_CSV, seed });
  const sample = await readCsvSample(createReadStream(TELCO_CSV), 5);
  const inputExample: CustomerRecord[] = sample.rows.map((row) =>
    Object.fromEntries(sample.header.map((name, index) => [name, row[index]])),
  );
  const modelDir = join(dir, 'model');
  await writeMlflowModelDirectory(modelDir, {
    fitted: trained.pipeline,
    onnxBytes: exportPipelineToOnnx(trained.pipeline),
    inputExample,
  });
  if (tamper) await tamper(modelDir);
  const columns = trained.trainingColumns();
  const stats = buildTrainingStatistics(
    Object.fromEntries([
      ...columns.numeric.map(({ name, values }) => [
        name,
        Array.from(values, (value) => (Number.isNaN(value) ? null : value)),
      ]),
      ...columns.categorical.map(({ name, values }) => [name, values]),
    ]),
    {
      numeric: columns.numeric.map((column) => column.name),
      categorical: columns.categorical.map((column) => column.name),
    },
  );
  await writeFile(join(dir, 'train_stats.json'), JSON.stringify(stats));

  const { experiment_id: experimentId } = await client.experiments.getOrCreate(experiment);
  const run = await client.runs.create({ experiment_id: experimentId, run_name: `fixture-seed-${seed}` });
  const runId = run.info.run_id;
  await client.artifacts.logDirectory({ run_id: runId, local_dir: modelDir, artifact_path: 'model' });
  await client.artifacts.logFile({ run_id: runId, local_path: join(dir, 'train_stats.json') });
  await client.runs.update({ run_id: runId, status: 'FINISHED', end_time: Date.now() });
  try {
    await client.registeredModels.create({ name: modelName });
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsError)) throw error;
  }
  const version = await client.modelVersions.create({
    name: modelName,
    source: await client.artifacts.runArtifactUri(runId, 'model'),
    run_id: runId,
    tags: {
      f1: String(trained.metrics.f1),
      roc_auc: String(trained.metrics.rocAuc),
      run_id: runId,
      gate_passed: 'true',
    },
  });
  return client.modelVersions.waitUntilReady({ name: modelName, version: version.version });
}

/** Customers from the Telco CSV as the API receives them (text cells; numbers for numeric columns). */
export async function telcoCustomers(count: number): Promise<Record<string, string | number | null>[]> {
  const sample = await readCsvSample(createReadStream(TELCO_CSV), count);
  const numeric = new Set(['tenure', 'MonthlyCharges', 'TotalCharges']);
  return sample.rows.map((row) =>
    Object.fromEntries(
      sample.header
        .map((name, index): [string, string | number | null] => {
          const cell = row[index];
          if (!numeric.has(name)) return [name, cell];
          return [name, cell.trim() === '' ? null : Number(cell)];
        })
        .filter(([name]) => name !== 'Churn' && name !== 'customerID'),
    ),
  );
}
