import { ModelVersion } from '@churn/mlflow-client';
import { ADMIN_TOKEN, postJson, startApp, waitForVersion, type RunningApp } from './support/app-harness';
import { fixtureSource, mlflowClient, registerTrainedVersion, telcoCustomers } from './support/model-fixtures';

const MODEL = 'iapi_endpoints';

describe(`inference-api endpoints (versions from the ${fixtureSource()})`, () => {
  const client = mlflowClient();
  let app: RunningApp;
  let v1: ModelVersion;
  let customers: Record<string, string | number | null>[];

  beforeAll(async () => {
    v1 = await registerTrainedVersion(client, MODEL, 1);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: v1.version });
    customers = await telcoCustomers(20);
    app = await startApp({ MODEL_NAME: MODEL, MAX_BATCH_ROWS: '50', BODY_LIMIT_BYTES: '65536' });
    await waitForVersion(app, v1.version);
  });

  afterAll(() => app?.close());

  it('answers GET /health with the served version', async () => {
    const response = await fetch(`${app.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', model: `${MODEL}@production (v${v1.version})` });
  });

  it('predicts one customer', async () => {
    const response = await postJson(`${app.url}/predict`, { ...customers[0], user_id: 'u-1', request_id: 'req-1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-model-version')).toBe(v1.version);
    expect(response.json).toEqual({
      prediction: expect.any(Number),
      probability: expect.any(Number),
      model: { name: MODEL, alias: 'production', version: v1.version },
      request_id: 'req-1',
      warnings: [],
    });
  });
});
