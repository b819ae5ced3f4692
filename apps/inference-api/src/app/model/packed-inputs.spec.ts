// The packed serving copy against the model it was made from, on real onnxruntime sessions: same
// scores bit for bit (Gather only copies), for the Telco model and for a hand-written graph that
// mixes every kind of input; and the models it must leave alone.

import { InferenceSession, Tensor } from 'onnxruntime-node';

import { defaultChurnSchema, exportPipelineToOnnx, ProtobufWriter, trainChurnModel } from '@churn/churn-pipeline';

import { TELCO_CSV } from '../../../test/support/model-fixtures';
import { exportedTelcoContract, telcoScoringRows } from '../../../test/support/telco-scoring';
import type { FeatureBatch } from './feature-batch';
import { integerCodedCategories } from './integer-coded-categories';
import { LoadedModel, type Scores } from './loaded-model';
import type { ModelContract } from './model-contract';
import { packedInputs, type PackedInputsModel } from './packed-inputs';
import { SESSION_OPTIONS } from './session-options';

/** A ValueInfoProto of a tensor with `elemType` and `dims` (a string is a symbolic dimension). */
function valueInfo(name: string, elemType: number, dims: (number | string)[]): ProtobufWriter {
  const shape = new ProtobufWriter();
  for (const dim of dims)
    shape.message(1, typeof dim === 'number' ? new ProtobufWriter().int(1, dim) : new ProtobufWriter().string(2, dim));
  return new ProtobufWriter()
    .string(1, name)
    .message(2, new ProtobufWriter().message(1, new ProtobufWriter().int(1, elemType).message(2, shape)));
}

function node(opType: string, inputs: string[], output: string): ProtobufWriter {
  const writer = new ProtobufWriter();
  for (const input of inputs) writer.string(1, input);
  return writer.string(2, output).string(4, opType);
}

const FLOAT = 1;
const INT64 = 7;
const STRING = 8;
const DOUBLE = 11;

/**
 * By hand: float `a` [N] and `b` [N,1], double `d` [N], int64 `i` [N] and `j` [N,1], string `s`
 * [N], float `f` [3] (fixed rows); output `out` = a + b·1 (as [N]) and `i + j`, `d` and `f` and `s`
 * passed through; and a node output named `packed_float32`, so the packed input needs another name.
 */
function mixedModel(options: { irVersion?: number; defaultOpset?: boolean } = {}): Uint8Array {
  const graph = new ProtobufWriter()
    .message(1, node('Reshape', ['b', 'flat'], 'b_flat'))
    .message(1, node('Add', ['a', 'b_flat'], 'out'))
    .message(1, node('Add', ['i', 'j'], 'ij'))
    .message(1, node('Identity', ['d'], 'packed_float32'))
    .message(1, node('Identity', ['packed_float32'], 'd_out'))
    .message(1, node('Identity', ['f'], 'f_out'))
    .message(1, node('Identity', ['s'], 's_out'))
    .string(2, 'mixed')
    .message(5, new ProtobufWriter().packedInts(1, [1]).int(2, INT64).packedInts(7, [-1]).string(8, 'flat'))
    .message(11, valueInfo('a', FLOAT, ['N']))
    .message(11, valueInfo('b', FLOAT, ['N', 1]))
    .message(11, valueInfo('d', DOUBLE, ['N']))
    .message(11, valueInfo('i', INT64, ['N']))
    .message(11, valueInfo('j', INT64, ['N', 1]))
    .message(11, valueInfo('s', STRING, ['N']))
    .message(11, valueInfo('f', FLOAT, [3]))
    .message(12, valueInfo('out', FLOAT, ['N']))
    .message(12, valueInfo('ij', INT64, ['N', 'N']))
    .message(12, valueInfo('d_out', DOUBLE, ['N']))
    .message(12, valueInfo('f_out', FLOAT, [3]))
    .message(12, valueInfo('s_out', STRING, ['N']));
  const model = new ProtobufWriter().int(1, options.irVersion ?? 8).message(7, graph);
  if (options.defaultOpset ?? true) model.message(8, new ProtobufWriter().string(1, '').int(2, 17));
  model.message(8, new ProtobufWriter().string(1, 'ai.onnx.ml').int(2, 3));
  return model.finish();
}

/** Row-major `[rows, columns.length]` from columns. */
function interleaved<T>(columns: T[][]): T[] {
  return columns[0].flatMap((_, row) => columns.map((column) => column[row]));
}

