import type { InferenceSession } from 'onnxruntime-node';

import type { ModelVersion } from '@churn/mlflow-client';

import { blankVersionInfo } from '../../../test/support/blank-version-info';
import { LoadedModel } from '../model/loaded-model';
import { ModelSlot } from '../model/model-slot';
import { featureBatchBytes, ShadowScorer } from './shadow-scorer';

/**
 * A challenger whose "session" answers probability = x / 100 for its one numeric input, counting its
 * calls: enough to see which answer goes back to which request. The scorer, slot, lease and feature
 * batches are the real ones.
 */
async function challenger(): Promise<{ slot: ModelSlot; calls: number[] }> {
  const calls: number[] = [];
  const session = {
    run: async (feeds: Record<string, { data: Float64Array }>) => {
      const x = feeds['x'].data;
      calls.push(x.length);
      const probability = Float32Array.from(x, (value) => value / 100);
      return {
        probability: { data: probability },
        label: { data: BigInt64Array.from(probability, (p) => (p >= 0.5 ? 1n : 0n)) },
      };
    },
    release: async () => undefined,
  } as unknown as InferenceSession;
  const model = new LoadedModel(
    { name: 'm', alias: 'challenger', version: '7' },
    blankVersionInfo(),
    {
      columns: [
        {
          name: 'x',
          kind: 'numeric',
          tensorType: 'float64',
          columnVector: false,
          required: true,
          categories: undefined,
        },
      ],
      probabilityOutput: 'probability',
      probabilityWidth: 1,
      labelOutput: 'label',
    },
    session,
  );
  const version: ModelVersion = { name: 'm', version: '7', source: 'mlflow-artifacts:/7', status: 'READY' };
  const slot = new ModelSlot('m', 'challenger', {
    resolveVersion: async () => version,
    loadVersion: async () => model,
  });
  await slot.refresh('startup');
  return { slot, calls };
}

const rowsOf = (...values: number[]) => values.map((x) => ({ x }));
const locate = (row: number, column: string) => `[${row}].${column}`;

describe('ShadowScorer', () => {
  it('scores the requests waiting for one slot in one call and gives each its own rows back', async () => {
    const { slot, calls } = await challenger();
    const scorer = new ShadowScorer(100);
    const results = await Promise.all(
      [rowsOf(10), rowsOf(20, 60), rowsOf(30)].map((rows) =>
        scorer.submit(slot, (builder) => builder.fromRecords(rows, locate)),
      ),
    );
    expect(calls).toEqual([4]);
    expect(
      results.map((rows) => rows?.map((row) => [row.version, row.prediction, Math.round(row.probability * 100)])),
    ).toEqual([
      [['7', 0, 10]],
      [
        ['7', 0, 20],
        ['7', 1, 60],
      ],
      [['7', 0, 30]],
    ]);
    expect(scorer.stats).toEqual({ scored: 3, dropped: 0, failed: 0, queued: 0, queuedBytes: 0 });
  });

  it('drops (and counts) requests beyond its queue, answering null at once', async () => {
    const { slot } = await challenger();
    const scorer = new ShadowScorer(2);
    const results = await Promise.all(
      [1, 2, 3, 4].map((x) => scorer.submit(slot, (builder) => builder.fromRecords(rowsOf(x), locate))),
    );
    expect(results.map((rows) => rows?.length ?? null)).toEqual([1, 1, null, null]);
    expect(scorer.stats).toMatchObject({ scored: 2, dropped: 2 });
  });

  it('bounds the queue in bytes too: one large batch fills it as surely as many small requests', async () => {
    const { slot } = await challenger();
    const scorer = new ShadowScorer(100, undefined, 10_000);
    const batch = (rows: number) => {
      const values = Array.from({ length: rows }, (_, i) => i % 100);
      return {
        rows: rowsOf(...values),
        bytes: featureBatchBytes({ rowCount: rows, columns: [Float64Array.from(values)] }),
      };
    };
    const [small, large] = [batch(1), batch(100)];
    expect([small.bytes, large.bytes]).toEqual([64 + 8, 100 * (64 + 8)]);
    const submitted = [small, large, small, large, small].map(({ rows, bytes }) =>
      scorer.submit(slot, (builder) => builder.fromRecords(rows, locate), bytes),
    );
    // Five requests fit the request bound; the second large one does not fit the byte bound.
    expect(scorer.stats).toMatchObject({ queued: 4, queuedBytes: 3 * 72 + 7200, dropped: 1 });
    const results = await Promise.all(submitted);
    expect(results.map((rows) => rows?.length ?? null)).toEqual([1, 100, 1, null, 1]);
    expect(scorer.stats).toMatchObject({ scored: 4, dropped: 1, queued: 0, queuedBytes: 0 });
  });

  it('takes a request larger than the whole bound when the queue is empty, so large batches are shadowed too', async () => {
    const { slot } = await challenger();
    const scorer = new ShadowScorer(100, undefined, 10);
    const result = await scorer.submit(slot, (builder) => builder.fromRecords(rowsOf(42), locate), 1_000);
    expect(result?.map((row) => Math.round(row.probability * 100))).toEqual([42]);
  });

  it('fails only the request whose rows the challenger cannot read', async () => {
    const { slot, calls } = await challenger();
    const failures: string[] = [];
    const scorer = new ShadowScorer(10, (_outcome, error) => error && failures.push(error.message));
    const results = await Promise.all(
      [rowsOf(5), [{ x: 'five' }], rowsOf(90)].map((rows) =>
        scorer.submit(slot, (builder) => builder.fromRecords(rows, locate)),
      ),
    );
    expect(results.map((rows) => rows?.map((row) => Math.round(row.probability * 100)) ?? null)).toEqual([
      [5],
      null,
      [90],
    ]);
    expect(calls).toEqual([2]);
    expect(failures).toEqual([expect.stringContaining('[0].x')]);
    expect(scorer.stats).toMatchObject({ scored: 2, failed: 1 });
  });

  it('fails only the request the challenger answers with something that is not a probability, in a shared call', async () => {
    const { slot, calls } = await challenger();
    const failures: string[] = [];
    const scorer = new ShadowScorer(10, (_outcome, error) => error && failures.push(error.message));
    const results = await Promise.all(
      [rowsOf(5), rowsOf(20, 150), rowsOf(90)].map((rows) =>
        scorer.submit(slot, (builder) => builder.fromRecords(rows, locate)),
      ),
    );
    expect(results.map((rows) => rows?.map((row) => Math.round(row.probability * 100)) ?? null)).toEqual([
      [5],
      null,
      [90],
    ]);
    expect(calls).toEqual([4]);
    expect(failures).toEqual([
      expect.stringMatching(/^row 1: m v7 \(challenger\) returned probability 1\.5, not a probability/),
    ]);
    expect(scorer.stats).toMatchObject({ scored: 2, failed: 1 });
  });
});
