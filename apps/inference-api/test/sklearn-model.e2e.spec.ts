import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pinnedPython } from '@churn/service-kit/testing';

import { ADMIN_TOKEN, postJson, startApp, waitForVersion, type RunningApp } from './support/app-harness';
import { mlflowClient, TELCO_CSV } from './support/model-fixtures';

const MODEL = 'iapi_sklearn';

/**
 * scikit-learn scores in float64; the skl2onnx graph in float32. Standardised inputs and a dozen
 * coefficients keep the logit's float32 rounding error near 1e-6, so probabilities (whose derivative
 * in the logit is at most 1/4) agree well within 1e-5.
 */
const TOLERANCE = 1e-5;

interface PythonOutput {
  plain_version: string;
  zipmap_version: string;
  records: Record<string, unknown>[];
  probabilities: number[];
}

describe('a scikit-learn pipeline converted with skl2onnx and logged from Python', () => {
  let app: RunningApp;
  let output: PythonOutput;

  beforeAll(async () => {
    const outputPath = join(mkdtempSync(join(tmpdir(), 'iapi-sklearn-')), 'output.json');
    const run = spawnSync(
      pinnedPython(),
      [join(__dirname, 'python/log_sklearn_models.py'), TELCO_CSV, MODEL, outputPath],
      {
        encoding: 'utf8',
        env: { ...process.env },
        timeout: 180_000,
      },
    );
    if (run.status !== 0) throw new Error(`log_sklearn_models.py failed (${run.status}):\n${run.stderr}`);
    output = JSON.parse(readFileSync(outputPath, 'utf8')) as PythonOutput;
    const client = mlflowClient();
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: output.plain_version });
    app = await startApp({ MODEL_NAME: MODEL, POLL_INTERVAL_MS: '0' });
    await waitForVersion(app, output.plain_version);
  }, 240_000);

  afterAll(() => app?.close());

  it("is served with scikit-learn's own probabilities", async () => {
    const response = await postJson(`${app.url}/predict`, { customers: output.records });
    expect(response.status).toBe(200);
    const probabilities = (response.json.predictions as { probability: number }[]).map((p) => p.probability);
    probabilities.forEach((probability, row) => {
      const difference = Math.abs(probability - output.probabilities[row]);
      if (difference > TOLERANCE) {
        throw new Error(
          `row ${row}: served ${probability}, scikit-learn ${output.probabilities[row]}, difference ${difference} > tolerance ${TOLERANCE}`,
        );
      }
    });
    const model = (await (await fetch(`${app.internalUrl}/model`)).json()) as Record<string, unknown>;
    expect(model['outputs']).toEqual({ probability: 'probabilities', probability_width: 2, label: 'label' });
  });

  it('warns about unknown categories read from the skl2onnx graph', async () => {
    const response = await postJson(`${app.url}/predict`, { ...output.records[0], Contract: 'Forever' });
    expect(response.json.warnings).toEqual([
      'Contract: unknown category "Forever" scored as none of the known categories',
    ]);
  });

  it('refuses a ZipMap export with a message saying to export with zipmap=False', async () => {
    const client = mlflowClient();
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: output.zipmap_version });
    const answer = await postJson(
      `${app.internalUrl}/admin/reload`,
      { name: MODEL },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(answer.json.slots[0]).toMatchObject({
      version: output.plain_version,
      last_error: { version: output.zipmap_version, stage: 'contract' },
    });
    expect(answer.json.slots[0].last_error.message).toMatch(/sequence of maps.*export with zipmap=False/);
    expect((await postJson(`${app.url}/predict`, output.records[0])).json.model.version).toBe(output.plain_version);
  });
});
