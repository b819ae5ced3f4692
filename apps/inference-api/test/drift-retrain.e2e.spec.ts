/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { tagsToRecord } from '@churn/mlflow-client';
import { freePort } from '@churn/service-kit/testing';

import { startApp, waitFor, waitForVersion, type RunningApp } from './support/app-harness';
import { getDrift, heavilyShiftedCustomers, sendTraffic } from './support/drift-traffic';
import {
  mlflowClient,
  registerTrainedVersion,
  TELCO_CSV,
  telcoCustomers,
  WORKSPACE_ROOT,
} from './support/model-fixtures';

const client = mlflowClient();
const TRAINING_WORKER_MAIN = join(WORKSPACE_ROOT, 'dist/apps/training-worker/main.js');
const TRAINER_TOKEN = 'drift-test-trainer-token';
const IDEMPOTENCY_TAG = 'training_worker.idempotency_key';

/** A real training-worker server (the built one) in its own process, stopped by its pid. */
async function startTrainingWorker(experiment: string): Promise<{ url: string; child: ChildProcess; log: string }> {
  if (!existsSync(TRAINING_WORKER_MAIN))
    throw new Error(`${TRAINING_WORKER_MAIN} is missing: build training-worker first (the test target depends on it)`);
  const port = await freePort();
  const log = join(mkdtempSync(join(tmpdir(), 'drift-worker-')), 'training-worker.log');
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, [TRAINING_WORKER_MAIN], {
    cwd: WORKSPACE_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      API_TOKENS: `drift-monitor:trainer:${TRAINER_TOKEN}`,
      MLFLOW_TRACKING_URI: process.env['MLFLOW_TRACKING_URI'],
      DEFAULT_DATA: TELCO_CSV,
      EXPERIMENT_NAME: experiment,
    },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'training-worker /health',
    async () => {
      if (child.exitCode !== null)
        throw new Error(`training-worker exited with ${child.exitCode}: ${readFileSync(log, 'utf8').slice(-2000)}`);
      return (await fetch(`${url}/health`)).ok ? true : undefined;
    },
    60_000,
  );
  return { url, child, log };
}

describe('drift that persists through the cool-down starts exactly one retraining job, whatever the number of replicas', () => {
  const model = `drift-retrain-${Date.now()}`;
  const experiment = `drift-retrain-jobs-${Date.now()}`;
  let worker: { url: string; child: ChildProcess; log: string };
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    const v1 = await registerTrainedVersion(client, model, 21);
    await client.registeredModels.setAlias({ name: model, alias: 'production', version: v1.version });
    worker = await startTrainingWorker(experiment);
    for (let replica = 0; replica < 2; replica++) {
      const app = await startApp({
        MODEL_NAME: model,
        // Polling off: the retrained version is registered without moving the alias, and the test must not race a reload.
        POLL_INTERVAL_MS: '0',
        DRIFT_WINDOW_SIZE: '600',
        DRIFT_EVALUATE_SECONDS: '0.5',
        DRIFT_ALERT_COOLDOWN_SECONDS: '2',
        DRIFT_RETRAIN_ENABLED: 'true',
        TRAINING_WORKER_URL: worker.url,
        TRAINING_WORKER_TOKEN: TRAINER_TOKEN,
      });
      apps.push(app);
      await waitForVersion(app, v1.version);
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    if (worker && worker.child.exitCode === null) {
      const gone = new Promise((resolve) => worker.child.once('exit', resolve));
      process.kill(worker.child.pid as number, 'SIGTERM');
      await gone;
    }
  }, 180_000);

  it("alerts on both replicas, records the job id, and MLflow gets one job run tagged with the alert's key", async () => {
    const shifted = heavilyShiftedCustomers(await telcoCustomers(600));
    await Promise.all(apps.map((app) => sendTraffic(app, shifted)));
    for (const app of apps) expect((await getDrift(app)).json.dataset_drift).toBe(true);

    // Between one and two cool-downs of drift before the alert, then the job request.
    const alerts = await Promise.all(
      apps.map((app) =>
        waitFor(
          'a drift alert with a job id',
          async () => {
            const alert = (await getDrift(app)).json.alerts[0];
            return alert?.retrain?.job_id ? alert : undefined;
          },
          30_000,
        ),
      ),
    );
    for (const alert of alerts) {
      expect(alert.model).toMatchObject({ name: model, version: '1' });
      expect(alert.idempotency_key).toMatch(new RegExp(`^drift-${model}-v1-\\d+$`));
      expect(['started', 'existing']).toContain(alert.retrain.status);
      expect(alert.drifted_features.length).toBeGreaterThan(0);
    }
    expect(alerts[0].retrain.job_id).toBe(alerts[1].retrain.job_id);
    const started = alerts.filter((alert) => alert.retrain.status === 'started');
    expect(started).toHaveLength(1);

    // Two more cool-downs of the same drift: no further alert (one per episode), no further job.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    for (const app of apps) expect((await getDrift(app)).json.alerts).toHaveLength(1);

    const { experiment_id: experimentId } = await client.experiments.getByName(experiment);
    const runs = await client.runs
      .search({ experiment_ids: [experimentId], filter: `tags.\`training_worker.job\` = 'true'` })
      .toArray();
    expect(runs.map((run) => run.info.run_id)).toEqual([alerts[0].retrain.job_id]);
    expect(tagsToRecord(runs[0].data.tags)[IDEMPOTENCY_TAG]).toBe(started[0].idempotency_key);

    // The loop closes: the job trains on the configured data and registers a new version of the model.
    const finished = await waitFor(
      'the retraining job to finish',
      async () => {
        const job = (await (
          await fetch(`${worker.url}/jobs/${alerts[0].retrain.job_id}`, {
            headers: { authorization: `Bearer ${TRAINER_TOKEN}` },
          })
        ).json()) as any;
        if (job.status === 'FAILED') throw new Error(`the job failed: ${job.error}`);
        return job.status === 'FINISHED' ? job : undefined;
      },
      150_000,
    );
    expect(finished.model_name).toBe(model);
    expect(finished.options.idempotency_key).toBe(started[0].idempotency_key);
    expect(finished.registered_version).toBe('2');
  }, 240_000);
});
