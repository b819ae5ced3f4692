/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { postJson, startApp, waitForVersion, type RunningApp } from './support/app-harness';
import { getDrift, sendTraffic, shiftedCustomers, statuses, type Customer } from './support/drift-traffic';
import { mlflowClient, registerTrainedVersion, telcoCustomers } from './support/model-fixtures';

const client = mlflowClient();
const SHIFTED = ['MonthlyCharges', 'Contract'];

describe("GET /drift: live inputs against the served version's train_stats.json", () => {
  const model = `drift-e2e-${Date.now()}`;
  let app: RunningApp;
  let customers: Customer[];

  beforeAll(async () => {
    const v1 = await registerTrainedVersion(client, model, 11);
    await client.registeredModels.setAlias({ name: model, alias: 'production', version: v1.version });
    customers = await telcoCustomers(7043);
    // 1200 rows in 12 buckets of 100: shifted traffic replaces the in-distribution rows quickly.
    app = await startApp({ MODEL_NAME: model, DRIFT_WINDOW_SIZE: '1200', DRIFT_EVALUATE_SECONDS: '0.2' });
    await waitForVersion(app, v1.version);
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('reports every feature as insufficient_data while the window is empty or smaller than 30 rows', async () => {
    const empty = await getDrift(app);
    expect(empty.status).toBe(200);
    expect(empty.json.window).toEqual({ size: 0, from: null, to: null });
    expect(empty.json.model).toEqual({ name: model, alias: 'production', version: '1' });
    expect(new Set(Object.values(statuses(empty.json)))).toEqual(new Set(['insufficient_data']));
    expect(empty.json.dataset_drift).toBe(false);

    await sendTraffic(app, customers.slice(0, 10));
    const small = await getDrift(app);
    expect(small.json.window.size).toBe(10);
    expect(typeof small.json.window.from).toBe('string');
    expect(new Set(Object.values(statuses(small.json)))).toEqual(new Set(['insufficient_data']));
    for (const feature of small.json.features) {
      expect(feature).toEqual({
        name: feature.name,
        method: null,
        statistic: null,
        p_value: null,
        score: null,
        threshold: null,
        status: 'insufficient_data',
        psi: null,
      });
    }
  });

  it('finds no drift in in-distribution traffic, then drift on exactly the shifted features', async () => {
    await sendTraffic(app, customers.slice(10, 1210));
    const calm = await getDrift(app);
    expect(calm.json.window.size).toBeGreaterThanOrEqual(1100);
    expect(calm.json.window.size).toBeLessThanOrEqual(1200);
    expect(calm.json.dataset_drift).toBe(false);
    expect(Object.entries(statuses(calm.json)).filter(([, status]) => status !== 'ok' && status !== 'warn')).toEqual(
      [],
    );
    // Over 1000 rows, Evidently's large-sample methods are used.
    const byName = Object.fromEntries(calm.json.features.map((feature: any) => [feature.name, feature]));
    expect(byName['MonthlyCharges'].method).toBe('wasserstein');
    expect(byName['Contract'].method).toBe('jensenshannon');

    await sendTraffic(app, shiftedCustomers(customers.slice(1210, 2410)));
    const shifted = await getDrift(app);
    const drifted = Object.entries(statuses(shifted.json))
      .filter(([, status]) => status === 'drift')
      .map(([name]) => name);
    expect(drifted.sort()).toEqual([...SHIFTED].sort());
    expect(shifted.json.drifted_features.sort()).toEqual([...SHIFTED].sort());
    // Two of nineteen features: not a dataset drift.
    expect(shifted.json.dataset_drift).toBe(false);
    const monthly = shifted.json.features.find((feature: any) => feature.name === 'MonthlyCharges');
    expect(monthly.score).toBeGreaterThanOrEqual(monthly.threshold);
    expect(monthly.psi).toBeGreaterThan(0.25);
    expect(Date.parse(shifted.json.window.to)).toBeGreaterThanOrEqual(Date.parse(shifted.json.window.from));

    const metrics = await (await fetch(`${app.internalUrl}/metrics`)).text();
    for (const gauge of [
      'inference_drift_feature_statistic',
      'inference_drift_feature_score',
      'inference_drift_feature_psi',
      'inference_drift_feature_drift',
    ]) {
      expect(metrics).toContain(`${gauge}{model="${model}",version="1",feature="MonthlyCharges"}`);
    }
    expect(metrics).toContain(`inference_drift_feature_drift{model="${model}",version="1",feature="MonthlyCharges"} 1`);
    expect(metrics).toContain(`inference_drift_feature_drift{model="${model}",version="1",feature="tenure"} 0`);
    expect(metrics).toContain(`inference_drift_dataset_drift{model="${model}",version="1"} 0`);
    expect(metrics).toMatch(new RegExp(`inference_drift_window_rows\\{model="${model}",version="1"\\} \\d+`));
  });

  it('answers 400 for a malformed version and 404 for one this replica never served', async () => {
    const bad = await getDrift(app, '?version=abc');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ field: 'version', detail: expect.stringContaining('version') });
    const unknown = await getDrift(app, '?version=99');
    expect(unknown.status).toBe(404);
    expect(unknown.json.detail).toContain('version 99');
    const explicit = await getDrift(app, '?version=1');
    expect(explicit.status).toBe(200);
    expect(explicit.json.model.version).toBe('1');
  });
});

