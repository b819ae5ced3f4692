import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ModelVersion } from '@churn/mlflow-client';

import { openPredictionStore, type PredictionRecord, type StoredPrediction } from '../src/app/prediction-log';
import { FEEDBACK_TOKEN, postJson, startApp, waitFor, waitForVersion, type RunningApp } from './support/app-harness';
import { mlflowClient, registerTrainedVersion, telcoCustomers } from './support/model-fixtures';

// The prediction log's endpoints and settings in one process: what /feedback and /ab/report answer
// to good and bad requests, the JSONL copy, retention, and the log switched off. Routing across
// replicas and the report's numbers are proven by test/system/champion-challenger.spec.ts.

const MODEL = 'iapi_prediction_log';
const DAY_MS = 86_400_000;

function oldRecord(requestId: string, receivedAt: number): PredictionRecord {
  return {
    requestId,
    row: 0,
    receivedAt,
    userId: 'u-old',
    variant: 'production',
    modelName: MODEL,
    alias: 'production',
    version: '1',
    features: { tenure: 3 },
    probability: 0.4,
    prediction: 0,
    latencyMs: 1,
    trafficShare: null,
    shadow: null,
    replica: 'earlier-replica',
  };
}

async function storedIds(storeUrl: string): Promise<string[]> {
  const store = openPredictionStore(storeUrl);
  await store.init();
  try {
    const ids: string[] = [];
    for await (const record of store.predictions({ modelName: MODEL })) ids.push(record.requestId);
    return ids;
  } finally {
    await store.close();
  }
}

async function storedRecord(storeUrl: string, requestId: string): Promise<StoredPrediction | undefined> {
  const store = openPredictionStore(storeUrl);
  await store.init();
  try {
    for await (const record of store.predictions({ modelName: MODEL }))
      if (record.requestId === requestId) return record;
    return undefined;
  } finally {
    await store.close();
  }
}

