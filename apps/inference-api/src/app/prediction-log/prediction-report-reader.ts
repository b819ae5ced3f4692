// The A/B report's queries, off the request thread: better-sqlite3 runs a query synchronously, so an
// aggregate over a large log run on the request thread stalled every /predict behind it.
import { parentPort, Worker, workerData } from 'node:worker_threads';

import { parsePredictionStoreUrl } from '../config/prediction-store-url';
import { openPredictionStore } from './open-prediction-store';
import type { PredictionQuery, PredictionStore, VariantAggregate, VariantAssignments } from './prediction-store';
import { yieldCpuToRequests } from './thread-priority';

/**
 * How much nicer than the process the report thread runs: the most there is. A report may take
 * longer under load (it is bounded by AB_REPORT_TIMEOUT_MS); an answer to /predict may not.
 */
export const REPORT_THREAD_NICE_OFFSET = 19;

/** The subcommand the bundle runs as in the report thread (see main.ts). */
export const PREDICTION_REPORT_THREAD_COMMAND = 'prediction-log-reader';

/** What the report reads: the aggregates, and the split's distinct users when an experiment runs. */
export interface ReportQuery extends PredictionQuery {
  /** The challenger share in force; null: no experiment, no assignment count. */
  trafficShare: number | null;
}

export interface ReportData {
  aggregates: VariantAggregate[];
  assignments: VariantAssignments | undefined;
}

/** The report's queries did not finish in time, a timed-out one is still being stopped, or the report thread failed; try again later. */
export class ReportUnavailableError extends Error {
  override readonly name = 'ReportUnavailableError';

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

type ToReportThread = { type: 'report'; id: number; query: ReportQuery } | { type: 'exit' };
type FromReportThread = { id: number; data: ReportData } | { id: number; error: string };
type ReportThreadData = { storeUrl: string; abandoned: Int32Array };

/** A report thread: its worker, its flag (set, it posts no answer and takes no further query), and the reports waiting on it. */
interface ReportThread {
  worker: Worker;
  abandoned: Int32Array;
  waiting: Map<number, { resolve: (data: ReportData) => void; reject: (error: Error) => void }>;
}

/**
 * How long close() waits for a SQLite report thread to finish its query and exit before terminating
 * it. A query abandoned at AB_REPORT_TIMEOUT_MS may need longer still; terminating it then is the
 * last resort, and aborts the process if the query fails meanwhile.
 */
export const REPORT_THREAD_EXIT_GRACE_MS = 10_000;

/** Both queries of a report, on one store. */
export async function readReport(store: PredictionStore, query: ReportQuery): Promise<ReportData> {
  const range: PredictionQuery = { modelName: query.modelName, since: query.since, until: query.until };
  const [aggregates, assignments] = await Promise.all([
    store.aggregate(range),
    query.trafficShare === null
      ? Promise.resolve(undefined)
      : store.assignments({ ...range, trafficShare: query.trafficShare }),
  ]);
  return { aggregates, assignments };
}

/**
 * Runs report queries within a time bound. From the bundle, in a thread of its own with its own
 * connection: a query that overruns is abandoned with its thread (told to exit once the query
 * returns, without posting its answer, and a fresh one started for the next report), and until that
 * thread has gone, reports are refused rather than piling up threads. Without a bundle (tests
 * in-process), the queries run here and the bound only stops the waiting.
 *
 * On SQLite the thread is told, not terminated: a query cannot be cut short either way (SQLite runs
 * it to the end in native code), and one that fails inside a terminating thread aborts the whole
 * process (better-sqlite3 cannot create the error there). Only a thread still running after
 * {@link REPORT_THREAD_EXIT_GRACE_MS} on close is terminated, as a last resort.
 */
export class PredictionReportReader {
  private current: ReportThread | undefined;
  /** The abandoned thread not gone yet, and its going. */
  private stopping: { worker: Worker; gone: Promise<unknown> } | undefined;
  /** SQLite threads are told to exit, PostgreSQL ones terminated (see letGo). */
  private readonly tellsThreadsToExit: boolean;
  private nextId = 0;

  constructor(
    private readonly options: {
      storeUrl: string;
      /** The bundle to start the thread from; undefined: query `localStore` in this thread. */
      script: string | undefined;
      localStore: () => PredictionStore;
      timeoutMs: number;
    },
  ) {
    this.tellsThreadsToExit = parsePredictionStoreUrl(options.storeUrl).kind === 'sqlite';
  }

