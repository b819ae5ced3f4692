import { exportPipelineToOnnx, syntheticChurnRecords, trainChurnModel } from '@churn/churn-pipeline';

import { oneHotCategoriesByInput, OnnxDecodeError } from './onnx-categories';

describe('oneHotCategoriesByInput', () => {
  let onnx: Uint8Array;
  let categories: Map<string, string[]>;

  beforeAll(async () => {
    const trained = await trainChurnModel({ rows: syntheticChurnRecords({ rows: 400, seed: 3 }), seed: 3 });
    onnx = exportPipelineToOnnx(trained.pipeline);
    categories = new Map(trained.pipeline.categorical.map((column) => [column.name, [...column.categories]]));
  });

  it("reads each categorical input's categories from the exported graph", () => {
    const read = oneHotCategoriesByInput(onnx);
    expect([...read.keys()].sort()).toEqual([...categories.keys()].sort());
    for (const [name, expected] of categories) expect([...(read.get(name) ?? [])].sort()).toEqual([...expected].sort());
  });

  it('throws OnnxDecodeError for a truncated file', () => {
    expect(() => oneHotCategoriesByInput(onnx.subarray(0, Math.floor(onnx.length / 2)))).toThrow(OnnxDecodeError);
  });
});