describe('inference-api prediction log, feedback and report endpoints', () => {
  const client = mlflowClient();
  let version: ModelVersion;
  let customers: Record<string, string | number | null>[];
  let app: RunningApp;
  let storeUrl: string;
  let jsonlPath: string;

  beforeAll(async () => {
    version = await registerTrainedVersion(client, MODEL, 1);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: version.version });
    customers = await telcoCustomers(5);
    const dir = mkdtempSync(join(tmpdir(), 'prediction-log-e2e-'));
    storeUrl = `sqlite:${join(dir, 'predictions.db')}`;
    jsonlPath = join(dir, 'log', 'predictions.jsonl');
    // A record older than the retention period, left by an earlier run: the sweep at start removes it.
    const seed = openPredictionStore(storeUrl);
    await seed.init();
    await seed.insert([
      oldRecord('from-40-days-ago', Date.now() - 40 * DAY_MS),
      oldRecord('from-yesterday', Date.now() - DAY_MS),
    ]);
    await seed.close();
    app = await startApp({
      MODEL_NAME: MODEL,
      INFERENCE_STORE_URL: storeUrl,
      PREDICTION_LOG_JSONL_PATH: jsonlPath,
      PREDICTION_LOG_FLUSH_MS: '20',
      PREDICTION_RETENTION_DAYS: '30',
      FEEDBACK_WINDOW_SECONDS: String(7 * 86_400),
    });
    await waitForVersion(app, version.version);
  });

  afterAll(() => app?.close());

  const feedback = (body: unknown, token: string | null = FEEDBACK_TOKEN) =>
    postJson(`${app.internalUrl}/feedback`, body, token ? { authorization: `Bearer ${token}` } : {});

  it('deletes records older than PREDICTION_RETENTION_DAYS at start and keeps younger ones', async () => {
    await waitFor('the retention sweep', async () =>
      (await storedIds(storeUrl)).includes('from-40-days-ago') ? undefined : true,
    );
    expect(await storedIds(storeUrl)).toContain('from-yesterday');
  });

  it('records every row of a prediction with its features, variant and version, in the store and the JSONL file', async () => {
    const answer = await postJson(`${app.url}/predict`, {
      customers: customers.slice(0, 3),
      request_id: 'log-batch-1',
      user_id: 'u-9',
    });
    expect(answer.status).toBe(200);
    const record = await waitFor('the batch in the store', () => storedRecord(storeUrl, 'log-batch-1'));
    expect(record).toMatchObject({
      row: 0,
      userId: 'u-9',
      variant: 'production',
      alias: 'production',
      version: version.version,
      replica: expect.any(String),
      trafficShare: null,
      shadow: null,
      actual: null,
    });
    expect(record.probability).toBeCloseTo(answer.json.predictions[0].probability, 6);
    expect(record.features['tenure']).toBe(Number(customers[0]['tenure']));
    expect(record.features['Contract']).toBe(customers[0]['Contract']);
    const lines = await waitFor('the JSONL lines', async () => {
      if (!existsSync(jsonlPath)) return undefined;
      const parsed = readFileSync(jsonlPath, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const batch = parsed.filter((line) => line['request_id'] === 'log-batch-1');
      return batch.length === 3 ? batch : undefined;
    });
    expect(lines.map((line) => [line['row'], line['variant'], line['version']])).toEqual([
      [0, 'production', version.version],
      [1, 'production', version.version],
      [2, 'production', version.version],
    ]);
  });

  it('POST /feedback joins labels to logged rows, reports unknown and expired ones', async () => {
    const response = await feedback({
      labels: [
        { request_id: 'log-batch-1', row: 2, actual: true },
        { request_id: 'no-such-request', actual: 0 },
        { request_id: 'from-yesterday', actual: 1 },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      received: 3,
      joined: 2,
      unknown: [{ request_id: 'no-such-request', row: 0 }],
      expired: [],
    });
    const labelled = (await storedRecord(storeUrl, 'from-yesterday')) as StoredPrediction;
    expect(labelled.actual).toBe(1);
  });

  it('POST /feedback refuses labels for predictions older than FEEDBACK_WINDOW_SECONDS', async () => {
    const seed = openPredictionStore(storeUrl);
    await seed.init();
    await seed.insert([oldRecord('from-10-days-ago', Date.now() - 10 * DAY_MS)]);
    await seed.close();
    const response = await feedback({ request_id: 'from-10-days-ago', actual: 1 });
    expect(response.json).toEqual({
      received: 1,
      joined: 0,
      unknown: [],
      expired: [{ request_id: 'from-10-days-ago', row: 0 }],
    });
  });

  it('POST /feedback answers 401 without the token and 400/413 naming the bad field', async () => {
    expect((await feedback({ request_id: 'x', actual: 1 }, null)).status).toBe(401);
    expect((await feedback({ request_id: 'x', actual: 1 }, 'wrong')).status).toBe(401);
    const bad = await feedback([
      { request_id: 'a', actual: 1 },
      { request_id: 'b', actual: 'churned' },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      field: '[1].actual',
      detail: expect.stringContaining('expected the observed outcome 0 or 1'),
    });
    expect((await feedback('{"request_id": ')).status).toBe(400);
    const tooMany = await feedback({
      labels: Array.from({ length: 10_001 }, (_, index) => ({ request_id: `r${index}`, actual: 0 })),
    });
    expect([tooMany.status, tooMany.json['field']]).toEqual([413, 'labels']);
  });

  it('GET /ab/report answers with no experiment before any split, and 400 naming a bad parameter', async () => {
    const report = await fetch(`${app.internalUrl}/ab/report`);
    expect(report.status).toBe(200);
    const body = (await report.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      model: MODEL,
      verdict: 'no_experiment',
      traffic: { challenger_share: null, shadow: false },
      sample_ratio_mismatch: { checked: false },
    });
    expect(
      (body['variants'] as { variant: string; version: string; count: number }[]).find(
        (entry) => entry.version === version.version && entry.variant === 'production',
      )?.count,
    ).toBeGreaterThanOrEqual(3);
    const bad = await fetch(`${app.internalUrl}/ab/report?confidence=95`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'confidence' });
  });

  it('counts written rows in /metrics', async () => {
    const metrics = await (await fetch(`${app.internalUrl}/metrics`)).text();
    expect(
      Number(/inference_prediction_log_rows_total\{outcome="written"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/inference_feedback_labels_total\{outcome="joined"\} 2/);
    expect(metrics).toMatch(/inference_feedback_labels_total\{outcome="expired"\} 1/);
  });
});

describe('inference-api with PREDICTION_LOG_ENABLED=false', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ MODEL_NAME: 'iapi_prediction_log_off', PREDICTION_LOG_ENABLED: 'false' });
  });

  afterAll(() => app?.close());

  it('answers /feedback and /ab/report with 503 saying the log is off', async () => {
    const report = await fetch(`${app.internalUrl}/ab/report`);
    expect(report.status).toBe(503);
    expect(((await report.json()) as { detail: string }).detail).toContain('PREDICTION_LOG_ENABLED=false');
    const response = await postJson(
      `${app.internalUrl}/feedback`,
      { request_id: 'x', actual: 1 },
      { authorization: `Bearer ${FEEDBACK_TOKEN}` },
    );
    expect(response.status).toBe(503);
  });
});
