import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  InputExampleError,
  inputExampleFrame,
  MlflowModelDirectoryError,
  writeMlflowModelDirectory,
  type WrittenMlflowModel,
} from '../../src/lib/mlflow-model';
import { exportPipelineToOnnx } from '../../src/lib/onnx';
import { referenceScore } from './reference-scoring';
import { runPythonScript } from './run-python';
import { generatedRecords, HAND_PICKED_RECORDS, TELCO_LIKE_PIPELINE } from './telco-like-pipeline';

/** float32 graph against the float64 reference; see onnx-export.spec.ts for the derivation. */
const PROBABILITY_TOLERANCE = 1e-5;

interface DirectoryFiles {
  MLmodel: Record<string, unknown>;
  'conda.yaml': unknown;
  'python_env.yaml': unknown;
  'requirements.txt': string[];
  'input_example.json': unknown;
  'serving_input_example.json': unknown;
  files: string[];
}
interface Predictions {
  dtypes: Record<string, string>;
  label: number[];
  probability: number[];
}
interface InteropResult {
  ours: DirectoryFiles;
  reference: DirectoryFiles;
  input_schema: { name: string; type: string; required: boolean }[];
  input_example: { columns: string[]; dtypes: Record<string, string>; data: unknown[][] };
  example_predictions: Predictions;
  row_predictions: Predictions;
}

/** MLmodel fields that differ between any two saves of the same model. */
const PER_SAVE_FIELDS = ['model_uuid', 'utc_time_created', 'model_size_bytes'];

const withoutPerSaveFields = (mlmodel: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(mlmodel).filter(([key]) => !PER_SAVE_FIELDS.includes(key)));

