/**
 * The log-writer measurements in a process of their own: `writer-once.ts CSV ROWS ROUNDS SCRATCH`.
 * Prints one JSON object. See log-writer.bench.ts for what is timed.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import Database from 'better-sqlite3';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's own writer path, measured as it runs
import { FeatureBatchBuilder } from '../../../apps/inference-api/src/app/model/feature-batch';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import type { InputColumnPlan } from '../../../apps/inference-api/src/app/model/model-contract';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { openPredictionStore, PredictionLogWriter } from '../../../apps/inference-api/src/app/prediction-log';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import {
  bundleEntries,
  bundleRecords,
  type PredictionLogBundle,
  type PredictionLogEntry,
} from '../../../apps/inference-api/src/app/prediction-log/prediction-log-entry';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { SQLITE_PAGE_BYTES } from '../../../apps/inference-api/src/app/prediction-log/sqlite-database';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { timeOrderedUuid } from '../../../apps/inference-api/src/app/scoring/request-id';
import { telcoFeatureRows } from '../inference/serving-setup';

const [csv, rowsArg, roundsArg, scratch] = process.argv.slice(2);
const ROWS = Number(rowsArg);
const ROUNDS = Number(roundsArg);
/** The writer's defaults: batches of 500 rows. */
const BATCH_ROWS = 500;
/**
 * Requests per bundle: what the main thread handed over per turn at 32 connections before the app
 * bundled a post interval's worth per version (some 70 requests at 14,000 a second over two); kept,
 * so the figures stay comparable and the per-bundle work is not understated.
 */
const REQUESTS_PER_BUNDLE = 20;
const USERS = 10_000;
const MODEL = 'bench_log_writer';

setFlagsFromString('--expose-gc');
/** A full collection before each timed section, so neither side pays for the other's (or the set-up's) garbage. */
const collectGarbage = runInNewContext('gc') as () => void;

/** The Telco columns as the serving copy of a model takes them: numbers as float32, every category as a code. */
function telcoPlans(columns: readonly string[], rows: readonly (string | number | null)[][]): InputColumnPlan[] {
  return columns.map((name, index) => {
    if (rows.some((row) => typeof row[index] === 'number'))
      return {
        name,
        kind: 'numeric',
        tensorType: 'float32',
        columnVector: false,
        required: false,
        categories: undefined,
      };
    const categories = [...new Set(rows.map((row) => String(row[index])))].sort();
    return {
      name,
      kind: 'categorical',
      tensorType: 'string',
      columnVector: false,
      required: false,
      categories: new Set(categories),
      categoryCodes: new Map(categories.map((category, code): [string, number] => [category, code])),
    };
  });
}

/**
 * Single-customer entries as inference-api's observer makes them, A/B-routed, bundled, and
 * serialised in the structured-clone format postMessage sends them in.
 */