describe('packedInputs', () => {
  it('packs float and int64 column inputs into one [N, k] input each and scores as the original graph', async () => {
    const original = mixedModel();
    const packed = packedInputs(original) as PackedInputsModel;
    expect(packed.groups).toEqual([
      {
        name: 'packed_float32_2',
        tensorType: 'float32',
        members: [
          { name: 'a', columnVector: false },
          { name: 'b', columnVector: true },
        ],
      },
      {
        name: 'packed_int64',
        tensorType: 'int64',
        members: [
          { name: 'i', columnVector: false },
          { name: 'j', columnVector: true },
        ],
      },
    ]);
    const a = [1.5, -2, 1e30];
    const b = [0.25, 7, -1e30];
    const i = [1n, -5n, 2n ** 40n];
    const j = [10n, 20n, -(2n ** 41n)];
    const common = {
      d: new Tensor('float64', Float64Array.from([0.1, 0.2, 0.3]), [3]),
      s: new Tensor('string', ['x', '', 'z'], [3]),
      f: new Tensor('float32', Float32Array.from([4, 5, 6]), [3]),
    };
    const before = await InferenceSession.create(original);
    const after = await InferenceSession.create(packed.onnxBytes);
    try {
      expect([...after.inputNames].sort()).toEqual(['d', 'f', 'packed_float32_2', 'packed_int64', 's']);
      const expected = await before.run({
        ...common,
        a: new Tensor('float32', Float32Array.from(a), [3]),
        b: new Tensor('float32', Float32Array.from(b), [3, 1]),
        i: new Tensor('int64', BigInt64Array.from(i), [3]),
        j: new Tensor('int64', BigInt64Array.from(j), [3, 1]),
      });
      const actual = await after.run({
        ...common,
        packed_float32_2: new Tensor('float32', Float32Array.from(interleaved([a, b])), [3, 2]),
        packed_int64: new Tensor('int64', BigInt64Array.from(interleaved([i, j])), [3, 2]),
      });
      for (const output of ['out', 'ij', 'd_out', 'f_out', 's_out']) {
        expect(actual[output].dims).toEqual(expected[output].dims);
        expect(Array.from(actual[output].data as ArrayLike<unknown>)).toEqual(
          Array.from(expected[output].data as ArrayLike<unknown>),
        );
      }
    } finally {
      await before.release();
      await after.release();
    }
  });

  it('leaves alone a model of IR version below 4, one without the default operator set, and one type per input', () => {
    expect(packedInputs(mixedModel({ irVersion: 3 }))).toBeUndefined();
    expect(packedInputs(mixedModel({ defaultOpset: false }))).toBeUndefined();
    const oneEach = new ProtobufWriter()
      .int(1, 8)
      .message(
        7,
        new ProtobufWriter()
          .message(1, node('Identity', ['a'], 'out'))
          .message(1, node('Identity', ['i'], 'out_i'))
          .message(11, valueInfo('a', FLOAT, ['N']))
          .message(11, valueInfo('i', INT64, ['N']))
          .message(12, valueInfo('out', FLOAT, ['N']))
          .message(12, valueInfo('out_i', INT64, ['N'])),
      )
      .message(8, new ProtobufWriter().string(1, '').int(2, 17))
      .finish();
    expect(packedInputs(oneEach)).toBeUndefined();
  });

  it('scores Telco rows on the integer-coded, packed copy exactly as on the exported model, in one batch or several', async () => {
    const schema = defaultChurnSchema();
    const trained = await trainChurnModel({ csvPath: TELCO_CSV, seed: 5 });
    const onnx = exportPipelineToOnnx(trained.pipeline);
    const coded = integerCodedCategories(onnx);
    const packed = packedInputs(coded?.onnxBytes ?? onnx) as PackedInputsModel;
    expect(packed.groups.map((group) => [group.tensorType, group.members.map((member) => member.name)])).toEqual([
      ['float32', schema.numeric],
      ['int64', schema.categorical],
    ]);

    const { header, cells } = await telcoScoringRows(2000);
    const originalContract = await exportedTelcoContract(onnx);
    const columnIndex = new Map(originalContract.columns.map((plan, index) => [plan.name, index]));
    // As the loader does: codes on the categorical columns, then the packed groups by column index.
    const servingContract: ModelContract = {
      ...originalContract,
      columns: originalContract.columns.map((plan) =>
        coded?.codesByInput.has(plan.name) ? { ...plan, categoryCodes: coded.codesByInput.get(plan.name) } : plan,
      ),
      packedInputs: packed.groups.map((group) => ({
        name: group.name,
        tensorType: group.tensorType,
        columns: group.members.map((member) => columnIndex.get(member.name) as number),
      })),
    };
    const open = async (bytes: Uint8Array, contract: ModelContract) =>
      new LoadedModel(
        { name: 'm', alias: 'a', version: '1' },
        {} as LoadedModel['info'],
        contract,
        await InferenceSession.create(bytes, { ...SESSION_OPTIONS }),
      );
    const batchOf = (model: LoadedModel, from: number, to: number): FeatureBatch =>
      model.builder.fromColumns(
        header,
        to - from,
        (row, column) => cells[from + row][column],
        (row, column) => `${from + row}.${column}`,
        'header',
      );
    const joined = (parts: Scores[]): Scores => ({
      labels: Int32Array.from(parts.flatMap((part) => Array.from(part.labels))),
      probabilities: Float32Array.from(parts.flatMap((part) => Array.from(part.probabilities))),
    });
    const plain = await open(onnx, originalContract);
    const served = await open(packed.onnxBytes, servingContract);
    try {
      const expected = await plain.score(batchOf(plain, 0, cells.length));
      const oneBatch = await served.score(batchOf(served, 0, cells.length));
      // Several requests of one turn share a session.run (score-coalescer.ts): their rows are packed one after another.
      const bounds = [0, 1, 4, 300, 301, 1999, 2000];
      const several = joined(
        await Promise.all(bounds.slice(1).map((to, part) => served.score(batchOf(served, bounds[part], to)))),
      );
      for (const [label, actual] of [
        ['one batch', oneBatch],
        ['several batches', several],
      ] as const) {
        const first = Array.from(actual.probabilities).findIndex(
          (probability, row) =>
            !Object.is(probability, expected.probabilities[row]) || actual.labels[row] !== expected.labels[row],
        );
        // Exact: Gather copies the values, every operation after it is the same.
        expect(
          first < 0
            ? `${label}: identical`
            : `${label}, row ${first}: ${actual.probabilities[first]} (label ${actual.labels[first]}), expected ${expected.probabilities[first]} (label ${expected.labels[first]}), tolerance 0`,
        ).toBe(`${label}: identical`);
        expect(actual.probabilities).toHaveLength(cells.length);
      }
    } finally {
      plain.dispose();
      served.dispose();
    }
  });
});