describe('writeMlflowModelDirectory', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'churn-mlflow-model-'));
  const modelDir = join(workDir, 'model');
  const onnxBytes = exportPipelineToOnnx(TELCO_LIKE_PIPELINE);
  const records = [...HAND_PICKED_RECORDS, ...generatedRecords(100, 7)];
  const createdAt = new Date('2026-03-01T12:34:56.789Z');
  let written: WrittenMlflowModel;
  let interop: InteropResult;

  beforeAll(async () => {
    written = await writeMlflowModelDirectory(modelDir, {
      fitted: TELCO_LIKE_PIPELINE,
      onnxBytes,
      inputExample: HAND_PICKED_RECORDS.slice(3, 8),
      metadata: { data_sha256: 'ab12', run_id: 'r1' },
      createdAt,
    });
    interop = runPythonScript<InteropResult>('mlflow_interop.py', {
      model_dir: modelDir,
      reference_dir: join(workDir, 'reference'),
      rows: inputExampleFrame(TELCO_LIKE_PIPELINE, records),
    });
  }, 60_000);

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('writes the files mlflow.onnx.save_model writes', () => {
    expect(interop.ours.files).toEqual(interop.reference.files);
    expect([...written.files].sort()).toEqual(interop.reference.files);
    expect(readFileSync(join(modelDir, 'model.onnx')).equals(Buffer.from(onnxBytes))).toBe(true);
  });

  it("writes an MLmodel that matches MLflow's own, field for field", () => {
    const ours = interop.ours.MLmodel;
    const reference = interop.reference.MLmodel;
    expect(Object.keys(ours).sort()).toEqual([...Object.keys(reference), 'metadata'].sort());
    expect(withoutPerSaveFields(ours)).toEqual({
      ...withoutPerSaveFields(reference),
      metadata: { data_sha256: 'ab12', run_id: 'r1' },
    });
    expect(ours['model_uuid']).toBe(written.modelUuid);
    expect(written.modelUuid).toMatch(/^[0-9a-f]{32}$/);
    expect(ours['utc_time_created']).toBe('2026-03-01 12:34:56.789000');
  });

  it('records the model size as MLflow measures it: model.onnx and both input examples', () => {
    const size = ['model.onnx', 'input_example.json', 'serving_input_example.json']
      .map((name) => statSync(join(modelDir, name)).size)
      .reduce((sum, bytes) => sum + bytes, 0);
    expect(interop.ours.MLmodel['model_size_bytes']).toBe(size);
  });

  it('declares every input column, double for numeric and string for categorical, and label/probability outputs', () => {
    expect(interop.input_schema).toEqual([
      ...TELCO_LIKE_PIPELINE.schema.numeric.map((name) => ({ name, type: 'double', required: true })),
      ...TELCO_LIKE_PIPELINE.schema.categorical.map((name) => ({ name, type: 'string', required: true })),
    ]);
    expect(interop.ours.MLmodel['signature']).toEqual({
      inputs: expect.stringContaining('{"type": "double", "name": "tenure", "required": true}'),
      outputs:
        '[{"type": "long", "name": "label", "required": true}, {"type": "float", "name": "probability", "required": true}]',
      params: null,
    });
  });

  it('declares the same Python environment as MLflow infers for this model', () => {
    expect(interop.ours['requirements.txt']).toEqual(interop.reference['requirements.txt']);
    expect(interop.ours['python_env.yaml']).toEqual(interop.reference['python_env.yaml']);
    expect(interop.ours['conda.yaml']).toEqual(interop.reference['conda.yaml']);
  });

  it('saves an input example MLflow reads back typed, and saves it as MLflow re-saves it', () => {
    expect(interop.input_example.columns).toEqual([
      ...TELCO_LIKE_PIPELINE.schema.numeric,
      ...TELCO_LIKE_PIPELINE.schema.categorical,
    ]);
    expect(interop.input_example.dtypes['tenure']).toBe('float64');
    expect(interop.input_example.dtypes['TotalCharges']).toBe('float64');
    // rows 3..7: the tenure-0 customer's blank TotalCharges is missing; SeniorCitizen 1 becomes "1"
    expect(interop.input_example.data[0]).toEqual([
      0,
      52.55,
      null,
      'Female',
      '0',
      'Yes',
      'DSL',
      'Two year',
      'Bank transfer (automatic)',
    ]);
    expect(interop.input_example.data[1][4]).toBe('1');
    expect(interop.ours['input_example.json']).toEqual(interop.reference['input_example.json']);
    expect(interop.ours['serving_input_example.json']).toEqual(interop.reference['serving_input_example.json']);
    expect(interop.example_predictions.label).toHaveLength(5);
  });

  it('predicts through mlflow.pyfunc.load_model like the float64 reference', () => {
    const { row_predictions: predictions } = interop;
    expect(predictions.dtypes).toEqual({ label: 'int64', probability: 'float32' });
    const failures: string[] = [];
    records.forEach((record, row) => {
      const expected = referenceScore(TELCO_LIKE_PIPELINE, record);
      const difference = Math.abs(predictions.probability[row] - expected.probability);
      if (!(difference <= PROBABILITY_TOLERANCE)) {
        failures.push(
          `row ${row}: actual ${predictions.probability[row]}, expected ${expected.probability}, difference ${difference}, tolerance ${PROBABILITY_TOLERANCE}`,
        );
      }
      if (predictions.label[row] !== expected.label)
        failures.push(`row ${row}: label ${predictions.label[row]}, expected ${expected.label}`);
    });
    expect(predictions.probability).toHaveLength(records.length);
    expect(failures).toEqual([]);
  });

  it('refuses a non-empty directory, empty bytes, no example and an example value that does not fit', async () => {
    const input = { fitted: TELCO_LIKE_PIPELINE, onnxBytes, inputExample: HAND_PICKED_RECORDS.slice(0, 2) };
    await expect(writeMlflowModelDirectory(modelDir, input)).rejects.toThrow(MlflowModelDirectoryError);
    await expect(writeMlflowModelDirectory(modelDir, input)).rejects.toThrow(/^dir: .* already holds/);
    const fresh = join(workDir, 'fresh');
    await expect(writeMlflowModelDirectory(fresh, { ...input, onnxBytes: new Uint8Array() })).rejects.toThrow(
      'onnxBytes: is empty',
    );
    await expect(writeMlflowModelDirectory(fresh, { ...input, inputExample: [] })).rejects.toThrow(
      'inputExample: needs at least one record',
    );
    const bad = writeMlflowModelDirectory(fresh, {
      ...input,
      inputExample: [HAND_PICKED_RECORDS[0], { ...HAND_PICKED_RECORDS[1], TotalCharges: 'n/a' }],
    });
    await expect(bad).rejects.toThrow(InputExampleError);
    await expect(
      writeMlflowModelDirectory(join(workDir, 'fresh2'), {
        ...input,
        inputExample: [{ ...HAND_PICKED_RECORDS[1], TotalCharges: 'n/a' }],
      }),
    ).rejects.toThrow('input example row 0, column "TotalCharges": "n/a" is not a number');
  });

  it('does not modify its inputs', async () => {
    const example = HAND_PICKED_RECORDS.slice(0, 3);
    const before = JSON.stringify([TELCO_LIKE_PIPELINE, example]);
    const bytesBefore = Buffer.from(onnxBytes).toString('hex');
    await writeMlflowModelDirectory(join(workDir, 'untouched'), {
      fitted: TELCO_LIKE_PIPELINE,
      onnxBytes,
      inputExample: example,
    });
    expect(JSON.stringify([TELCO_LIKE_PIPELINE, example])).toBe(before);
    expect(Buffer.from(onnxBytes).toString('hex')).toBe(bytesBefore);
  });
});