async function sentBundles(): Promise<Buffer[]> {
  const { columns, rows } = await telcoFeatureRows(csv, 1000);
  const builder = new FeatureBatchBuilder(telcoPlans(columns, rows));
  const customers = rows.map((row) => Object.fromEntries(columns.map((name, index) => [name, row[index]])));
  const start = Date.now();
  const entries: PredictionLogEntry[] = [];
  for (let i = 0; i < ROWS; i++) {
    const batch = builder.fromRecords([customers[i % customers.length]], (row, column) => `${column}`);
    const variant = i % 2 === 0 ? 'champion' : 'challenger';
    const probability = (i % 997) / 997;
    // About 17 requests a millisecond: the ab-logging suite's rate, so a user comes back within a minute.
    const receivedAt = start + Math.floor(i / 17);
    entries.push({
      requestId: timeOrderedUuid(receivedAt),
      receivedAt,
      userId: `user-${i % USERS}`,
      variant,
      trafficShare: 0.5,
      modelName: MODEL,
      alias: variant,
      version: variant === 'champion' ? '1' : '2',
      latencyMs: 0.3,
      replica: 'bench',
      columnNames: builder.columnNames,
      columns: batch.columns,
      probabilities: Float32Array.of(probability),
      labels: Int32Array.of(probability >= 0.5 ? 1 : 0),
      shadow: null,
      categoryCodes: batch.categoryCodes,
      codeTexts: builder.codeTexts,
    });
  }
  const sent: Buffer[] = [];
  for (let i = 0; i < entries.length; i += REQUESTS_PER_BUNDLE)
    sent.push(...bundleEntries(entries.slice(i, i + REQUESTS_PER_BUNDLE)).map((bundle) => serialize(bundle)));
  return sent;
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** SQLite's default page size, the reference for the store's own ({@link SQLITE_PAGE_BYTES}). */
const SQLITE_DEFAULT_PAGE_BYTES = 4096;

/**
 * The writer thread's work on `sent` (the copy in, its message handler's loop, then the writer and
 * the store), CPU µs per row. With `pageBytes`, the file is made beforehand with pages of that size,
 * which the store keeps; without, the store creates it with its own.
 */
async function writerPath(sent: readonly Buffer[], file: string, pageBytes?: number): Promise<number> {
  if (pageBytes !== undefined) {
    const made = new Database(file);
    made.pragma(`page_size = ${pageBytes}`);
    made.pragma('journal_mode = WAL'); // writes the file's header, and with it the page size
    made.close();
  }
  const store = openPredictionStore(`sqlite:${file}`);
  await store.init();
  const writer = new PredictionLogWriter({
    store,
    queueCapacity: 100_000,
    batchSize: BATCH_ROWS,
    flushIntervalMs: 200,
  });
  let queued = 0;
  collectGarbage();
  const before = cpuMicros();
  for (const message of sent) {
    const bundle = deserialize(message) as PredictionLogBundle;
    for (const records of bundleRecords(bundle)) writer.enqueue(records);
    queued += bundle.rowCounts.reduce((sum, count) => sum + count, 0);
    if (queued >= BATCH_ROWS) {
      await writer.flush();
      queued = 0;
    }
  }
  await writer.flush();
  const micros = cpuMicros() - before;
  const { written, dropped, rejected, failedWrites } = writer.stats;
  await writer.close();
  await store.close();
  if (written !== ROWS || dropped + rejected + failedWrites > 0)
    throw new Error(
      `the writer wrote ${written} of ${ROWS} rows (${dropped} dropped, ${rejected} set aside, ${failedWrites} failed writes)`,
    );
  return micros / ROWS;
}

/** The same rows' prediction_log inserts alone, values prepared beforehand, by better-sqlite3 on the store's own schema: CPU µs per row. */
async function rawInserts(sent: readonly Buffer[], file: string): Promise<number> {
  const store = openPredictionStore(`sqlite:${file}`);
  await store.init();
  await store.close();
  const columns = [
    'request_id',
    'row_index',
    'received_at',
    'user_id',
    'variant',
    'model_name',
    'alias',
    'version',
    'features',
    'probability',
    'prediction',
    'latency_ms',
    'traffic_share',
    'replica',
  ];
  const values = sent.flatMap((message) =>
    bundleRecords(deserialize(message) as PredictionLogBundle).flatMap((records) =>
      records.map((r) => [
        r.requestId,
        r.row,
        r.receivedAt,
        r.userId,
        r.variant,
        r.modelName,
        r.alias,
        r.version,
        JSON.stringify(r.features),
        r.probability,
        r.prediction,
        r.latencyMs,
        r.trafficShare,
        r.replica,
      ]),
    ),
  );
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare(
    `INSERT INTO prediction_log (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (request_id, row_index) DO NOTHING`,
  );
  collectGarbage();
  const before = cpuMicros();
  for (let start = 0; start < values.length; start += BATCH_ROWS) {
    db.exec('BEGIN IMMEDIATE');
    for (let i = start; i < Math.min(start + BATCH_ROWS, values.length); i++) insert.run(...values[i]);
    db.exec('COMMIT');
  }
  const micros = cpuMicros() - before;
  const count = (db.prepare('SELECT COUNT(*) AS n FROM prediction_log').get() as { n: number }).n;
  db.close();
  if (count !== ROWS) throw new Error(`the raw inserts wrote ${count} of ${ROWS} rows`);
  return micros / ROWS;
}

/** The page size of a store file, read back: the measurement is only worth its label if the file has it. */
function pageBytesOf(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/**
 * The six orders of three measurements: each one first, second and third equally often, and each pair
 * both ways, over any whole number of cycles of six measured rounds (measured round r takes entry r mod 6).
 */
const ORDERS = [
  [0, 1, 2],
  [1, 2, 0],
  [2, 0, 1],
  [0, 2, 1],
  [2, 1, 0],
  [1, 0, 2],
];

async function main(): Promise<void> {
  const sent = await sentBundles();
  const writer: number[] = [];
  const writerDefaultPages: number[] = [];
  const raw: number[] = [];
  /** The page size each file must have: the store's for the files it creates, SQLite's default for the one made beforehand. */
  const pageBytes = {
    writer: SQLITE_PAGE_BYTES,
    writerDefaultPages: SQLITE_DEFAULT_PAGE_BYTES,
    raw: SQLITE_PAGE_BYTES,
  };
  // A discarded round first (compilation, the page cache), then the three in the order of the round's ORDERS entry.
  for (let round = 0; round <= ROUNDS; round++) {
    const folder = join(scratch, `round-${round}`);
    mkdirSync(folder, { recursive: true });
    const files = {
      writer: join(folder, 'writer.db'),
      writerDefaultPages: join(folder, 'writer-default-pages.db'),
      raw: join(folder, 'raw.db'),
    };
    const measurements = [
      async () => writer.push(await writerPath(sent, files.writer)),
      async () => writerDefaultPages.push(await writerPath(sent, files.writerDefaultPages, SQLITE_DEFAULT_PAGE_BYTES)),
      async () => raw.push(await rawInserts(sent, files.raw)),
    ];
    for (const index of ORDERS[round % ORDERS.length]) await measurements[index]();
    for (const key of Object.keys(files) as (keyof typeof files)[]) {
      const found = pageBytesOf(files[key]);
      if (found !== pageBytes[key])
        throw new Error(
          `round ${round}: ${files[key]} has ${found}-byte pages, not the ${pageBytes[key]} it is measured for`,
        );
    }
    rmSync(folder, { recursive: true, force: true });
    if (round === 0) for (const list of [writer, writerDefaultPages, raw]) list.length = 0;
  }
  console.log(
    JSON.stringify({
      rows: ROWS,
      rounds: ROUNDS,
      batchRows: BATCH_ROWS,
      requestsPerBundle: REQUESTS_PER_BUNDLE,
      users: USERS,
      pageBytes,
      writer,
      writerDefaultPages,
      raw,
    }),
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
