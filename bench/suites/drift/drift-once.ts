/**
 * The drift measurements in a process of their own (so the heap estimate sees nothing else):
 * `drift-once.ts [repeats]`. Prints one JSON object. See drift.bench.ts for what is timed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import {
  buildTrainingStatistics,
  driftReport,
  DriftWindow,
  SeededRandom,
  type LiveRow,
  type TrainingStatistics,
} from '@churn/drift-stats';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's own intake, measured as it runs
import { LiveColumnPlan, STAGED_ROWS } from '../../../apps/inference-api/src/app/drift/live-rows';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { RollingDriftWindow } from '../../../apps/inference-api/src/app/drift/rolling-drift-window';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import type { FeatureBatch } from '../../../apps/inference-api/src/app/model/feature-batch';

const NUMERIC = 10;
const CATEGORICAL = 10;
const TRAINING_ROWS = 50_000;
const LIVE_ROWS = 100_000;
const REPEATS = Number(process.argv[2] ?? 5);
/** Single-customer requests built at a time (a turn of the load generator's 32 connections), outside the clock. */
const REQUESTS_PER_TURN = 32;
/** An hour, DRIFT_WINDOW_SECONDS' default: no row ages out during a run. */
const WINDOW_AGE_MS = 3_600_000;
/** Features 0–4 of each kind are shifted in the live rows, the others are not. */
const SHIFTED = 5;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const numericNames = Array.from({ length: NUMERIC }, (_, j) => `num_${j}`);
const categoricalNames = Array.from({ length: CATEGORICAL }, (_, j) => `cat_${j}`);

/** A standard normal by Box–Muller from the seeded uniform generator. */
function normal(random: SeededRandom): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/** Column j has j + 3 levels with Zipf-like shares; a shifted column favours its last levels. */
function category(random: SeededRandom, j: number, shifted: boolean): string {
  const levels = j + 3;
  const u = random.next();
  const index = Math.min(levels - 1, Math.floor(levels * (shifted ? Math.sqrt(u) : u * u)));
  return `level_${index}`;
}

function liveRow(random: SeededRandom, shifted: boolean): LiveRow {
  const row: Record<string, number | string | null> = {};
  numericNames.forEach((name, j) => {
    const shift = shifted && j < SHIFTED ? 0.5 : 0;
    row[name] = random.next() < 0.01 ? null : 10 * j + (1 + j / 10) * (normal(random) + shift);
  });
  categoricalNames.forEach((name, j) => {
    row[name] = random.next() < 0.01 ? null : category(random, j, shifted && j < SHIFTED);
  });
  return row;
}

/** Full collections until the used heap stops shrinking, so that only live objects are counted. */
function settleHeap(): void {
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 10; round += 1) {
    collectGarbage();
    const used = process.memoryUsage().heapUsed;
    if (used >= previous) return;
    previous = used;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1];
}

/** Reference statistics from a training sample drawn from the unshifted distribution. */
function trainingReference(random: SeededRandom): { reference: TrainingStatistics; referenceMs: number } {
  const trainingRows = Array.from({ length: TRAINING_ROWS }, () => liveRow(random, false));
  const columns = Object.fromEntries(
    [...numericNames, ...categoricalNames].map((name) => [name, trainingRows.map((row) => row[name] ?? null)]),
  );
  const started = performance.now();
  const reference = buildTrainingStatistics(columns, { numeric: numericNames, categorical: categoricalNames });
  return { reference, referenceMs: performance.now() - started };
}

/**
 * Heap held by one window filled with every live row: used heap after full collections with the
 * window alive, minus the same before it existed. Run before anything else is allocated, in its own
 * function, so that nothing else can die in between.
 */
function heapHeldByFilledWindow(reference: TrainingStatistics, live: readonly LiveRow[]): number {
  settleHeap();
  const before = process.memoryUsage().heapUsed;
  const window = DriftWindow.forReference(reference);
  for (const row of live) window.add(row);
  settleHeap();
  const after = process.memoryUsage().heapUsed;
  if (window.size !== live.length) throw new Error(`the window holds ${window.size} rows, expected ${live.length}`);
  return after - before;
}

