// The A/B report's queries, off the request thread: better-sqlite3 runs a query synchronously, so an
// aggregate over a large log run on the request thread stalled every /predict behind it.
import { parentPort, Worker, workerData } from 'node:worker_threads';

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

type ToReportThread = { id: number; query: ReportQuery };
type FromReportThread = { id: number; data: ReportData } | { id: number; error: string };

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
 * connection: a query that overruns is abandoned with its thread (terminated, and a fresh one
 * started for the next report), and until that thread has gone, reports are refused rather than
 * piling up threads. Without a bundle (tests in-process), the queries run here and the bound only
 * stops the waiting.
 */
export class PredictionReportReader {
  private worker: Worker | undefined;
  private stopping: Promise<unknown> | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (data: ReportData) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly options: {
      storeUrl: string;
      /** The bundle to start the thread from; undefined: query `localStore` in this thread. */
      script: string | undefined;
      localStore: () => PredictionStore;
      timeoutMs: number;
    },
  ) {}

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
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
    await this.stopping;
  }

  private inThread(query: ReportQuery): Promise<ReportData> {
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, query } satisfies ToReportThread);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.script as string, {
      argv: [PREDICTION_REPORT_THREAD_COMMAND],
      workerData: { storeUrl: this.options.storeUrl },
    });
    worker.unref();
    worker.on('message', (message: FromReportThread) => {
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if ('data' in message) waiter?.resolve(message.data);
      else waiter?.reject(new ReportUnavailableError(`the A/B report could not be read: ${message.error}`, 1));
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => fail(new ReportUnavailableError(`the report thread exited with code ${code}`, 1)));
    this.worker = worker;
    return worker;
  }

  /** Stops the thread running an overrunning query; the next report starts a new one once it has gone. */
  private abandon(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    this.stopping = worker.terminate().finally(() => (this.stopping = undefined));
  }
}

/** The report thread: one store connection, one report at a time, in the order asked. */
export async function runPredictionReportThread(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error(`"${PREDICTION_REPORT_THREAD_COMMAND}" runs only as inference-api's report thread`);
  yieldCpuToRequests(REPORT_THREAD_NICE_OFFSET);
  const store = openPredictionStore((workerData as { storeUrl: string }).storeUrl);
  let ready: Promise<void> | undefined;
  let queue = Promise.resolve();
  port.on('message', (message: ToReportThread) => {
    queue = queue.then(async () => {
      try {
        ready ??= store.init().catch((error: unknown) => {
          ready = undefined;
          throw error;
        });
        await ready;
        port.postMessage({ id: message.id, data: await readReport(store, message.query) } satisfies FromReportThread);
      } catch (error) {
        port.postMessage({ id: message.id, error: (error as Error).message } satisfies FromReportThread);
      }
    });
  });
}
