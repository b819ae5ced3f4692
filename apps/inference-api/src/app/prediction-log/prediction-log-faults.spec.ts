import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';

import Database from 'better-sqlite3';

import { writeThreadScript } from '../../../test/support/thread-script';
import {
  openPredictionStore,
  PredictionLogWriter,
  type PredictionLogWriterStats,
  type PredictionRecord,
  type PredictionStore,
} from './index';
import type { PredictionLogBundle, PredictionLogEntry } from './prediction-log-entry';
import { CLOSE_TIMEOUT_MS, POST_INTERVAL_MS, RESTART_DELAY_MS, WorkerThreadSink } from './prediction-log-sink';

// The prediction log's writer against a real SQLite file when things go wrong: rows the store
// refuses between good ones, a file locked by another connection, a full queue, and a writer thread
// that dies. After each, every row handed to the log is accounted for:
// received = written + rejected + dropped + queued.

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

function record(requestId: string, row = 0, overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    requestId,
    row,
    receivedAt: T0 + row,
    userId: 'user-1',
    variant: 'production',
    modelName: 'churn_model',
    alias: 'production',
    version: '1',
    features: { tenure: 3, Contract: 'Month-to-month' },
    probability: 0.4,
    prediction: 0,
    latencyMs: 1,
    trafficShare: null,
    shadow: null,
    replica: 'replica-a',
    ...overrides,
  };
}

function expectBalanced(stats: PredictionLogWriterStats): void {
  const { received, written, rejected, dropped, queued } = stats;
  expect({ received, accounted: written + rejected + dropped + queued }).toEqual({ received, accounted: received });
}

async function storedIds(store: PredictionStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const row of store.predictions({ modelName: 'churn_model' })) ids.push(`${row.requestId}/${row.row}`);
  return ids;
}

