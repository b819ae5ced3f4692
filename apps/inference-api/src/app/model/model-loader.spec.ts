// A trained Telco version loaded from the test run's real MLflow is served on its packed,
// integer-coded copy, and scores customers bit for bit as a plain session of its model.onnx does;
// a packed copy that feeds one column to another input is refused, even without an input example,
// and so are one whose joined calls fail and one whose groups do not fit the columns; the version
// notes why each copy refused is not run.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InferenceSession, Tensor } from 'onnxruntime-node';

import { defaultChurnSchema } from '@churn/churn-pipeline';
import type { ModelVersion } from '@churn/mlflow-client';

import {
  mlflowClient,
  registerTrainedVersion,
  registerVersionWithoutInputExample,
  telcoCustomers,
} from '../../../test/support/model-fixtures';
import type { LoadedModel } from './loaded-model';
import { ModelCache } from './model-cache';
import { loadModelVersion } from './model-loader';
import type { PackedInputsModel } from './packed-inputs';

const MODEL = 'iapi_loader_model';

/**
 * How the packed copy is broken, if at all: `swap` lists its int64 group's first two members swapped
 * (the tensor's columns no longer match the graph's), `throw` fails the rewrite with a plain Error,
 * `join` fails its feeds for a call over more than one batch (one batch alone scores right),
 * `retype` declares its float32 group float64 (a tensor its columns cannot be fed as).
 */
let mockPackedFault: 'swap' | 'throw' | 'join' | 'retype' | undefined;
jest.mock('./packed-inputs', () => {
  const actual = jest.requireActual<typeof import('./packed-inputs')>('./packed-inputs');
  return {
    ...actual,
    packedInputs: (onnxBytes: Uint8Array): PackedInputsModel | undefined => {
      if (mockPackedFault === 'throw') throw new Error('an unexpected fault in the rewrite');
      const packed = actual.packedInputs(onnxBytes);
      if (packed === undefined) return packed;
      if (mockPackedFault === 'retype') {
        const groups = packed.groups.map((group) =>
          group.tensorType === 'float32' ? { ...group, tensorType: 'float64' as const } : group,
        );
        return { ...packed, groups };
      }
      if (mockPackedFault !== 'swap') return packed;
      const groups = packed.groups.map((group) => {
        if (group.tensorType !== 'int64') return group;
        const [first, second, ...rest] = group.members;
        return { ...group, members: [second, first, ...rest] };
      });
      return { ...packed, groups };
    },
  };
});

jest.mock('./session-feeds', () => {
  const actual = jest.requireActual<typeof import('./session-feeds')>('./session-feeds');
  type Args = ConstructorParameters<typeof actual.SessionFeeds>;
  class SessionFeedsWithFaults extends actual.SessionFeeds {
    private readonly packs: boolean;
    constructor(columns: Args[0], packed: Args[1] = []) {
      super(columns, packed);
      this.packs = packed.length > 0;
    }
    override of(...args: Parameters<InstanceType<typeof actual.SessionFeeds>['of']>) {
      if (mockPackedFault === 'join' && this.packs && args[0].length > 1)
        throw new Error('the packed feeds of a joined call are broken');
      return super.of(...args);
    }
  }
  return { ...actual, SessionFeeds: SessionFeedsWithFaults };
});

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
      expect(model.info.servingCopyNotes).toEqual([]);

      await expectScoresOfPlainSession(model);
    } finally {
      model.dispose();
    }
  });

  it('refuses a packed copy that feeds one column to another input, for a version warmed on one all-missing row', async () => {
    const schema = defaultChurnSchema();
    const version = await registerVersionWithoutInputExample(client, MODEL, 4);
    const model = await loadWithPackedFault(version, 'swap');
    try {
      // The integer-coded copy passed; the broken packed one did not, and was not served.
      expect(model.info.integerCodedInputs.sort()).toEqual([...schema.categorical].sort());
      expect(model.info.packedInputs).toEqual([]);
      expect(model.contract.packedInputs).toBeUndefined();
      expect(model.info.servingCopyNotes).toEqual([
        'packed copy not served: it scores the warm-up rows or the probe differently from the graph it was made from',
      ]);
      await expectScoresOfPlainSession(model);
    } finally {
      model.dispose();
    }
  });

  // A joined-call fault: served, every coalesced call would fail and be rerun batch by batch (right
  // answers, no grouping), so the probe's joined call must not fall back.
  it.each([
    ['making the packed one fails with an unexpected error', 'throw', 5, 'an unexpected fault in the rewrite'],
    [
      'the packed one fails joined calls, though each batch alone scores right',
      'join',
      6,
      'the packed feeds of a joined call are broken',
    ],
    [
      "the packed one's groups do not fit the columns",
      'retype',
      7,
      "its packed groups do not hold what the model's columns are fed as (a member that is no column, or another element type or shape)",
    ],
  ] as const)('serves the integer-coded copy when %s', async (_case, fault, seed, reason) => {
    const schema = defaultChurnSchema();
    const model = await loadWithPackedFault(await registerTrainedVersion(client, MODEL, seed), fault);
    try {
      expect(model.info.integerCodedInputs.sort()).toEqual([...schema.categorical].sort());
      expect(model.info.packedInputs).toEqual([]);
      expect(model.info.servingCopyNotes).toEqual([`packed copy not served: ${reason}`]);
      await expectScoresOfPlainSession(model);
    } finally {
      model.dispose();
    }
  });

  /** Loads `version` with the packed copy broken as `fault` says. */
  async function loadWithPackedFault(version: ModelVersion, fault: typeof mockPackedFault): Promise<LoadedModel> {
    mockPackedFault = fault;
    try {
      return await loadModelVersion(version, 'production', { client, cache: new ModelCache(client, root, 5) });
    } finally {
      mockPackedFault = undefined;
    }
  }
});

/** Telco customers (one with an unknown category, one with a missing number) score bit for bit as on a plain session of the version's model.onnx. */
async function expectScoresOfPlainSession(model: LoadedModel): Promise<void> {
  const schema = defaultChurnSchema();
  const original = await InferenceSession.create(await readFile(join(model.info.localDir, 'model.onnx')));
  try {
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
    await original.release();
  }
}
