import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InferenceSession, Tensor } from 'onnxruntime-node';

import { exportPipelineToOnnx, OnnxExportError } from '../../src/lib/onnx';
import type { FittedPipeline } from '../../src/lib/pipeline-contract';
import { onnxFeedColumns, referenceScore } from './reference-scoring';
import { runPythonScript } from './run-python';
import { generatedRecords, HAND_PICKED_RECORDS, TELCO_LIKE_PIPELINE } from './telco-like-pipeline';

/**
 * The graph computes in float32 (onnxruntime's Imputer, Scaler and OneHotEncoder are float kernels)
 * while the reference runs in float64. Each standardised feature carries a relative error of about
 * 2^-24 ≈ 6e-8; over 19 features with |w·x| ≲ 10 the logit is off by well under 1e-5, and
 * dp/dlogit = p(1 − p) ≤ 1/4 shrinks that further for the probability. 1e-5 is the bound.
 */
const PROBABILITY_TOLERANCE = 1e-5;

interface PythonOnnxResult {
  ir_version: number;
  opsets: Record<string, number>;
  inputs: { name: string; type: string; shape: (string | number)[] }[];
  outputs: { name: string; type: string; shape: (string | number)[] }[];
  label: number[];
  probability: number[];
}

const records = [...HAND_PICKED_RECORDS, ...generatedRecords(300, 20240611)];
const expected = records.map((record) => referenceScore(TELCO_LIKE_PIPELINE, record));

function expectProbabilitiesClose(source: string, actual: ArrayLike<number>, labels: ArrayLike<number | bigint>): void {
  expect(actual.length).toBe(expected.length);
  const failures: string[] = [];
  expected.forEach((reference, row) => {
    const difference = Math.abs(actual[row] - reference.probability);
    if (!(difference <= PROBABILITY_TOLERANCE)) {
      failures.push(
        `row ${row}: actual ${actual[row]}, expected ${reference.probability}, difference ${difference}, tolerance ${PROBABILITY_TOLERANCE}`,
      );
    }
    if (Number(labels[row]) !== reference.label) {
      failures.push(
        `row ${row}: label ${labels[row]}, expected ${reference.label} (p = ${reference.probability}, threshold ${TELCO_LIKE_PIPELINE.threshold})`,
      );
    }
  });
  if (failures.length > 0)
    throw new Error(`${source} disagrees with the float64 reference:\n${failures.slice(0, 20).join('\n')}`);
}