  async read(query: ReportQuery): Promise<ReportData> {
    const retryAfterSeconds = Math.max(1, Math.ceil(this.options.timeoutMs / 1000));
    if (this.stopping)
      throw new ReportUnavailableError(
        'the previous A/B report overran its time bound and is still being stopped; try again shortly',
        retryAfterSeconds,
      );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.abandon();
        reject(
          new ReportUnavailableError(
            `the A/B report's queries took longer than ${this.options.timeoutMs} ms (AB_REPORT_TIMEOUT_MS); narrow the window with since/until or try again later`,
            retryAfterSeconds,
          ),
        );
      }, this.options.timeoutMs);
    });
    const work = this.options.script ? this.inThread(query) : readReport(this.options.localStore(), query);
    try {
      return await Promise.race([work, timedOut]);
    } finally {
      clearTimeout(timer);
      // A late answer or failure of abandoned work is nobody's concern any more.
      work.catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.abandon();
    const stopping = this.stopping;
    if (stopping === undefined) return;
    // Unreferenced, the thread would not keep a shutting-down process alive: it would be torn down inside its query.
    stopping.worker.ref();
    const timedOut = await Promise.race([
      stopping.gone.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), REPORT_THREAD_EXIT_GRACE_MS).unref()),
    ]);
    if (timedOut) await stopping.worker.terminate();
    await stopping.gone;
  }

  private inThread(query: ReportQuery): Promise<ReportData> {
    const thread = this.thread();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.waiting.set(id, { resolve, reject });
      thread.worker.postMessage({ type: 'report', id, query } satisfies ToReportThread);
    });
  }

  private thread(): ReportThread {
    if (this.current) return this.current;
    const abandoned = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(this.options.script as string, {
      argv: [PREDICTION_REPORT_THREAD_COMMAND],
      workerData: { storeUrl: this.options.storeUrl, abandoned } satisfies ReportThreadData,
    });
    const thread: ReportThread = { worker, abandoned, waiting: new Map() };
    worker.unref();
    worker.on('message', (message: FromReportThread) => {
      const waiter = thread.waiting.get(message.id);
      thread.waiting.delete(message.id);
      if ('data' in message) waiter?.resolve(message.data);
      else waiter?.reject(new ReportUnavailableError(`the A/B report could not be read: ${message.error}`, 1));
    });
    // Only this thread's reports: a successor's must not fail with it.
    const fail = (error: Error) => {
      if (this.current === thread) this.current = undefined;
      for (const waiter of thread.waiting.values()) waiter.reject(error);
      thread.waiting.clear();
    };
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => fail(new ReportUnavailableError(`the report thread exited with code ${code}`, 1)));
    this.current = thread;
    return thread;
  }

  /** Lets go of the thread running an overrunning query; the next report starts a new one once it has gone. */
  private abandon(): void {
    const thread = this.current;
    if (!thread) return;
    this.current = undefined;
    const gone = this.letGo(thread).finally(() => (this.stopping = undefined));
    this.stopping = { worker: thread.worker, gone };
  }

  /**
   * On SQLite, tells the thread to exit after its query (see the class). On PostgreSQL, whose client
   * is plain JavaScript and safe to terminate, terminates it at once: told, it would wait for the
   * server's statement timeout, and reports would be refused all that time.
   */
  private letGo({ worker, abandoned }: ReportThread): Promise<unknown> {
    if (!this.tellsThreadsToExit) return worker.terminate();
    Atomics.store(abandoned, 0, 1);
    worker.postMessage({ type: 'exit' } satisfies ToReportThread);
    return new Promise((resolve) => worker.once('exit', resolve));
  }
}

/** The report thread: one store connection, one report at a time, in the order asked. */
export async function runPredictionReportThread(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error(`"${PREDICTION_REPORT_THREAD_COMMAND}" runs only as inference-api's report thread`);
  yieldCpuToRequests(REPORT_THREAD_NICE_OFFSET);
  const { storeUrl, abandoned } = workerData as ReportThreadData;
  const store = openPredictionStore(storeUrl);
  let ready: Promise<void> | undefined;
  let queue = Promise.resolve();
  port.on('message', (message: ToReportThread) => {
    // After the query in flight, if any: exiting from here is never inside a store call.
    if (message.type === 'exit') {
      queue = queue.then(() => process.exit(0));
      return;
    }
    queue = queue.then(async () => {
      if (Atomics.load(abandoned, 0) === 1) return;
      try {
        ready ??= store.init().catch((error: unknown) => {
          ready = undefined;
          throw error;
        });
        await ready;
        const data = await readReport(store, message.query);
        // Abandoned meanwhile: nobody waits for it, and posting a large answer would cost the request thread its copy.
        if (Atomics.load(abandoned, 0) === 0) port.postMessage({ id: message.id, data } satisfies FromReportThread);
      } catch (error) {
        if (Atomics.load(abandoned, 0) === 0)
          port.postMessage({ id: message.id, error: (error as Error).message } satisfies FromReportThread);
      }
    });
  });
}
