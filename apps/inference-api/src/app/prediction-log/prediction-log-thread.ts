import { parentPort, workerData } from 'node:worker_threads';

import { openPredictionStore, PredictionLogWriter, RotatingJsonlFile, type PredictionStore } from './index';
import { bundleRecords } from './prediction-log-entry';
import type { FromWriterThread, PredictionLogSettings, ToWriterThread } from './prediction-log-sink';
import { yieldCpuToRequests } from './thread-priority';

/**
 * How much nicer than the process the writer thread runs: it yields the CPU to the request thread
 * whenever both want it. Relative, so a process started with `nice` keeps the order (capped at 19).
 */
export const WRITER_THREAD_NICE_OFFSET = 10;

/** How often the writer thread reports its counts to the main thread (for /metrics and back-pressure). */
const STATS_INTERVAL_MS = 250;
/** Store set-up retries (a database still starting): 1 s doubling to 30 s. */
const INIT_BACKOFF = { initialMs: 1000, maxMs: 30_000 };

let threadScript: string | undefined;

/** Called by main.ts with the bundle's path: the writer thread starts from the same file. Unset (tests in-process): writes stay in the calling thread. */
export function usePredictionLogThread(script: string | undefined): void {
  threadScript = script;
}

export function predictionLogThreadScript(): string | undefined {
  return threadScript;
}

/**
 * Creates the store's tables, retrying with back-off while the database cannot be reached.
 * @param stopped asked before each retry; true ends the attempts
 */
export async function initialiseStore(
  store: PredictionStore,
  onFailure: (message: string, attempt: number, retryInMs: number) => void,
  stopped: () => boolean,
): Promise<boolean> {
  for (let attempt = 1; !stopped(); attempt++) {
    try {
      await store.init();
      return true;
    } catch (error) {
      const waitMs = Math.min(INIT_BACKOFF.initialMs * 2 ** (attempt - 1), INIT_BACKOFF.maxMs);
      onFailure((error as Error).message, attempt, waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
    }
  }
  return false;
}

/** The writer thread: expands entries into rows and writes them with its own store connection. */
export async function runPredictionLogThread(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error(`"prediction-log-writer" runs only as inference-api's writer thread`);
  yieldCpuToRequests(WRITER_THREAD_NICE_OFFSET);
  const settings = workerData as PredictionLogSettings;
  const send = (message: FromWriterThread) => port.postMessage(message);
  const store = openPredictionStore(settings.storeUrl);
  let stopped = false;
  const writer = new PredictionLogWriter({
    store,
    jsonl: settings.jsonl ? new RotatingJsonlFile(settings.jsonl) : undefined,
    queueCapacity: settings.queueCapacity,
    batchSize: settings.batchSize,
    flushIntervalMs: settings.flushIntervalMs,
    onError: (error) => send({ type: 'error', message: `prediction log: ${error.message}` }),
  });
  const report = () => send({ type: 'stats', stats: writer.stats });
  const timer = setInterval(report, STATS_INTERVAL_MS);
  void initialiseStore(
    store,
    (message, attempt, retryInMs) =>
      send({
        type: 'error',
        message: `prediction store not ready in the writer thread (attempt ${attempt}, retry in ${retryInMs} ms): ${message}`,
      }),
    () => stopped,
  );
  port.on('message', (message: ToWriterThread) => {
    if (message.type === 'entries') {
      let rows = 0;
      for (const bundle of message.bundles) {
        for (const records of bundleRecords(bundle)) writer.enqueue(records);
        for (const count of bundle.rowCounts) rows += count;
      }
      send({ type: 'taken', rows, stats: writer.stats });
    } else if (message.type === 'flush') {
      void writer.flush().then(() => {
        report();
        send({ type: 'flushed', id: message.id });
      });
    } else if (message.type === 'stop') {
      // The close's flush ends at its next batch; the close then counts what is left and the thread exits.
      writer.abandonWrites();
    } else {
      stopped = true;
      clearInterval(timer);
      void writer
        .close()
        .then(() => store.close())
        .then(() => {
          report();
          port.close();
        });
    }
  });
}
