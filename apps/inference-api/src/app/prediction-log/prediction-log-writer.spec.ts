import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  jsonlLine,
  openPredictionStore,
  PredictionLogWriter,
  RotatingJsonlFile,
  RotatingJsonlOptionsError,
  type DropReason,
  type PredictionLogWriterStats,
  type PredictionRecord,
  type PredictionStore,
} from './index';

// The writer between the request path and the shared store, and the JSONL copy for log shippers.
// The store is a plain object recording what it was given (and failing on demand), or a real
// in-memory SQLite store where its answers matter.

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

function record(requestId: string, row = 0): PredictionRecord {
  return {
    requestId,
    row,
    receivedAt: T0 + row,
    userId: 'user-7',
    variant: 'challenger',
    modelName: 'churn_model',
    alias: 'challenger',
    version: '4',
    features: { tenure: 3, Contract: 'Month-to-month', MonthlyCharges: Number.NaN },
    probability: 0.73,
    prediction: 1,
    latencyMs: 1.25,
    trafficShare: 0.3,
    shadow: null,
    replica: 'replica-b',
  };
}

const rows = (requestId: string, count: number) => Array.from({ length: count }, (_, row) => record(requestId, row));

/** A store that keeps each insert call's records, and fails as an outage would while `failing` is set. */
function recordingStore() {
  const inserts: PredictionRecord[][] = [];
  const control = { failing: false, inserts };
  const store = {
    insert: async (records: readonly PredictionRecord[]) => {
      if (control.failing) throw new Error('connection refused');
      inserts.push([...records]);
      return { duplicates: [] };
    },
    isDataError: () => false,
  } as unknown as PredictionStore;
  return { store, control };
}

/** The counters as the writer reports them, with the ones a test does not name at zero. */
function counts(
  values: Partial<Omit<PredictionLogWriterStats, 'droppedBy'>> & { droppedBy?: Partial<Record<DropReason, number>> },
): PredictionLogWriterStats {
  const droppedBy = { queue_full: 0, closed: 0, writer_exit: 0, ...values.droppedBy };
  const dropped = droppedBy.queue_full + droppedBy.closed + droppedBy.writer_exit;
  const base = { written: 0, rejected: 0, failedWrites: 0, queued: 0, ...values, dropped, droppedBy };
  return { ...base, received: base.written + base.rejected + dropped + base.queued };
}