describe('the prediction log writer on a SQLite file, when rows or the store fail', () => {
  let dir: string;
  let store: PredictionStore;
  const writers: PredictionLogWriter[] = [];
  const newWriter = (options: Partial<ConstructorParameters<typeof PredictionLogWriter>[0]> = {}) => {
    const created = new PredictionLogWriter({
      store,
      queueCapacity: 1000,
      batchSize: 100,
      flushIntervalMs: 60_000,
      ...options,
    });
    writers.push(created);
    return created;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prediction-log-faults-'));
    store = openPredictionStore(`sqlite:${join(dir, 'predictions.db')}`);
    await store.init();
  });

  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets aside each poison row with its reason and writes every good row around it, in one flush', async () => {
    const errors: string[] = [];
    const log = newWriter({ onError: (error) => errors.push(error.message) });
    log.enqueue([record('good-1')]);
    // What issue #17 saw: a float32 overflow scored to NaN; then every kind of value the store refuses.
    log.enqueue([record('bad-1', 0, { probability: Number.NaN }), record('bad-1', 1)]);
    log.enqueue([record('good-2')]);
    log.enqueue([record('bad-nul', 0, { userId: 'user\u00001' })]);
    log.enqueue([record('bad-control', 0, { alias: 'prod\u0007uction' })]);
    log.enqueue([
      record('bad-shadow', 0, { shadow: { alias: 'c', version: '2', probability: Infinity, prediction: 1 } }),
    ]);
    log.enqueue([record('bad\u0000id')]);
    // Passes the checks, but the database cannot bind it: found by halving the batch.
    log.enqueue([record('bad-bigint', 0, { features: { tenure: 10n as unknown as number } })]);
    log.enqueue([record('good-3'), record('good-3', 1)]);
    await log.flush();

    // Read back in time order (row r was received at T0 + r).
    expect(await storedIds(store)).toEqual(['good-1/0', 'good-2/0', 'good-3/0', 'bad-1/1', 'good-3/1']);
    const rejections = await store.rejections();
    expect(Object.fromEntries(rejections.map((r) => [r.requestId, r.reason]))).toEqual({
      'bad-1': 'probability: must be a finite number, got NaN',
      'bad-nul': 'userId: must not contain control characters, got U+0000 at 4',
      'bad-control': 'alias: must not contain control characters, got U+0007 at 4',
      'bad-shadow': 'shadow.probability: must be a finite number, got Infinity',
      'bad\\u0000id': 'requestId: must not contain control characters, got U+0000 at 3',
      'bad-bigint': 'request bad-bigint, row 0: features: Do not know how to serialize a BigInt',
    });
    // The whole record is kept, with what JSON cannot say spelled out.
    expect(JSON.parse(rejections.find((r) => r.requestId === 'bad-1')?.record as string)).toMatchObject({
      requestId: 'bad-1',
      probability: 'NaN',
    });
    expect(JSON.parse(rejections.find((r) => r.requestId === 'bad-nul')?.record as string).userId).toBe('user\u00001');
    expect(log.stats).toMatchObject({ received: 11, written: 5, rejected: 6, dropped: 0, queued: 0, failedWrites: 0 });
    expectBalanced(log.stats);
    expect(errors.some((message) => message.includes('set aside'))).toBe(true);
  });

  it('logs a reused request id once, and sets the other prediction aside instead of counting it written', async () => {
    const log = newWriter();
    log.enqueue([record('client-id', 0, { probability: 0.2 })]);
    await log.flush();
    // A retried write of the row already logged is the same row: written, not a duplicate.
    log.enqueue([record('client-id', 0, { probability: 0.2 })]);
    // The same id on another request (another time, another score): not the same prediction.
    log.enqueue([record('client-id', 0, { receivedAt: T0 + 5_000, probability: 0.9 })]);
    await log.flush();
    expect(await storedIds(store)).toEqual(['client-id/0']);
    const [rejection] = await store.rejections();
    expect(rejection.reason).toBe('duplicate: request client-id row 0 is already logged with another prediction');
    expect(JSON.parse(rejection.record).probability).toBe(0.9);
    expect(log.stats).toMatchObject({ written: 2, rejected: 1, queued: 0 });
    expectBalanced(log.stats);
    // Feedback joins the one logged row, the first prediction.
    const outcome = await store.recordFeedback([{ requestId: 'client-id', row: 0, actual: 1 }], {
      now: T0 + 10_000,
      windowMs: 60_000,
    });
    expect(outcome.joined).toEqual([{ requestId: 'client-id', row: 0 }]);
  });

  it('keeps rows queued while another connection locks the file, and writes them once it lets go', async () => {
    const errors: string[] = [];
    const log = newWriter({
      flushIntervalMs: 20,
      maxRetryDelayMs: 100,
      onError: (error) => errors.push(error.message),
    });
    const locker = new Database(join(dir, 'predictions.db'));
    try {
      locker.exec('BEGIN EXCLUSIVE');
      log.enqueue([record('during-lock-1'), record('during-lock-1', 1)]);
      // The write waits the busy timeout out (blocking this thread: the lock cannot go meanwhile) and fails.
      await log.flush();
      expect(log.stats).toMatchObject({ written: 0, queued: 2, failedWrites: 1, rejected: 0, dropped: 0 });
      expect(errors).toEqual([expect.stringMatching(/database is locked/)]);
      log.enqueue([record('during-lock-2')]);
      expectBalanced(log.stats);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    // Retried on the timer, with back-off, without anyone asking.
    const deadline = Date.now() + 10_000;
    while (log.stats.queued > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await storedIds(store)).toEqual(['during-lock-1/0', 'during-lock-2/0', 'during-lock-1/1']);
    expect(log.stats).toMatchObject({ written: 3, queued: 0, rejected: 0, dropped: 0 });
    expectBalanced(log.stats);
  }, 30_000);

  it('drops only what passes the queue bound during an outage, counted as queue_full, and writes the rest', async () => {
    const log = newWriter({ queueCapacity: 5 });
    const locker = new Database(join(dir, 'predictions.db'));
    try {
      locker.exec('BEGIN EXCLUSIVE');
      log.enqueue([record('a'), record('a', 1), record('a', 2)]);
      await log.flush();
      expect(log.enqueue([record('b'), record('b', 1), record('b', 2)])).toBe(false);
      expect(log.enqueue([record('c'), record('c', 1)])).toBe(true);
      expect(log.enqueue([record('d')])).toBe(false);
      expect(log.stats).toMatchObject({ received: 9, queued: 5, dropped: 4, droppedBy: { queue_full: 4 } });
      expectBalanced(log.stats);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    await log.flush();
    expect(await storedIds(store)).toHaveLength(5);
    expect(log.stats).toMatchObject({ received: 9, written: 5, dropped: 4, queued: 0 });
    expectBalanced(log.stats);
  }, 30_000);
});

