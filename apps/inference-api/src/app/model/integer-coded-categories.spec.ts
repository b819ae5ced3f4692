import { InferenceSession, Tensor } from 'onnxruntime-node';

import { defaultChurnSchema, exportPipelineToOnnx, ProtobufWriter, trainChurnModel } from '@churn/churn-pipeline';

import { TELCO_CSV } from '../../../test/support/model-fixtures';
import { exportedTelcoContract, telcoScoringRows } from '../../../test/support/telco-scoring';
import { integerCodedCategories } from './integer-coded-categories';
import { LoadedModel } from './loaded-model';

/** A ModelProto by hand: string input `c` read by a OneHotEncoder and, when `alsoCopied`, by an Identity too. */
function tinyModel(alsoCopied: boolean): Uint8Array {
  const vector = (name: string, elemType: number) => {
    const shape = new ProtobufWriter().message(1, new ProtobufWriter().string(2, 'N'));
    return new ProtobufWriter()
      .string(1, name)
      .message(2, new ProtobufWriter().message(1, new ProtobufWriter().int(1, elemType).message(2, shape)));
  };
  const graph = new ProtobufWriter().message(
    1,
    new ProtobufWriter()
      .string(1, 'c')
      .string(2, 'encoded')
      .string(4, 'OneHotEncoder')
      .message(5, new ProtobufWriter().string(1, 'cats_strings').int(20, 8).string(9, 'a').string(9, 'b'))
      .string(7, 'ai.onnx.ml'),
  );
  if (alsoCopied) graph.message(1, new ProtobufWriter().string(1, 'c').string(2, 'copy').string(4, 'Identity'));
  graph.string(2, 'tiny').message(11, vector('c', 8));
  const encoded = new ProtobufWriter()
    .string(1, 'encoded')
    .message(2, new ProtobufWriter().message(1, new ProtobufWriter().int(1, 1)));
  graph.message(12, encoded);
  if (alsoCopied) graph.message(12, vector('copy', 8));
  return new ProtobufWriter()
    .int(1, 8)
    .message(7, graph)
    .message(8, new ProtobufWriter().string(1, '').int(2, 17))
    .message(8, new ProtobufWriter().string(1, 'ai.onnx.ml').int(2, 3))
    .finish();
}

describe('integerCodedCategories', () => {
  it('codes a string input read only by a OneHotEncoder; the copy one-hot encodes codes as the original does strings', async () => {
    const original = tinyModel(false);
    const coded = integerCodedCategories(original);
    expect([...(coded?.codesByInput.get('c') ?? [])]).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    const strings = await InferenceSession.create(original);
    const codes = await InferenceSession.create(coded?.onnxBytes ?? new Uint8Array());
    try {
      expect(codes.inputMetadata).toEqual([expect.objectContaining({ name: 'c', type: 'int64' })]);
      const fromStrings = await strings.run({ c: new Tensor('string', ['b', 'a', 'zzz', ''], [4]) });
      const fromCodes = await codes.run({ c: new Tensor('int64', BigInt64Array.from([1n, 0n, -1n, -1n]), [4]) });
      expect(Array.from(fromCodes['encoded'].data as Float32Array)).toEqual(
        Array.from(fromStrings['encoded'].data as Float32Array),
      );
      expect(Array.from(fromCodes['encoded'].data as Float32Array)).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
    } finally {
      await strings.release();
      await codes.release();
    }
  });

  it('leaves a model alone when another node also reads the text', () => {
    expect(integerCodedCategories(tinyModel(true))).toBeUndefined();
  });

  it('scores Telco rows exactly as the exported model with string inputs does', async () => {
    const schema = defaultChurnSchema();
    const trained = await trainChurnModel({ csvPath: TELCO_CSV, seed: 11 });
    const onnx = exportPipelineToOnnx(trained.pipeline);
    const coded = integerCodedCategories(onnx);
    expect([...(coded?.codesByInput.keys() ?? [])].sort()).toEqual([...schema.categorical].sort());
    for (const column of trained.pipeline.categorical)
      expect([...(coded?.codesByInput.get(column.name)?.keys() ?? [])]).toEqual(column.categories);

    const { header, cells } = await telcoScoringRows(2000);
    const originalContract = await exportedTelcoContract(onnx);
    // As the loader does: the contract is checked on the model as exported, then the codes are added.
    const score = async (bytes: Uint8Array, codes: typeof coded) => {
      const session = await InferenceSession.create(bytes);
      const contract = { ...originalContract };
      contract.columns = contract.columns.map((plan) =>
        codes?.codesByInput.has(plan.name) ? { ...plan, categoryCodes: codes.codesByInput.get(plan.name) } : plan,
      );
      const model = new LoadedModel(
        { name: 'm', alias: 'a', version: '1' },
        {} as LoadedModel['info'],
        contract,
        session,
      );
      try {
        return await model.score(
          model.builder.fromColumns(
            header,
            cells.length,
            (row, column) => cells[row][column],
            (row, column) => `${row}.${column}`,
            'header',
          ),
        );
      } finally {
        model.dispose();
      }
    };
    const expected = await score(onnx, undefined);
    const actual = await score(coded?.onnxBytes ?? onnx, coded);
    // Exact: the encoder's output, and every operation after it, is the same; only the input's type differs.
    const firstDifference = Array.from(actual.probabilities).findIndex(
      (probability, row) =>
        !Object.is(probability, expected.probabilities[row]) || actual.labels[row] !== expected.labels[row],
    );
    expect(
      firstDifference < 0
        ? 'identical'
        : `row ${firstDifference}: actual ${actual.probabilities[firstDifference]} (label ${actual.labels[firstDifference]}), expected ${expected.probabilities[firstDifference]} (label ${expected.labels[firstDifference]}), difference ${actual.probabilities[firstDifference] - expected.probabilities[firstDifference]}, tolerance 0`,
    ).toBe('identical');
  });
});
