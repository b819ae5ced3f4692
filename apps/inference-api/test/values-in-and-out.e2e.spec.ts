// What the model cannot take is refused, and what it answers that is not a probability is never a
// prediction: the same answer on the scoring fast path (real HTTP) and through the framework
// (inject), for /predict and /invocations. Versions from the test run's real MLflow.
import type { ModelVersion } from '@churn/mlflow-client';

import { postJson, startApp, waitForVersion, type RunningApp } from './support/app-harness';
import { mlflowClient, registerTrainedVersion, telcoCustomers } from './support/model-fixtures';
import { registerSqrtVersion } from './support/sqrt-model';

interface Case {
  url: '/predict' | '/invocations';
  payload: unknown;
  status: number;
  /** The field the answer names: `field` on /predict (a problem), the start of `message` on /invocations (MLflow's shape). */
  field: string;
  message: RegExp;
}

/** Sends the case both ways and checks each answer: same status, same body, the field named. */
async function expectAnsweredBothWays(app: RunningApp, { url, payload, status, field, message }: Case): Promise<void> {
  const body = JSON.stringify(payload);
  const direct = await postJson(`${app.url}${url}`, body);
  // inject() goes through Fastify's router to the Nest controller, never through the fast path.
  const framework = await app.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: body,
  });
  const label = `${url} ${body.slice(0, 120)}`;
  expect({ label, status: direct.status }).toEqual({ label, status });
  expect({ label, status: framework.statusCode }).toEqual({ label, status });
  expect(direct.json).toEqual(framework.json());
  // A problem's field and detail on /predict; MLflow's message, which starts with the field, on /invocations.
  if (url === '/predict') expect({ label, field: direct.json.field }).toEqual({ label, field });
  else expect(direct.json.message.startsWith(`${field}: `)).toBe(true);
  expect(direct.json[url === '/predict' ? 'detail' : 'message']).toMatch(message);
}