describe('the writer thread', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prediction-log-thread-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** One array, as a loaded version's: entries are bundled per version by its column list. */
  const columnNames = ['tenure', 'Contract'];

  function entry(requestId: string, rows: number): PredictionLogEntry {
    return {
      requestId,
      receivedAt: T0,
      userId: null,
      variant: 'production',
      trafficShare: null,
      modelName: 'churn_model',
      alias: 'production',
      version: '1',
      latencyMs: 1,
      replica: 'replica-a',
      columnNames,
      columns: [Float64Array.from({ length: rows }, (_, i) => i), Array.from({ length: rows }, () => 'One year')],
      probabilities: Float32Array.from({ length: rows }, () => 0.5),
      labels: Int32Array.from({ length: rows }, () => 1),
      shadow: null,
    };
  }

  it('gets the entries of several turns in one message: every POST_INTERVAL_MS, after the turn a batch came to wait in, and on flush', async () => {
    // Only setTimeout is faked: the turns (setImmediate) run, and the post timer fires when told to.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask', 'Date', 'performance'] });
    const url = `sqlite:${join(dir, 'predictions.db')}`;
    const sink = new WorkerThreadSink(
      writeThreadScript(dir, 'writer'),
      { storeUrl: url, queueCapacity: 10_000, batchSize: 10, flushIntervalMs: 60_000, jsonl: undefined },
      () => undefined,
    );
    const worker = (sink as unknown as { worker: Worker }).worker;
    const posted = jest.spyOn(worker, 'postMessage');
    const entryMessages = () =>
      posted.mock.calls
        .map(([message]) => message as { type: string; bundles?: unknown[] })
        .filter((message) => message.type === 'entries');
    const endOfTurn = () => new Promise((resolveTurn) => setImmediate(resolveTurn));
    try {
      for (const requestId of ['t1', 't2', 't3']) {
        sink.enqueue(entry(requestId, 2));
        await endOfTurn();
      }
      expect(entryMessages()).toHaveLength(0);
      expect(sink.stats).toMatchObject({ received: 6, queued: 6 });
      // An entry that does not fit its version is refused whole, and counted nowhere.
      expect(() => sink.enqueue({ ...entry('bad', 1), columns: [] })).toThrow(/entry bad: 0 columns/);
      expect(sink.stats).toMatchObject({ received: 6, queued: 6 });
      jest.advanceTimersByTime(POST_INTERVAL_MS);
      expect(entryMessages()).toHaveLength(1);
      // One version's entries, whatever their turns, in one bundle.
      const [bundle] = entryMessages()[0].bundles as PredictionLogBundle[];
      expect(entryMessages()[0].bundles).toHaveLength(1);
      expect(Array.from(bundle.rowCounts)).toEqual([2, 2, 2]);
      // A store batch's worth (10 rows) waiting goes at the end of its turn, without the timer, and
      // not before: the request that tipped it answers first.
      sink.enqueue(entry('t4', 6));
      await endOfTurn();
      expect(entryMessages()).toHaveLength(1);
      sink.enqueue(entry('t5', 4));
      expect(entryMessages()).toHaveLength(1);
      await endOfTurn();
      expect(entryMessages()).toHaveLength(2);
      expect(sink.stats).toMatchObject({ received: 16, queued: 16 });
      sink.enqueue(entry('t6', 1));
      await sink.flush();
      expect(entryMessages()).toHaveLength(3);
      expect(sink.stats).toMatchObject({ received: 17, written: 17, queued: 0 });
      expectBalanced(sink.stats);
    } finally {
      await sink.close();
      jest.useRealTimers();
    }
    const store = openPredictionStore(url);
    try {
      await store.init();
      expect(await storedIds(store)).toHaveLength(17);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('is started again when it dies; what it held is counted dropped (writer_exit), and the counts carry on', async () => {
    const url = `sqlite:${join(dir, 'predictions.db')}`;
    const errors: string[] = [];
    const sink = new WorkerThreadSink(
      writeThreadScript(dir, 'writer'),
      { storeUrl: url, queueCapacity: 10_000, batchSize: 100, flushIntervalMs: 60_000, jsonl: undefined },
      (message) => errors.push(message),
    );
    const store = openPredictionStore(url);
    try {
      const waitFor = async (check: () => boolean | Promise<boolean>, what: string) => {
        const deadline = Date.now() + 60_000;
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(sink.stats)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      sink.enqueue(entry('before', 3));
      await sink.flush();
      await waitFor(() => sink.stats.written === 3, 'the first rows written');
      // Rows the thread takes but does not write yet (the batch is not full and the timer is long)...
      sink.enqueue(entry('held', 4));
      const threadHolds = () => (sink as unknown as { remote: PredictionLogWriterStats }).remote.queued;
      await waitFor(() => threadHolds() === 4 && sink.stats.received === 7, 'the thread to take the rows');
      // ...are lost when it dies.
      const dying = (sink as unknown as { worker: Worker }).worker;
      await dying.terminate();
      await waitFor(() => sink.stats.droppedBy.writer_exit === 4, 'the dead thread to be counted');
      expectBalanced(sink.stats);
      // Rows that arrive before its successor starts wait for it.
      sink.enqueue(entry('after', 2));
      await waitFor(() => (sink as unknown as { worker: Worker }).worker !== dying, 'a new thread');
      await waitFor(async () => {
        await sink.flush();
        return sink.stats.written === 5;
      }, 'the rows after the restart');
      expect(sink.stats).toMatchObject({ received: 9, written: 5, dropped: 4, queued: 0, rejected: 0 });
      expectBalanced(sink.stats);
      expect(errors).toContainEqual(expect.stringMatching(/writer thread exited .*4 row\(s\) it held are dropped/));
      await store.init();
      expect(await storedIds(store)).toEqual(['after/0', 'after/1', 'before/0', 'before/1', 'before/2']);
    } finally {
      await sink.close();
      await store.close();
    }
  }, 120_000);
  /** The sink's private state the cases below watch. */
  const internals = (sink: WorkerThreadSink) =>
    sink as unknown as { worker: Worker; remote: PredictionLogWriterStats; alive: boolean };

  /** Polls with setImmediate and the real clock, so that it also works while setTimeout is faked. */
  async function waitFor(check: () => boolean, what: string, sink: WorkerThreadSink): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(sink.stats)}`);
      await new Promise((resolveTurn) => setImmediate(resolveTurn));
    }
  }

  it('starts no thread once closed while waiting to start the next one; what waited is counted dropped (closed)', async () => {
    const errors: string[] = [];
    const sink = new WorkerThreadSink(
      writeThreadScript(dir, 'writer'),
      {
        storeUrl: `sqlite:${join(dir, 'predictions.db')}`,
        queueCapacity: 10_000,
        batchSize: 100,
        flushIntervalMs: 60_000,
        jsonl: undefined,
      },
      (message) => errors.push(message),
    );
    const dying = internals(sink).worker;
    try {
      sink.enqueue(entry('before', 2));
      await sink.flush();
      await dying.terminate();
      await waitFor(() => !internals(sink).alive, 'the exit to be seen', sink);
      sink.enqueue(entry('waiting', 3));
      await sink.close();
      expect(sink.stats).toMatchObject({ received: 5, written: 2, dropped: 3, queued: 0 });
      expect(sink.stats.droppedBy).toMatchObject({ closed: 3, writer_exit: 0 });
      expectBalanced(sink.stats);
      // Past the restart delay, the dead thread is still the last one: none was started after close.
      await new Promise((resolveLater) => setTimeout(resolveLater, RESTART_DELAY_MS + 500));
      expect(internals(sink).worker).toBe(dying);
    } finally {
      await internals(sink).worker.terminate();
    }
  }, 120_000);

  it('counts what the thread held as dropped (closed) when it has to be stopped while closing, inside a SQLite wait', async () => {
    const path = join(dir, 'predictions.db');
    const errors: string[] = [];
    // Only setTimeout is faked: the close timeout fires when told to.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask', 'Date', 'performance'] });
    const sink = new WorkerThreadSink(
      writeThreadScript(dir, 'writer'),
      { storeUrl: `sqlite:${path}`, queueCapacity: 10_000, batchSize: 100, flushIntervalMs: 60_000, jsonl: undefined },
      (message) => errors.push(message),
    );
    let locker: Database.Database | undefined;
    try {
      sink.enqueue(entry('before', 1));
      await sink.flush();
      expect(sink.stats).toMatchObject({ written: 1 });
      // Rows the thread takes and holds (the batch is not full, its timer long)...
      sink.enqueue(entry('held', 4));
      await new Promise((resolveTurn) => setImmediate(resolveTurn));
      jest.advanceTimersByTime(POST_INTERVAL_MS);
      await waitFor(() => internals(sink).remote.queued === 4, 'the thread to take the rows', sink);
      // ...cannot be written while another connection locks the file, so the close times out while
      // the thread waits on the lock inside SQLite. Terminated there, the thread would abort this
      // whole process when the wait ends in SQLITE_BUSY; told to stop, it can act only once the call
      // has returned, and by then the failed write has ended its close.
      locker = new Database(path);
      locker.exec('BEGIN EXCLUSIVE');
      const closing = sink.close();
      const inTheWait = Date.now() + 500;
      await waitFor(() => Date.now() >= inTheWait, 'the thread to start its locked write', sink);
      jest.advanceTimersByTime(CLOSE_TIMEOUT_MS);
      await closing;
      expect(sink.stats).toMatchObject({ received: 5, written: 1, dropped: 4, queued: 0 });
      expect(sink.stats.droppedBy).toMatchObject({ closed: 4, writer_exit: 0 });
      expectBalanced(sink.stats);
      expect(errors).toContainEqual(expect.stringMatching(/did not finish within 30000 ms; stopping it/));
    } finally {
      jest.useRealTimers();
      locker?.exec('ROLLBACK');
      locker?.close();
      await internals(sink).worker.terminate();
    }
  }, 120_000);

  it('ends an overrunning close at a batch boundary when told to stop; what it wrote counts as written, the rest as dropped (closed)', async () => {
    const path = join(dir, 'predictions.db');
    const errors: string[] = [];
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask', 'Date', 'performance'] });
    const sink = new WorkerThreadSink(
      writeThreadScript(dir, 'writer'),
      { storeUrl: `sqlite:${path}`, queueCapacity: 10_000, batchSize: 2, flushIntervalMs: 60_000, jsonl: undefined },
      (message) => errors.push(message),
    );
    const store = openPredictionStore(`sqlite:${path}`);
    let locker: Database.Database | undefined;
    try {
      await store.init();
      const before = (await storedIds(store)).length;
      // 800 rows (400 batches) the thread holds: its first write failed on a lock, the retry is far off.
      locker = new Database(path);
      locker.exec('BEGIN EXCLUSIVE');
      for (let request = 0; request < 400; request++) sink.enqueue(entry(`held-${request}`, 2));
      await new Promise((resolveTurn) => setImmediate(resolveTurn));
      jest.advanceTimersByTime(POST_INTERVAL_MS);
      await waitFor(
        () => internals(sink).remote.queued === 800 && internals(sink).remote.failedWrites === 1,
        'a failed write with the rows held',
        sink,
      );
      locker.exec('ROLLBACK');
      // The close's flush would write all 400 batches; it is told to stop at once.
      const closing = sink.close();
      jest.advanceTimersByTime(CLOSE_TIMEOUT_MS);
      await closing;
      const { written, dropped, droppedBy } = sink.stats;
      expect(sink.stats).toMatchObject({ received: 800, queued: 0, rejected: 0 });
      expect(written + dropped).toBe(800);
      expect(dropped).toBeGreaterThan(0);
      expect(droppedBy).toMatchObject({ closed: dropped, writer_exit: 0 });
      expectBalanced(sink.stats);
      // Counted written is exactly what the store holds: the thread finished its close and reported.
      expect((await storedIds(store)).length - before).toBe(written);
      expect(errors).toContainEqual(expect.stringMatching(/did not finish within 30000 ms; stopping it/));
      // It finished its close and reported: nothing it held was lost with it.
      expect(errors).not.toContainEqual(expect.stringMatching(/stopped while closing/));
    } finally {
      jest.useRealTimers();
      if (locker?.inTransaction) locker.exec('ROLLBACK');
      locker?.close();
      await store.close();
      await internals(sink).worker.terminate();
    }
  }, 120_000);

  it('counts rows it could not hand to the thread as dropped (writer_exit), and goes on', async () => {
    const url = `sqlite:${join(dir, 'predictions.db')}`;
    const errors: string[] = [];
    const sink = new WorkerThreadSink(
      writeThreadScript(dir, 'writer'),
      { storeUrl: url, queueCapacity: 10_000, batchSize: 100, flushIntervalMs: 60_000, jsonl: undefined },
      (message) => errors.push(message),
    );
    try {
      jest.spyOn(internals(sink).worker, 'postMessage').mockImplementationOnce(() => {
        throw new Error('the port is closed');
      });
      sink.enqueue(entry('unsent', 3));
      await sink.flush();
      expect(sink.stats).toMatchObject({ received: 3, written: 0, dropped: 3, queued: 0 });
      expect(sink.stats.droppedBy).toMatchObject({ writer_exit: 3 });
      expect(errors).toEqual([expect.stringMatching(/could not hand a message .*the port is closed/)]);
      sink.enqueue(entry('sent', 2));
      await sink.flush();
      expect(sink.stats).toMatchObject({ received: 5, written: 2, dropped: 3, queued: 0 });
      expectBalanced(sink.stats);
    } finally {
      await sink.close();
    }
    const store = openPredictionStore(url);
    try {
      await store.init();
      expect(await storedIds(store)).toEqual(['sent/0', 'sent/1']);
    } finally {
      await store.close();
    }
  }, 120_000);
});