/**
 * The live rows as the service holds them after scoring: one single-row FeatureBatch per request in
 * the model's column order, numeric columns as numbers (NaN when missing), categorical ones as text
 * ('' when missing) with the category codes fed to the model (the encoder's categories, sorted as a
 * one-hot encoder sorts them; -1 for a missing value).
 */
function featureBatches(
  live: readonly LiveRow[],
  codeTexts: readonly (readonly string[] | undefined)[],
): FeatureBatch[] {
  const codeOf = codeTexts.map((texts) => (texts ? new Map(texts.map((text, code) => [text, code])) : undefined));
  const names = [...numericNames, ...categoricalNames];
  return live.map((row) => ({
    rowCount: 1,
    columns: names.map((name, index) => {
      const value = row[name];
      if (index < NUMERIC) return Float64Array.of(value === null || value === undefined ? Number.NaN : Number(value));
      return [value === null || value === undefined ? '' : String(value)];
    }),
    categoryCodes: names.map((name, index) => {
      const codes = codeOf[index];
      if (codes === undefined) return undefined;
      const value = row[name];
      return Int32Array.of(typeof value === 'string' ? (codes.get(value) ?? -1) : -1);
    }),
    rowWarnings: undefined,
    batchWarnings: [],
  }));
}

/**
 * The service's intake and report (apps/inference-api/src/app/drift): each request's batch copied
 * into the version's staging area (LiveColumnPlan.stagingArea, STAGED_ROWS rows), which enters its
 * RollingDriftWindow whenever the next batch does not fit and once at the end, as a report takes
 * it in; then the report as `GET /drift` makes it (snapshot, which merges the window's buckets,
 * then `driftReport`). The batches are built REQUESTS_PER_TURN at a time, outside the clock, and
 * die young as a request's do: 100 k batches held at once (some three million small objects)
 * would have the collector, not the intake, dominate the time.
 */
function serviceIntakeAndReport(
  reference: TrainingStatistics,
  plan: LiveColumnPlan,
  live: readonly LiveRow[],
  codeTexts: readonly (readonly string[] | undefined)[],
): { intakeMs: number; reportMs: number; rows: number } {
  let intakeMs = 0;
  let started = performance.now();
  const window = new RollingDriftWindow(reference, { maxRows: live.length, maxAgeMs: WINDOW_AGE_MS });
  const at = Date.now();
  intakeMs += performance.now() - started;
  const staged = plan.stagingArea(STAGED_ROWS);
  const flush = () => staged.drainInto(window);
  for (let start = 0; start < live.length; start += REQUESTS_PER_TURN) {
    const turn = featureBatches(live.slice(start, start + REQUESTS_PER_TURN), codeTexts);
    started = performance.now();
    for (const batch of turn) {
      if (!staged.fits(batch.rowCount)) flush();
      staged.add(batch, at);
    }
    intakeMs += performance.now() - started;
  }
  started = performance.now();
  flush();
  intakeMs += performance.now() - started;
  const reportStarted = performance.now();
  const snapshot = window.snapshot(at);
  if (snapshot.window === undefined) throw new Error('the rolling window has no feature windows');
  driftReport(reference, snapshot.window);
  return { intakeMs, reportMs: performance.now() - reportStarted, rows: snapshot.size };
}

