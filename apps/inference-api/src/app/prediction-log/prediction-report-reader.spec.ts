import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';

import Database from 'better-sqlite3';

import { writeThreadScript } from '../../../test/support/thread-script';
import { openPredictionStore, type PredictionStore } from './index';
import { PredictionReportReader, readReport, ReportUnavailableError } from './prediction-report-reader';

// The A/B report's queries in their own thread (the real thread code, compiled in the thread by
// jiti), on a SQLite log large enough that its aggregate takes a while: the calling thread keeps
// turning meanwhile, an overrun is cut off with a Retry-After, and the next report works again.
// Every row lies inside one minute and the window starts after that minute's first millisecond, so
// the report reads raw rows rather than per-minute rollups: its slowest path.

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const ROWS = 200_000;

describe('PredictionReportReader', () => {
  let dir: string;
  let url: string;
  let store: PredictionStore;
  const readers: PredictionReportReader[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prediction-report-'));
    url = `sqlite:${join(dir, 'predictions.db')}`;
    store = openPredictionStore(url);
    await store.init();
    // Straight into the table: the writer is not what this test is about, and this is fast.
    const db = new Database(join(dir, 'predictions.db'));
    const insert = db.prepare(
      `INSERT INTO prediction_log (request_id, row_index, received_at, user_id, variant, model_name, alias, version, features,
         probability, prediction, latency_ms, traffic_share, replica) VALUES (?, 0, ?, ?, ?, 'churn_model', ?, ?, '{}', ?, ?, 1, 0.5, 'r')`,
    );
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) {
        const variant = i % 2 ? 'champion' : 'challenger';
        insert.run(
          `req-${i}`,
          T0 + 1 + Math.floor((i * 59_000) / ROWS),
          `user-${i % 1000}`,
          variant,
          variant,
          i % 2 ? '1' : '2',
          (i % 100) / 100,
          i % 3 ? 0 : 1,
        );
      }
    })();
    db.close();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(readers.map((reader) => reader.close()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function threadReader(timeoutMs: number): PredictionReportReader {
    const script = writeThreadScript(dir, 'report');
    const reader = new PredictionReportReader({ storeUrl: url, script, localStore: () => store, timeoutMs });
    readers.push(reader);
    return reader;
  }

  const query = { modelName: 'churn_model', since: T0 + 1, until: T0 + 60_000, trafficShare: 0.5 };

  it('answers what the store answers, while this thread keeps turning', async () => {
    const reader = threadReader(60_000);
    await reader.read({ ...query, until: T0 + 2 }); // the thread's start and compile, not measured
    // Turns of this thread's event loop while the report runs: a query on this thread would allow none.
    let turns = 0;
    const ticker = setInterval(() => turns++, 5);
    const started = performance.now();
    const inThread = await reader.read(query);
    const threadMs = performance.now() - started;
    clearInterval(ticker);
    const here = await readReport(store, query);
    expect(inThread).toEqual(here);
    expect(inThread.aggregates.map((a) => [a.variant, a.count])).toEqual([
      ['challenger', ROWS / 2],
      ['champion', ROWS / 2],
    ]);
    expect(inThread.assignments).toEqual({ champion: 500, challenger: 500 });
    // The queries took a while, and this thread kept turning meanwhile. (How short its pauses stay
    // under load is the ab-report benchmark's question, not a timed assertion's.)
    expect({ threadMs: threadMs > 50, turnedSeveralTimes: turns >= 3 }).toEqual({
      threadMs: true,
      turnedSeveralTimes: true,
    });
  }, 60_000);

  /** The reader's current thread, watched: its messages counted, its terminate() recorded. */
  function watchThread(reader: PredictionReportReader) {
    const worker = (reader as unknown as { current: { worker: Worker } }).current.worker;
    const seen = { messages: 0, exited: false, terminated: jest.spyOn(worker, 'terminate') };
    worker.on('message', () => seen.messages++);
    worker.once('exit', () => (seen.exited = true));
    return seen;
  }

  it('gives up on an overrunning report with a Retry-After, and the next one works again', async () => {
    const reader = threadReader(60_000);
    await reader.read({ ...query, until: T0 + 2 });
    const abandoned = watchThread(reader);
    const impatient = reader as unknown as { options: { timeoutMs: number } };
    impatient.options.timeoutMs = 5;
    const overrun = reader.read(query);
    await expect(overrun).rejects.toThrow(ReportUnavailableError);
    await expect(overrun).rejects.toMatchObject({ retryAfterSeconds: 1 });
    impatient.options.timeoutMs = 60_000;
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        expect((await reader.read(query)).aggregates).toHaveLength(2);
        break;
      } catch (error) {
        // Refused while the abandoned thread finishes its query and exits.
        expect(error).toBeInstanceOf(ReportUnavailableError);
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // The abandoned thread finished its query, posted nothing (nobody waited for it) and exited by
    // itself: terminated inside a query that then failed, it would have aborted the whole process.
    expect(abandoned).toMatchObject({ messages: 0, exited: true });
    expect(abandoned.terminated).not.toHaveBeenCalled();
  }, 60_000);

  it("fails only a dead thread's reports, not those of the thread started after it", async () => {
    const reader = threadReader(60_000);
    await reader.read({ ...query, until: T0 + 2 });
    const failing = (reader as unknown as { current: { worker: Worker } }).current.worker;
    // The thread reports an error (as an uncaught one in it would) and is replaced; it exits only later.
    failing.emit('error', new Error('an uncaught error in the report thread'));
    const successor = reader.read(query);
    await failing.terminate();
    expect((await successor).aggregates).toHaveLength(2);
  }, 60_000);

  it('closes by letting the running query finish and the thread exit, without terminating it', async () => {
    const reader = threadReader(60_000);
    await reader.read({ ...query, until: T0 + 2 });
    const running = watchThread(reader);
    const report = reader.read(query);
    await new Promise((r) => setTimeout(r, 20));
    await reader.close();
    await expect(report).rejects.toThrow(ReportUnavailableError);
    expect(running).toMatchObject({ messages: 0, exited: true });
    expect(running.terminated).not.toHaveBeenCalled();
  }, 60_000);
});