describe('inputs the model cannot take (churn model, float32 inputs)', () => {
  const client = mlflowClient();
  const MODEL = 'iapi_values_in';
  let app: RunningApp;
  let version: ModelVersion;
  let customers: Record<string, string | number | null>[];

  beforeAll(async () => {
    version = await registerTrainedVersion(client, MODEL, 5);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: version.version });
    customers = await telcoCustomers(3);
    app = await startApp({ MODEL_NAME: MODEL });
    await waitForVersion(app, version.version);
  });

  afterAll(() => app?.close());

  const split = (rows: Record<string, unknown>[]) => {
    const columns = Object.keys(rows[0]);
    return { dataframe_split: { columns, data: rows.map((row) => columns.map((column) => row[column])) } };
  };
  const float32 = /is beyond what this input's type \(float32, at most ±3\.4028234663852886e38\) can hold/;

  it('refuses with a 400 naming the field: numbers float32 cannot hold, control characters, over-long ids', async () => {
    const cases: Case[] = [
      { url: '/predict', payload: { ...customers[0], tenure: 1e39 }, status: 400, field: 'tenure', message: float32 },
      {
        url: '/predict',
        payload: { customers: [customers[0], { ...customers[1], MonthlyCharges: -1e39 }] },
        status: 400,
        field: 'customers[1].MonthlyCharges',
        message: float32,
      },
      {
        url: '/predict',
        payload: { ...customers[0], TotalCharges: '1e39' },
        status: 400,
        field: 'TotalCharges',
        message: float32,
      },
      {
        url: '/predict',
        payload: { ...customers[0], Contract: 'Month-to-month\u0000' },
        status: 400,
        field: 'Contract',
        message: /control character U\+0000/,
      },
      {
        url: '/predict',
        payload: [customers[0], { ...customers[1], PaymentMethod: 'Mailed\u007fcheck' }],
        status: 400,
        field: '[1].PaymentMethod',
        message: /control character U\+007F/,
      },
      {
        url: '/predict',
        payload: { ...customers[0], request_id: 'r'.repeat(10_000) },
        status: 400,
        field: 'request_id',
        message: /1 to 128 characters/,
      },
      {
        url: '/predict',
        payload: { ...customers[0], user_id: 'u'.repeat(10_000) },
        status: 400,
        field: 'user_id',
        message: /at most 256 characters/,
      },
      {
        url: '/predict',
        payload: { customers: [customers[0]], user_id: 'u\n2' },
        status: 400,
        field: 'user_id',
        message: /control character U\+000A/,
      },
      {
        url: '/invocations',
        payload: split([customers[0], { ...customers[1], tenure: 1e39 }]),
        status: 400,
        field: 'dataframe_split.data[1] (tenure)',
        message: float32,
      },
      {
        url: '/invocations',
        payload: split([{ ...customers[0], MonthlyCharges: -1e39 }]),
        status: 400,
        field: 'dataframe_split.data[0] (MonthlyCharges)',
        message: float32,
      },
      {
        url: '/invocations',
        // DEL is not escaped by JSON.stringify: the raw byte reaches the dataframe_split scanner.
        payload: split([{ ...customers[0], gender: 'Fe\u007fmale' }]),
        status: 400,
        field: 'dataframe_split.data[0] (gender)',
        message: /control character U\+007F/,
      },
      {
        url: '/invocations',
        payload: { dataframe_records: [{ ...customers[0], Contract: 'One\u001byear' }] },
        status: 400,
        field: 'dataframe_records[0].Contract',
        message: /control character U\+001B/,
      },
      {
        url: '/invocations',
        payload: { instances: [{ ...customers[0], tenure: -1e39 }] },
        status: 400,
        field: 'instances[0].tenure',
        message: float32,
      },
    ];
    for (const testCase of cases) await expectAnsweredBothWays(app, testCase);
  });

  it('refuses them in a text/csv body too (the framework path)', async () => {
    const columns = Object.keys(customers[0]);
    const line = (row: Record<string, unknown>) => columns.map((column) => String(row[column] ?? '')).join(',');
    for (const [row, message] of [
      [{ ...customers[0], tenure: '1e39' }, float32],
      [{ ...customers[0], Partner: 'Y\u0007es' }, /control character U\+0007/],
    ] as const) {
      const response = await fetch(`${app.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: `${columns.join(',')}\n${line(row)}\n`,
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(message);
    }
  });

  it('still takes the largest numbers float32 holds', async () => {
    const response = await postJson(`${app.url}/predict`, { ...customers[0], TotalCharges: 3.4028234663852886e38 });
    expect(response.status).toBe(200);
  });
});

describe('outputs that are not probabilities (√x model: NaN below 0, above 1 past 1)', () => {
  const client = mlflowClient();
  const MODEL = 'iapi_values_out';
  let app: RunningApp;
  let version: ModelVersion;

  beforeAll(async () => {
    version = await registerSqrtVersion(client, MODEL, [0.25, 0.64]);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: version.version });
    app = await startApp({ MODEL_NAME: MODEL });
    await waitForVersion(app, version.version);
  });

  afterAll(() => app?.close());

  it('answers 422 naming the row and the version, never a prediction, and counts the rows', async () => {
    const not = new RegExp(
      `${MODEL} v${version.version} \\(production\\) returned probability (NaN|2|3), not a probability in \\[0, 1\\]; no prediction is answered for it`,
    );
    const count = async () =>
      [
        ...(await (await fetch(`${app.internalUrl}/metrics`)).text()).matchAll(
          /^inference_invalid_outputs_total\{.*\} (\d+)$/gm,
        ),
      ]
        .map((match) => Number(match[1]))
        .reduce((a, b) => a + b, 0);
    const before = await count();
    const cases: Case[] = [
      { url: '/predict', payload: { x: -1 }, status: 422, field: 'body', message: not },
      {
        url: '/predict',
        payload: { customers: [{ x: 0.25 }, { x: 4 }, { x: -4 }] },
        status: 422,
        field: 'customers[1]',
        message: not,
      },
      {
        url: '/invocations',
        payload: { dataframe_split: { columns: ['x'], data: [[0.25], [0.36], [-1]] } },
        status: 422,
        field: 'row 2',
        message: not,
      },
      {
        url: '/invocations',
        payload: { dataframe_records: [{ x: 9 }] },
        status: 422,
        field: 'row 0',
        message: not,
      },
    ];
    for (const testCase of cases) await expectAnsweredBothWays(app, testCase);
    // Each case sent twice (fast path and framework): 1 + 2 + 1 + 1 bad rows, twice.
    expect((await count()) - before).toBe(10);
    const fine = await postJson(`${app.url}/predict`, { customers: [{ x: 0.25 }, { x: 1 }] });
    expect(fine.status).toBe(200);
    expect(fine.json.predictions.map((p: { probability: number }) => p.probability)).toEqual([0.5, 1]);
  });
});