describe('exportPipelineToOnnx', () => {
  const onnxBytes = exportPipelineToOnnx(TELCO_LIKE_PIPELINE);
  const feeds = onnxFeedColumns(TELCO_LIKE_PIPELINE, records);

  it('has test rows on both sides of the threshold and none within the tolerance of it', () => {
    const positives = expected.filter((score) => score.label === 1).length;
    expect(positives).toBeGreaterThan(10);
    expect(expected.length - positives).toBeGreaterThan(10);
    const closest = Math.min(...expected.map((score) => Math.abs(score.probability - TELCO_LIKE_PIPELINE.threshold)));
    expect(closest).toBeGreaterThan(PROBABILITY_TOLERANCE);
  });

  it('scores like the float64 reference in onnxruntime-node, unseen and missing values included', async () => {
    const session = await InferenceSession.create(onnxBytes);
    expect(session.inputNames).toEqual([
      ...TELCO_LIKE_PIPELINE.schema.numeric,
      ...TELCO_LIKE_PIPELINE.schema.categorical,
    ]);
    expect(session.outputNames).toEqual(['label', 'probability']);
    const tensors: Record<string, Tensor> = {};
    for (const column of TELCO_LIKE_PIPELINE.numeric) {
      const values = (feeds[column.name] as (number | null)[]).map((value) => value ?? Number.NaN);
      tensors[column.name] = new Tensor('float32', Float32Array.from(values), [records.length]);
    }
    for (const column of TELCO_LIKE_PIPELINE.categorical) {
      tensors[column.name] = new Tensor('string', feeds[column.name] as string[], [records.length]);
    }
    const result = await session.run(tensors);
    expect(result['probability'].type).toBe('float32');
    expect(result['probability'].dims).toEqual([records.length]);
    expect(result['label'].type).toBe('int64');
    expect(result['label'].dims).toEqual([records.length]);
    expectProbabilitiesClose(
      'onnxruntime-node',
      result['probability'].data as Float32Array,
      result['label'].data as BigInt64Array,
    );
    await session.release();
  });

  it('passes onnx.checker and scores like the reference in Python onnxruntime', () => {
    const dir = mkdtempSync(join(tmpdir(), 'churn-onnx-'));
    try {
      const modelPath = join(dir, 'model.onnx');
      writeFileSync(modelPath, onnxBytes);
      const result = runPythonScript<PythonOnnxResult>('onnx_runtime_reference.py', { model_path: modelPath, feeds });
      expect(result.ir_version).toBe(8);
      expect(result.opsets).toEqual({ '': 17, 'ai.onnx.ml': 3 });
      expect(result.inputs).toEqual([
        ...TELCO_LIKE_PIPELINE.schema.numeric.map((name) => ({ name, type: 'tensor(float)', shape: ['N'] })),
        ...TELCO_LIKE_PIPELINE.schema.categorical.map((name) => ({ name, type: 'tensor(string)', shape: ['N'] })),
      ]);
      expect(result.outputs).toEqual([
        { name: 'label', type: 'tensor(int64)', shape: ['N'] },
        { name: 'probability', type: 'tensor(float)', shape: ['N'] },
      ]);
      expectProbabilitiesClose('Python onnxruntime', result.probability, result.label);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not modify the fitted pipeline', () => {
    const before = JSON.stringify(TELCO_LIKE_PIPELINE);
    exportPipelineToOnnx(TELCO_LIKE_PIPELINE);
    expect(JSON.stringify(TELCO_LIKE_PIPELINE)).toBe(before);
  });
});

describe('exportPipelineToOnnx refuses pipelines it cannot export faithfully', () => {
  const withChanges = (changes: Partial<FittedPipeline>): FittedPipeline => ({ ...TELCO_LIKE_PIPELINE, ...changes });
  const refusal = (fitted: FittedPipeline): OnnxExportError => {
    try {
      exportPipelineToOnnx(fitted);
    } catch (error) {
      if (error instanceof OnnxExportError) return error;
      throw error;
    }
    throw new Error('expected an OnnxExportError');
  };

  it('empty coefficients', () => {
    const error = refusal(withChanges({ coefficients: [] }));
    expect(error.name).toBe('OnnxExportError');
    expect(error.field).toBe('coefficients');
    expect(error.message).toMatch(/coefficients: is empty/);
  });

  it('a coefficient count that does not match the features', () => {
    const error = refusal(withChanges({ coefficients: TELCO_LIKE_PIPELINE.coefficients.slice(1) }));
    expect(error.field).toBe('coefficients');
    expect(error.message).toContain(
      'has 18 weights but the pipeline has 19 features (3 numeric columns plus 16 categories)',
    );
  });

  it('non-finite numbers, naming the field and column', () => {
    const numeric = TELCO_LIKE_PIPELINE.numeric.map((column, index) =>
      index === 2 ? { ...column, median: Number.NaN } : column,
    );
    const error = refusal(withChanges({ numeric }));
    expect(error.field).toBe('numeric[2].median');
    expect(error.message).toContain('"TotalCharges"');
    expect(refusal(withChanges({ intercept: Number.POSITIVE_INFINITY })).field).toBe('intercept');
    const coefficients = TELCO_LIKE_PIPELINE.coefficients.map((w, index) => (index === 4 ? Number.NaN : w));
    expect(refusal(withChanges({ coefficients })).field).toBe('coefficients[4]');
  });

  it('a non-positive scale or a threshold outside [0, 1]', () => {
    const numeric = TELCO_LIKE_PIPELINE.numeric.map((column, index) =>
      index === 0 ? { ...column, scale: 0 } : column,
    );
    expect(refusal(withChanges({ numeric })).field).toBe('numeric[0].scale');
    expect(refusal(withChanges({ threshold: 1.5 })).field).toBe('threshold');
  });

  it('categories that a missing value would match, duplicates, or none at all', () => {
    const withCategories = (categories: string[]): FittedPipeline =>
      withChanges({
        categorical: TELCO_LIKE_PIPELINE.categorical.map((column, index) =>
          index === 3 ? { ...column, categories } : column,
        ),
      });
    for (const missingText of ['', ' ', 'nan', 'NaN', 'None']) {
      const error = refusal(withCategories(['DSL', missingText, 'No']));
      expect(error.field).toBe('categorical[3].categories');
      expect(error.message).toContain('which a missing value would match');
    }
    expect(refusal(withCategories(['DSL', 'DSL', 'No'])).message).toContain('lists category "DSL" twice');
    const empty = refusal(
      withChanges({
        categorical: TELCO_LIKE_PIPELINE.categorical.map((column, index) =>
          index === 0 ? { ...column, categories: [] } : column,
        ),
        coefficients: TELCO_LIKE_PIPELINE.coefficients.slice(2),
      }),
    );
    expect(empty.message).toBe('categorical[0].categories: column "gender" has no categories');
  });

  it('fitted columns that differ from the schema, duplicated columns, and names that collide with the graph', () => {
    const reordered = refusal(withChanges({ numeric: [...TELCO_LIKE_PIPELINE.numeric].reverse() }));
    expect(reordered.field).toBe('numeric');
    const schema = {
      ...TELCO_LIKE_PIPELINE.schema,
      categorical: [...TELCO_LIKE_PIPELINE.schema.categorical.slice(0, 5), 'tenure'],
    };
    const categorical = TELCO_LIKE_PIPELINE.categorical.map((column, index) =>
      index === 5 ? { ...column, name: 'tenure' } : column,
    );
    expect(refusal(withChanges({ schema, categorical })).message).toBe(
      'schema: column "tenure" is listed more than once',
    );
    const renamed = ['probability', 'features'].map((name) =>
      refusal(
        withChanges({
          schema: { ...TELCO_LIKE_PIPELINE.schema, numeric: [name, 'MonthlyCharges', 'TotalCharges'] },
          numeric: TELCO_LIKE_PIPELINE.numeric.map((column, index) => (index === 0 ? { ...column, name } : column)),
        }),
      ),
    );
    expect(renamed.map((error) => error.message)).toEqual([
      'schema: column "probability" has the name of a graph output or intermediate value; rename the column',
      'schema: column "features" has the name of a graph output or intermediate value; rename the column',
    ]);
  });
});