function main(): void {
  const random = new SeededRandom(2024);
  const { reference, referenceMs } = trainingReference(random);
  const live = Array.from({ length: LIVE_ROWS }, () => liveRow(random, true));
  const heapBytes = heapHeldByFilledWindow(reference, live);
  let started: number;

  // The floor: reading every field of every row once, with nothing done to it.
  const touchMs: number[] = [];
  const names = [...numericNames, ...categoricalNames];
  let checksum = 0;
  for (let k = 0; k < REPEATS; k += 1) {
    started = performance.now();
    for (const row of live) for (const name of names) if (row[name] !== null) checksum += 1;
    touchMs.push(performance.now() - started);
  }

  const accumulateMs: number[] = [];
  let window = DriftWindow.forReference(reference);
  for (let k = 0; k < REPEATS; k += 1) {
    started = performance.now();
    window = DriftWindow.forReference(reference);
    for (const row of live) window.add(row);
    accumulateMs.push(performance.now() - started);
  }

  const reportMs: number[] = [];
  let report = driftReport(reference, window);
  for (let k = 0; k < REPEATS; k += 1) {
    started = performance.now();
    report = driftReport(reference, window);
    reportMs.push(performance.now() - started);
  }
  const testsReportMs: number[] = [];
  let testsReport = driftReport(reference, window, { largeSampleSize: LIVE_ROWS });
  for (let k = 0; k < REPEATS; k += 1) {
    started = performance.now();
    testsReport = driftReport(reference, window, { largeSampleSize: LIVE_ROWS });
    testsReportMs.push(performance.now() - started);
  }

  const heldSize = window.size;

  const codeTexts = [
    ...numericNames.map(() => undefined),
    ...categoricalNames.map((name) => [...reference.categorical[name].levels].sort()),
  ];
  const plan = new LiveColumnPlan(reference, [...numericNames, ...categoricalNames], codeTexts);
  const intakeMs: number[] = [];
  const serviceReportMs: number[] = [];
  const totals: number[] = [];
  for (let k = 0; k < REPEATS; k += 1) {
    const measured = serviceIntakeAndReport(reference, plan, live, codeTexts);
    if (measured.rows !== LIVE_ROWS)
      throw new Error(`the service window holds ${measured.rows} rows, expected ${LIVE_ROWS}`);
    intakeMs.push(measured.intakeMs);
    serviceReportMs.push(measured.reportMs);
    totals.push(measured.intakeMs + measured.reportMs);
  }

  // Last: five serialised windows leave garbage that would land in the service figures (the target's) if
  // these ran first.
  const serialiseMs: number[] = [];
  let serialised = '';
  for (let k = 0; k < REPEATS; k += 1) {
    started = performance.now();
    serialised = JSON.stringify(window.toJSON());
    serialiseMs.push(performance.now() - started);
  }
  const mergeMs: number[] = [];
  let merged = window;
  for (let k = 0; k < REPEATS; k += 1) {
    started = performance.now();
    merged = window.merge(DriftWindow.fromJSON(JSON.parse(serialised)));
    mergeMs.push(performance.now() - started);
  }

  process.stdout.write(
    `${JSON.stringify({
      features: { numeric: NUMERIC, categorical: CATEGORICAL },
      trainingRows: TRAINING_ROWS,
      liveRows: LIVE_ROWS,
      repeats: REPEATS,
      referenceMs,
      touchMs: median(touchMs),
      touchAllMs: touchMs,
      accumulateMs: median(accumulateMs),
      accumulateAllMs: accumulateMs,
      reportMs: median(reportMs),
      reportAllMs: reportMs,
      testsReportMs: median(testsReportMs),
      testsReportAllMs: testsReportMs,
      serviceIntakeMs: median(intakeMs),
      serviceIntakeAllMs: intakeMs,
      serviceReportMs: median(serviceReportMs),
      serviceReportAllMs: serviceReportMs,
      serviceTotalMs: median(totals),
      serviceTotalAllMs: totals,
      stagedRows: STAGED_ROWS,
      serialiseMs: median(serialiseMs),
      serialiseAllMs: serialiseMs,
      mergeMs: median(mergeMs),
      mergeAllMs: mergeMs,
      serialisedBytes: Buffer.byteLength(serialised),
      heapBytes,
      windowRows: heldSize,
      mergedRows: merged.size,
      datasetDrift: report.dataset_drift,
      drifted: report.features.filter((f) => f.status === 'drift').map((f) => f.name),
      methods: [...new Set(report.features.map((f) => f.method))],
      testsMethods: [...new Set(testsReport.features.map((f) => f.method))],
      testsDrifted: testsReport.features.filter((f) => f.status === 'drift').map((f) => f.name),
      checksum,
    })}\n`,
  );
}

main();
