import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ModelVersion } from '@churn/mlflow-client';
import { freePort } from '@churn/service-kit/testing';

import { postJson, startApp, waitForVersion, type RunningApp } from './support/app-harness';
import { fixtureSource, mlflowClient, registerTrainedVersion, telcoCustomers } from './support/model-fixtures';
import { startPythonServer, type PythonServer } from './support/python-processes';

const MODEL = 'iapi_parity';

/**
 * Both servers run the same model.onnx in onnxruntime (MLflow's onnx pyfunc in Python, ours in
 * Node) on float32 inputs, so probabilities should agree to float32 rounding of the same graph;
 * 1e-6 allows for the two runtime builds choosing different kernels for the same operators.
 */
const TOLERANCE = 1e-6;

describe(`/invocations answers as \`mlflow models serve\` does for the same version (versions from the ${fixtureSource()})`, () => {
  const client = mlflowClient();
  let app: RunningApp;
  let mlflowServe: PythonServer;
  let version: ModelVersion;
  let customers: Record<string, string | number | null>[];

  beforeAll(async () => {
    version = await registerTrainedVersion(client, MODEL, 3);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: version.version });
    customers = await telcoCustomers(60);
    const port = await freePort();
    app = await startApp({ MODEL_NAME: MODEL });
    mlflowServe = await startPythonServer(
      [
        '-m',
        'mlflow',
        'models',
        'serve',
        '-m',
        `models:/${MODEL}/${version.version}`,
        '--env-manager',
        'local',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--workers',
        '1',
      ],
      port,
      mkdtempSync(join(tmpdir(), 'mlflow-serve-')),
      { MLFLOW_TRACKING_URI: process.env['MLFLOW_TRACKING_URI'] as string },
      '/ping',
    );
    await waitForVersion(app, version.version);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([app?.close(), mlflowServe?.stop()]);
  });

  const columns = () => Object.keys(customers[0]);
  const bodies: [string, () => unknown][] = [
    [
      'dataframe_split',
      () => ({ dataframe_split: { columns: columns(), data: customers.map((c) => columns().map((k) => c[k])) } }),
    ],
    ['dataframe_records', () => ({ dataframe_records: customers })],
    ['instances', () => ({ instances: customers })],
    [
      'inputs as columns',
      () => ({ inputs: Object.fromEntries(columns().map((k) => [k, customers.map((c) => c[k])])) }),
    ],
    ['a missing numeric value', () => ({ dataframe_records: [{ ...customers[0], TotalCharges: null }] })],
  ];

  it.each(bodies)('gives the same predictions for %s', async (_format, body) => {
    const [ours, theirs] = await Promise.all([
      postJson(`${app.url}/invocations`, body()),
      postJson(`${mlflowServe.url}/invocations`, body()),
    ]);
    expect(theirs.status).toBe(200);
    expect(ours.status).toBe(200);
    expectSamePredictions(ours.json, theirs.json);
  });

  it('gives the same predictions for a text/csv body', async () => {
    const csv = [
      columns().join(','),
      ...customers.map((c) =>
        columns()
          .map((k) => (c[k] === null ? '' : String(c[k])))
          .join(','),
      ),
    ].join('\n');
    const send = async (url: string) =>
      (
        await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })
      ).json();
    const [ours, theirs] = await Promise.all([send(app.url), send(mlflowServe.url)]);
    expectSamePredictions(ours as Record<string, unknown>, theirs as Record<string, unknown>);
  });

  it('answers a body without a known format with the same error code', async () => {
    const body = { records: customers.slice(0, 1) };
    const [ours, theirs] = await Promise.all([
      postJson(`${app.url}/invocations`, body),
      postJson(`${mlflowServe.url}/invocations`, body),
    ]);
    expect(ours.status).toBe(theirs.status);
    expect(ours.json.error_code).toBe(theirs.json.error_code);
    expect(ours.json.message).toContain('The input must be a JSON dictionary with exactly one of the input fields');
  });
});

function expectSamePredictions(ours: Record<string, unknown>, theirs: Record<string, unknown>): void {
  expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  const a = ours['predictions'] as { label: number; probability: number }[];
  const b = theirs['predictions'] as { label: number; probability: number }[];
  expect(a).toHaveLength(b.length);
  a.forEach((row, index) => {
    expect(Object.keys(row)).toEqual(Object.keys(b[index]));
    expect(row.label).toBe(b[index].label);
    const difference = Math.abs(row.probability - b[index].probability);
    if (difference > TOLERANCE) {
      throw new Error(
        `row ${index}: probability ${row.probability} vs mlflow models serve ${b[index].probability}, difference ${difference} > tolerance ${TOLERANCE}`,
      );
    }
  });
}
