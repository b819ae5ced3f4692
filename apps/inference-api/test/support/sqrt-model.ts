/**
 * A one-column ONNX model whose "probability" is the square root of its input: NaN for a negative
 * value and above 1 for a value above 1, so a test can make a real onnxruntime session answer a row
 * with something that is not a probability. Registered in a real MLflow server like any version
 * (MLmodel with an onnx flavor and a signature, model.onnx, an input example).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { encodeOnnxModel, ONNX_DEFAULT_OPSET, ONNX_IR_VERSION, TensorElementType } from '@churn/churn-pipeline';
import { MlflowClient, ResourceAlreadyExistsError, type ModelVersion } from '@churn/mlflow-client';

/** The model's bytes: input `x` (float [N]); outputs `label` (int64 [N], x cast) and `probability` (float [N], √x). */
export function sqrtModelOnnx(): Uint8Array {
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetImports: [{ domain: '', version: ONNX_DEFAULT_OPSET }],
    producerName: 'inference-api tests',
    producerVersion: '1',
    metadata: {},
    graph: {
      name: 'sqrt',
      nodes: [
        { name: 'sqrt', opType: 'Sqrt', domain: '', inputs: ['x'], outputs: ['probability'], attributes: [] },
        {
          name: 'label',
          opType: 'Cast',
          domain: '',
          inputs: ['x'],
          outputs: ['label'],
          attributes: [{ name: 'to', type: 'INT', value: TensorElementType.INT64 }],
        },
      ],
      initializers: [],
      inputs: [{ name: 'x', elemType: TensorElementType.FLOAT, shape: ['N'] }],
      outputs: [
        { name: 'label', elemType: TensorElementType.INT64, shape: ['N'] },
        { name: 'probability', elemType: TensorElementType.FLOAT, shape: ['N'] },
      ],
    },
  });
}

const MLMODEL = `flavors:
  onnx:
    data: model.onnx
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "float", "name": "x", "required": true}]'
`;

/** Registers a new version of `name` whose input example is one row per value of `example`. */
export async function registerSqrtVersion(
  client: MlflowClient,
  name: string,
  example: number[],
): Promise<ModelVersion> {
  const dir = await mkdtemp(join(tmpdir(), 'sqrt-model-'));
  try {
    await writeFile(join(dir, 'MLmodel'), MLMODEL);
    await writeFile(join(dir, 'model.onnx'), sqrtModelOnnx());
    await writeFile(
      join(dir, 'input_example.json'),
      JSON.stringify({ columns: ['x'], data: example.map((value) => [value]) }),
    );
    const { experiment_id } = await client.experiments.getOrCreate('inference-api-sqrt-model');
    const run = await client.runs.create({ experiment_id });
    const runId = run.info.run_id;
    const source = await client.artifacts.runArtifactUri(runId, 'model');
    await client.artifacts.uploadDirectory(dir, source);
    await client.registeredModels.create({ name }).catch((error: unknown) => {
      if (!(error instanceof ResourceAlreadyExistsError)) throw error;
    });
    const created = await client.modelVersions.create({ name, source, run_id: runId });
    return await client.modelVersions.waitUntilReady({ name, version: created.version });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
