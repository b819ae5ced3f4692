// A trained Telco version loaded from the test run's real MLflow is served on its packed,
// integer-coded copy, and scores customers bit for bit as a plain session of its model.onnx does.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InferenceSession, Tensor } from 'onnxruntime-node';

import { defaultChurnSchema } from '@churn/churn-pipeline';

import { mlflowClient, registerTrainedVersion, telcoCustomers } from '../../../test/support/model-fixtures';
import { ModelCache } from './model-cache';
import { loadModelVersion } from './model-loader';

const MODEL = 'iapi_loader_model';

describe('loadModelVersion (real MLflow)', () => {
  const client = mlflowClient();
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'model-loader-cache-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('serves the packed, integer-coded copy of a Telco version, scoring as its model.onnx does', async () => {
    const schema = defaultChurnSchema();
    const version = await registerTrainedVersion(client, MODEL, 3);
    const model = await loadModelVersion(version, 'production', { client, cache: new ModelCache(client, root, 5) });
    const original = await InferenceSession.create(await readFile(join(model.info.localDir, 'model.onnx')));
    try {
      expect(model.info.integerCodedInputs.sort()).toEqual([...schema.categorical].sort());
      expect(model.info.packedInputs).toEqual([...schema.numeric, ...schema.categorical]);
      expect(
        model.contract.packedInputs?.map((group) => [
          group.tensorType,
          group.columns.map((index) => model.contract.columns[index].name),
        ]),
      ).toEqual([
        ['float32', schema.numeric],
        ['int64', schema.categorical],
      ]);

      const customers = await telcoCustomers(300);
      customers[1]['Contract'] = 'Two weeks';
      customers[2]['tenure'] = null;
      const scores = await model.score(model.builder.fromRecords(customers, (row, column) => `${row}.${column}`));
      const feeds: Record<string, Tensor> = {};
      for (const name of schema.numeric)
        feeds[name] = new Tensor(
          'float32',
          Float32Array.from(customers, (customer) => (customer[name] === null ? Number.NaN : Number(customer[name]))),
          [customers.length],
        );
      for (const name of schema.categorical)
        feeds[name] = new Tensor(
          'string',
          customers.map((customer) => String(customer[name] ?? '')),
          [customers.length],
        );
      const expected = (await original.run(feeds))['probability'].data as Float32Array;
      expect(Array.from(scores.probabilities)).toEqual(Array.from(expected));
    } finally {
      model.dispose();
      await original.release();
    }
  });
});