describe('GET /drift for a version without train_stats.json', () => {
  const model = `drift-nostats-${Date.now()}`;
  let app: RunningApp;

  beforeAll(async () => {
    const source = await registerTrainedVersion(client, `drift-nostats-source-${Date.now()}`, 12);
    // The same model directory, logged to a run that has no train_stats.json.
    const dir = await mkdtemp(join(tmpdir(), 'drift-nostats-'));
    try {
      const downloadUri = await client.modelVersions.getDownloadUri({ name: source.name, version: source.version });
      await client.artifacts.downloadDirectory(downloadUri, join(dir, 'model'));
      await Promise.all(
        (await readdir(join(dir, 'model')))
          .filter((file) => file === 'train_stats.json')
          .map((file) => rm(join(dir, 'model', file))),
      );
      const { experiment_id: experimentId } = await client.experiments.getOrCreate('inference-api-tests');
      const run = await client.runs.create({ experiment_id: experimentId, run_name: 'no-train-stats' });
      await client.artifacts.logDirectory({
        run_id: run.info.run_id,
        local_dir: join(dir, 'model'),
        artifact_path: 'model',
      });
      await client.runs.update({ run_id: run.info.run_id, status: 'FINISHED', end_time: Date.now() });
      await client.registeredModels.create({ name: model });
      const version = await client.modelVersions.create({
        name: model,
        source: await client.artifacts.runArtifactUri(run.info.run_id, 'model'),
        run_id: run.info.run_id,
      });
      await client.modelVersions.waitUntilReady({ name: model, version: version.version });
      await client.registeredModels.setAlias({ name: model, alias: 'production', version: version.version });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    app = await startApp({ MODEL_NAME: model, DRIFT_EVALUATE_SECONDS: '0.2' });
    await waitForVersion(app, '1');
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('reports every feature as no_reference and no dataset drift, not an error', async () => {
    await sendTraffic(app, shiftedCustomers(await telcoCustomers(100)));
    const report = await getDrift(app);
    expect(report.status).toBe(200);
    expect(report.json.window.size).toBe(100);
    expect(report.json.dataset_drift).toBe(false);
    expect(report.json.features.length).toBeGreaterThan(10);
    expect(new Set(Object.values(statuses(report.json)))).toEqual(new Set(['no_reference']));
  });
});

describe('the drift intake under DRIFT_QUEUE_ROWS', () => {
  const model = `drift-queue-${Date.now()}`;
  let app: RunningApp;
  let customers: Customer[];

  beforeAll(async () => {
    const v1 = await registerTrainedVersion(client, model, 13);
    await client.registeredModels.setAlias({ name: model, alias: 'production', version: v1.version });
    customers = await telcoCustomers(400);
    app = await startApp({ MODEL_NAME: model, DRIFT_QUEUE_ROWS: '150', DRIFT_EVALUATE_SECONDS: '3600' });
    await waitForVersion(app, v1.version);
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('drops and counts a batch beyond the bound, and takes every row of small requests, staged a bound at a time', async () => {
    await sendTraffic(app, customers.slice(0, 200), 200);
    const afterLarge = await getDrift(app);
    expect([afterLarge.json.window.size, afterLarge.json.dropped_rows]).toEqual([0, 200]);

    // 170 one-customer requests: more than a stage's 150 rows, so the full stage is handed to the
    // next drain as the 151st arrives, and the rest enters the window when the report asks.
    for (const customer of customers.slice(200, 370)) {
      const response = await postJson(`${app.url}/predict`, { customers: [customer] });
      expect(response.status).toBe(200);
    }
    const afterSmall = await getDrift(app);
    expect([afterSmall.json.window.size, afterSmall.json.dropped_rows]).toEqual([170, 200]);
  });

  it('gives staged rows their own time once they arrive more than a second after the first staged one', async () => {
    await postJson(`${app.url}/predict`, { customers: customers.slice(0, 1) });
    const before = (await getDrift(app)).json.window;
    const first = Date.parse(before.to);
    await postJson(`${app.url}/predict`, { customers: customers.slice(1, 2) });
    await new Promise((r) => setTimeout(r, 1100));
    await postJson(`${app.url}/predict`, { customers: customers.slice(2, 3) });
    const { window } = (await getDrift(app)).json;
    expect(window.size).toBe(before.size + 2);
    expect(Date.parse(window.to) - first).toBeGreaterThanOrEqual(1100);
  });
});