describe('PredictionLogWriter', () => {
  const writers: PredictionLogWriter[] = [];
  const writer = (options: ConstructorParameters<typeof PredictionLogWriter>[0]) => {
    const created = new PredictionLogWriter(options);
    writers.push(created);
    return created;
  };

  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()));
  });

  it('ends a run with the rows queued at its start, so a flush is not kept waiting by rows that keep coming', async () => {
    const { store, control } = recordingStore();
    const log = writer({ store, queueCapacity: 1_000_000, batchSize: 10, flushIntervalMs: 60_000 });
    // A request's rows every turn of the event loop, which a run lets turn between its batches.
    let feeding = true;
    let fed = 0;
    const feed = () => {
      if (!feeding) return;
      log.enqueue(rows(`fed-${fed++}`, 10));
      setImmediate(feed);
    };
    log.enqueue(rows('start', 50));
    feed();
    const outcome = await Promise.race([
      log.flush().then(() => 'flushed'),
      new Promise((resolveLater) => setTimeout(() => resolveLater('still waiting after 2 s'), 2_000)),
    ]);
    feeding = false;
    expect(outcome).toBe('flushed');
    expect(
      control.inserts
        .flat()
        .slice(0, 50)
        .map((r) => r.requestId),
    ).toEqual(Array(50).fill('start'));
    await log.flush();
    expect(log.stats).toEqual(counts({ written: 50 + fed * 10 }));
  });

  it('writes as soon as a batch is full, and a partial batch on the timer', async () => {
    const { store, control } = recordingStore();
    const log = writer({ store, queueCapacity: 100, batchSize: 5, flushIntervalMs: 50 });
    expect(log.enqueue(rows('a', 3))).toBe(true);
    expect(log.enqueue(rows('b', 3))).toBe(true);
    await new Promise((resolveSoon) => setImmediate(resolveSoon));
    expect(control.inserts.map((batch) => batch.length)).toEqual([5]);
    expect(log.stats).toMatchObject({ written: 5, queued: 1 });
    await new Promise((resolveLater) => setTimeout(resolveLater, 200));
    expect(control.inserts.map((batch) => batch.length)).toEqual([5, 1]);
    expect(control.inserts.flat().map((r) => `${r.requestId}${r.row}`)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
    expect(log.stats).toEqual(counts({ written: 6 }));
  });

  it("drops a whole request's rows when they do not fit, and counts them", async () => {
    const { store } = recordingStore();
    const log = writer({ store, queueCapacity: 5, batchSize: 10, flushIntervalMs: 60_000 });
    expect(log.enqueue(rows('a', 4))).toBe(true);
    expect(log.enqueue(rows('b', 2))).toBe(false);
    expect(log.enqueue(rows('c', 1))).toBe(true);
    expect(log.stats).toEqual(counts({ droppedBy: { queue_full: 2 }, queued: 5 }));
    await log.flush();
    expect(log.stats).toEqual(counts({ written: 5, droppedBy: { queue_full: 2 } }));
  });

  it('keeps the rows of a failed write for the next attempt, within capacity, and reports the error', async () => {
    const { store, control } = recordingStore();
    const errors: string[] = [];
    const log = writer({
      store,
      queueCapacity: 6,
      batchSize: 5,
      flushIntervalMs: 60_000,
      onError: (error) => errors.push(error.message),
    });
    control.failing = true;
    log.enqueue(rows('a', 4));
    await log.flush();
    expect(log.stats).toEqual(counts({ failedWrites: 1, queued: 4 }));
    expect(errors).toEqual(['connection refused']);
    // Held rows count against capacity: 4 held + 3 new would pass 6.
    expect(log.enqueue(rows('b', 3))).toBe(false);
    control.failing = false;
    expect(log.enqueue(rows('c', 2))).toBe(true);
    await log.flush();
    expect(control.inserts.flat().map((r) => `${r.requestId}${r.row}`)).toEqual(['a0', 'a1', 'a2', 'a3', 'c0', 'c1']);
    expect(log.stats).toEqual(counts({ written: 6, droppedBy: { queue_full: 3 }, failedWrites: 1 }));
  });

  it('flushes on close, then refuses more rows, leaving the store open', async () => {
    const store = openPredictionStore('sqlite::memory:');
    await store.init();
    try {
      const log = writer({ store, queueCapacity: 100, batchSize: 50, flushIntervalMs: 60_000 });
      log.enqueue(rows('a', 7));
      await log.close();
      expect(log.enqueue(rows('late', 1))).toBe(false);
      expect(log.stats).toEqual(counts({ written: 7, droppedBy: { closed: 1 } }));
      const stored = [];
      for await (const row of store.predictions({ modelName: 'churn_model' })) stored.push(row);
      expect(stored.map((r) => r.row)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(stored[0].features).toEqual({ tenure: 3, Contract: 'Month-to-month', MonthlyCharges: null });
    } finally {
      await store.close();
    }
  });

  it('copies each row to the JSONL file once, even when the store write is retried', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prediction-jsonl-'));
    try {
      const { store, control } = recordingStore();
      const jsonl = new RotatingJsonlFile({ path: join(dir, 'predictions.jsonl'), maxBytes: 1_000_000, keep: 2 });
      const log = writer({ store, jsonl, queueCapacity: 100, batchSize: 10, flushIntervalMs: 60_000 });
      control.failing = true;
      log.enqueue(rows('a', 2));
      await log.flush();
      control.failing = false;
      await log.close();
      const lines = readFileSync(join(dir, 'predictions.jsonl'), 'utf8').trimEnd().split('\n');
      expect(lines.map((line) => JSON.parse(line).row)).toEqual([0, 1]);
      expect(log.stats).toMatchObject({ written: 2, failedWrites: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RotatingJsonlFile', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rotating-jsonl-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one snake_case JSON object per line, the time as ISO 8601', async () => {
    const path = join(dir, 'logs', 'predictions.jsonl');
    const file = new RotatingJsonlFile({ path, maxBytes: 10_000, keep: 1 });
    await file.append([
      { ...record('r'), shadow: { alias: 'champion', version: '3', probability: 0.5, prediction: 1 } },
    ]);
    await file.close();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      request_id: 'r',
      row: 0,
      received_at: '2025-01-06T12:00:00.000Z',
      user_id: 'user-7',
      variant: 'challenger',
      model_name: 'churn_model',
      alias: 'challenger',
      version: '4',
      features: { tenure: 3, Contract: 'Month-to-month', MonthlyCharges: null },
      probability: 0.73,
      prediction: 1,
      latency_ms: 1.25,
      traffic_share: 0.3,
      shadow: { alias: 'champion', version: '3', probability: 0.5, prediction: 1 },
      replica: 'replica-b',
    });
  });

  it('rotates before a line would pass maxBytes, keeping `keep` older files, every line whole', async () => {
    const path = join(dir, 'predictions.jsonl');
    const lineBytes = Buffer.byteLength(`${JSON.stringify(jsonlLine(record('r-00')))}\n`);
    // Three lines fit in a file, a fourth would not.
    const maxBytes = 3 * lineBytes + 10;
    const file = new RotatingJsonlFile({ path, maxBytes, keep: 2 });
    const ids = Array.from({ length: 14 }, (_, i) => `r-${String(i).padStart(2, '0')}`);
    await file.append(ids.slice(0, 5).map((id) => record(id)));
    for (const id of ids.slice(5)) await file.append([record(id)]);
    await file.close();

    const read = (name: string) =>
      readFileSync(join(dir, name), 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).request_id);
    // 14 lines in files of three: r-00..02, 03..05, 06..08, 09..11 then 12..13 live; two older kept.
    expect(read('predictions.jsonl')).toEqual(['r-12', 'r-13']);
    expect(read('predictions.jsonl.1')).toEqual(['r-09', 'r-10', 'r-11']);
    expect(read('predictions.jsonl.2')).toEqual(['r-06', 'r-07', 'r-08']);
    expect(existsSync(join(dir, 'predictions.jsonl.3'))).toBe(false);
    for (const name of ['predictions.jsonl', 'predictions.jsonl.1', 'predictions.jsonl.2'])
      expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(maxBytes);
  });

  it('continues an existing file after a restart, counting its size', async () => {
    const path = join(dir, 'predictions.jsonl');
    const lineBytes = Buffer.byteLength(`${JSON.stringify(jsonlLine(record('a')))}\n`);
    const first = new RotatingJsonlFile({ path, maxBytes: 2 * lineBytes, keep: 1 });
    await first.append([record('a')]);
    await first.close();
    const second = new RotatingJsonlFile({ path, maxBytes: 2 * lineBytes, keep: 1 });
    await second.append([record('b'), record('c')]);
    await second.close();
    expect(
      readFileSync(`${path}.1`, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).request_id),
    ).toEqual(['a', 'b']);
    expect(
      readFileSync(path, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).request_id),
    ).toEqual(['c']);
  });

  it('refuses options that cannot work, naming them', () => {
    expect(() => new RotatingJsonlFile({ path: join(dir, 'p.jsonl'), maxBytes: 0, keep: 1 })).toThrow(
      new RotatingJsonlOptionsError('maxBytes must be a positive integer, got 0'),
    );
    expect(() => new RotatingJsonlFile({ path: join(dir, 'p.jsonl'), maxBytes: 10, keep: -1 })).toThrow(
      new RotatingJsonlOptionsError('keep must be an integer >= 0, got -1'),
    );
  });
});
