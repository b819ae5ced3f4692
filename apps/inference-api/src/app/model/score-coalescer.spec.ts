import type { FeatureBatch } from './feature-batch';
import type { Scores } from './loaded-model';
import { ScoreCoalescer } from './score-coalescer';

/** A one-column batch whose values are the given numbers. */
function batchOf(...values: number[]): FeatureBatch {
  return {
    rowCount: values.length,
    columns: [Float32Array.from(values)],
    categoryCodes: [undefined],
    rowWarnings: undefined,
    batchWarnings: [],
  };
}

/**
 * A stand-in for the session that scores a row as its own value (probability) and its parity
 * (label), recording the rows of every call; `failOn` makes a call that contains that value throw.
 */
function recordingRun(failOn?: number) {
  const calls: number[][] = [];
  const run = async (batches: readonly FeatureBatch[]): Promise<Scores> => {
    const values = batches.flatMap((batch) => Array.from(batch.columns[0] as Float32Array));
    calls.push(values);
    if (failOn !== undefined && values.includes(failOn)) throw new Error(`cannot score ${failOn}`);
    return { probabilities: Float32Array.from(values), labels: Int32Array.from(values, (value) => value % 2) };
  };
  return { calls, run };
}

const rowsOf = (scores: Scores) => ({
  probabilities: Array.from(scores.probabilities),
  labels: Array.from(scores.labels),
});

describe('ScoreCoalescer', () => {
  it('scores the batches handed in during one turn in one call, and gives each caller its own rows', async () => {
    const { calls, run } = recordingRun();
    const coalescer = new ScoreCoalescer(run, 10);
    const answers = await Promise.all([
      coalescer.score(batchOf(1)),
      coalescer.score(batchOf(2, 3)),
      coalescer.score(batchOf(4)),
    ]);
    expect(calls).toEqual([[1, 2, 3, 4]]);
    expect(answers.map(rowsOf)).toEqual([
      { probabilities: [1], labels: [1] },
      { probabilities: [2, 3], labels: [0, 1] },
      { probabilities: [4], labels: [0] },
    ]);
  });

  it('hands back copies, so a caller never holds (or ships to another thread) the whole group', async () => {
    const { run } = recordingRun();
    const coalescer = new ScoreCoalescer(run, 10);
    const [first, second] = await Promise.all([coalescer.score(batchOf(1)), coalescer.score(batchOf(2))]);
    expect(first.probabilities.buffer.byteLength).toBe(4);
    expect(second.labels.buffer.byteLength).toBe(4);
  });

  it('starts a new group rather than exceed the row limit, and scores a batch above the limit alone', async () => {
    const { calls, run } = recordingRun();
    const coalescer = new ScoreCoalescer(run, 3);
    const answers = await Promise.all([
      coalescer.score(batchOf(1, 2)),
      coalescer.score(batchOf(3, 4)),
      coalescer.score(batchOf(5)),
      coalescer.score(batchOf(6, 7, 8, 9)),
    ]);
    expect(calls).toEqual([
      [1, 2],
      [6, 7, 8, 9],
      [3, 4, 5],
    ]);
    expect(answers.map((scores) => Array.from(scores.probabilities))).toEqual([[1, 2], [3, 4], [5], [6, 7, 8, 9]]);
  });

  it('runs separate turns as separate calls', async () => {
    const { calls, run } = recordingRun();
    const coalescer = new ScoreCoalescer(run, 10);
    await coalescer.score(batchOf(1));
    await coalescer.score(batchOf(2));
    expect(calls).toEqual([[1], [2]]);
  });

  it('when a group call fails, scores each batch alone so only the request at fault fails', async () => {
    const { calls, run } = recordingRun(3);
    const coalescer = new ScoreCoalescer(run, 10);
    const settled = await Promise.allSettled([
      coalescer.score(batchOf(1)),
      coalescer.score(batchOf(3)),
      coalescer.score(batchOf(5)),
    ]);
    expect(calls).toEqual([[1, 3, 5], [1], [3], [5]]);
    expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('cannot score 3');
    expect(Array.from((settled[2] as PromiseFulfilledResult<Scores>).value.probabilities)).toEqual([5]);
  });
});
