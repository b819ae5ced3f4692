/**
 * The prediction log's writer thread on its own (issue 15's logging cost, taken apart): CPU per row
 * from the bundles the thread receives to rows committed in a SQLite store, beside the same rows'
 * inserts alone through better-sqlite3. The measurements run in a process of their own
 * (log-writer/writer-once.ts).
 */
import path from 'node:path';

import type { BenchContext, SuiteOutcome } from '../support/suite';
import { medianOf } from './inference/alias-moves';

export const title = 'Prediction log writer: CPU per row on SQLite (issue 15)';

interface WriterRun {
  rows: number;
  rounds: number;
  batchRows: number;
  requestsPerBundle: number;
  users: number;
  pageBytes: { writer: number; writerDefaultPages: number; raw: number };
  writer: number[];
  writerDefaultPages: number[];
  raw: number[];
}

export async function run(context: BenchContext): Promise<SuiteOutcome> {
  const scratch = path.join(context.scratchDir, 'stores');
  const measured = context.runTypeScript(path.join(context.workspaceRoot, 'bench/suites/log-writer/writer-once.ts'), [
    path.join(context.workspaceRoot, 'libs/churn-pipeline/data/telco-customer-churn.csv'),
    context.quick ? 2_000 : 100_000,
    // Twelve: each of the six orders (writer-once.ts) exactly twice, so none is favoured.
    context.quick ? 1 : 12,
    scratch,
  ]) as unknown as WriterRun;
  const perRoundRatio = measured.writer.map((writer, round) => writer / measured.raw[round]);
  const perRoundPageRatio = measured.writer.map((writer, round) => writer / measured.writerDefaultPages[round]);
  const kib = (bytes: number) => `${bytes / 1024} KiB`;
  return {
    timed:
      `CPU time (user + system, the process's garbage-collector threads included; a full collection before each timed section) ` +
      `of one Node process per row written, ${measured.rows.toLocaleString('en')} rows per measurement. ` +
      `"Writer path": what inference-api's writer thread does with the messages it receives: the bundle copied in ` +
      '(v8.deserialize of the structured-clone bytes v8.serialize made beforehand: postMessage uses the same format), then ' +
      "prediction-log-thread.ts's loop (bundleRecords, PredictionLogWriter.enqueue), the writer and the SQLite store on its " +
      `default settings (batches of ${measured.batchRows}, a fresh file in WAL mode with the ${kib(measured.pageBytes.writer)} pages the store ` +
      'creates its files with): validation, the insert, the per-minute rollups, the ' +
      "commit. Not in it: the thread's small replies to the main thread (rows taken, counters every 250 ms). Its input is " +
      `${measured.rows.toLocaleString('en')} single-customer entries (Telco customers through the app's FeatureBatchBuilder, categories as ` +
      `codes, A/B-routed among ${measured.users.toLocaleString('en')} users at about 17 requests a millisecond), bundled ` +
      `${measured.requestsPerBundle} requests at a time by bundleEntries, all beforehand; the writer is flushed every ` +
      `${measured.batchRows} rows. "Inserts alone": the same rows' values (features as JSON text) prepared beforehand and inserted ` +
      `into the store's own prediction_log table (a file the store created) by one prepared better-sqlite3 statement, ${measured.batchRows} rows per transaction: ` +
      'the table and its indexes only, without the rollup statements (which any writer of this schema also pays), validation or ' +
      `unbundling. "Default pages": the writer path again, on a file made beforehand with SQLite's default ${kib(measured.pageBytes.writerDefaultPages)} ` +
      `pages, which the store keeps (every file's page size is read back and checked in every round). A discarded round, then ` +
      `${measured.rounds} rounds measuring the three, the order going through all six orders in turn; each figure is the median over ` +
      'rounds, each ratio the median of the per-round ratios.',
    results: [
      {
        id: 'writer',
        label: `writer thread path, bundle bytes in to rows committed (SQLite, the store's ${kib(measured.pageBytes.writer)} pages)`,
        value: medianOf(measured.writer),
        unit: 'µs CPU per row',
        reference: 'raw',
        rounds: measured.writer,
      },
      {
        id: 'ratio',
        label: 'per round: writer path ÷ inserts alone',
        value: medianOf(perRoundRatio),
        unit: '×',
        rounds: perRoundRatio,
      },
      {
        id: 'writer-pages',
        label: `the same writer path (the store's ${kib(measured.pageBytes.writer)} pages)`,
        value: medianOf(measured.writer),
        unit: 'µs CPU per row',
        reference: 'writer-default-pages',
        rounds: measured.writer,
      },
      {
        id: 'page-ratio',
        label: `per round: writer path with ${kib(measured.pageBytes.writer)} pages ÷ with ${kib(measured.pageBytes.writerDefaultPages)}`,
        value: medianOf(perRoundPageRatio),
        unit: '×',
        rounds: perRoundPageRatio,
      },
    ],
    references: [
      {
        id: 'writer-default-pages',
        label: `the same writer path on a file with SQLite's default ${kib(measured.pageBytes.writerDefaultPages)} pages`,
        value: medianOf(measured.writerDefaultPages),
        unit: 'µs CPU per row',
        rounds: measured.writerDefaultPages,
      },
      {
        id: 'raw',
        label:
          'prediction_log inserts alone (no rollups): prepared values, one better-sqlite3 statement, same table and indexes',
        value: medianOf(measured.raw),
        unit: 'µs CPU per row',
        rounds: measured.raw,
      },
    ],
    targets: [],
    notes: [
      'No target of its own: issue 15 sets the logging cost on /predict throughput (the ab-logging suite). This suite shows how much of ' +
        'that cost is the writer thread and how much of the writer is the database itself.',
    ],
    raw: measured,
  };
}
