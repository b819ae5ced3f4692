/**
 * Issue 17's benchmark: does reading the A/B report stall serving? `/predict`'s p99 latency at 32
 * connections while `GET /ab/report` is called once a second, against the same process without the
 * calls, in paired windows.
 *
 * One process of the built inference-api on its default settings (prediction log on, SQLite store)
 * serves a champion/challenger split (share 0.5) to 10,000 users, so the report has both arms to
 * read; its log grows through the run, so later reports read more rows (up to a few hundred
 * thousand). Each round measures two windows back to back, the order alternating per round: load
 * alone, and load with the report called every second (its answers timed and their statuses
 * counted). The statistic, chosen before any run: the median over rounds of the per-round ratio
 * p99 (with reports) ÷ p99 (without); target ≤ 1.10.
 *
 * Set-up (not timed): build the apps with Nx (so the current source is measured), start a private
 * MLflow, train and register two versions with training-worker's CLI, set the aliases and traffic tags.
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';

import type { BenchContext, SuiteOutcome } from '../support/suite';
import { settledLogCounters, splitApplied, storedRows, waitUntil } from './ab-logging/replica-probes';
import { medianOf } from './inference/alias-moves';
import type { LoadSummary } from './inference/load-generator';
import { startLoad, type ServerProcess } from './inference/processes';
import {
  buildServingApps,
  startExperiment,
  startInferenceApi,
  startPrivateMlflow,
  trainVersions,
  writeUserBodies,
} from './inference/serving-setup';

export const title = 'A/B report under load: /predict p99 while GET /ab/report runs every second (issue 17)';

const MODEL_NAME = 'bench_ab_report';
const CHALLENGER_SHARE = 0.5;
const USERS = 10_000;
const CUSTOMERS = 1_000;
const CONNECTIONS = 32;
/** Full settings, and the `--quick` ones that only check the suite runs. */
const SETTINGS = {
  full: { warmupMs: 2_000, durationMs: 10_000, warmupRoundMs: 4_000, rounds: 5 },
  quick: { warmupMs: 500, durationMs: 1_500, warmupRoundMs: 1_000, rounds: 1 },
};
const REPORT_EVERY_MS = 1_000;
/** Issue 17: with the report called every second, /predict's p99 stays within 10 % of without. */
const P99_RATIO_LIMIT = 1.1;

interface ReportCalls {
  durationsMs: number[];
  statuses: Record<string, number>;
}

interface RoundResult {
  round: number;
  without: LoadSummary;
  withReports: LoadSummary;
  reports: ReportCalls;
}

const range = (values: number[], digits = 2) =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

/** Calls `GET /ab/report` every REPORT_EVERY_MS until stopped, one call at a time, timing each. */
function callReportsEverySecond(url: string): { stop: () => Promise<ReportCalls> } {
  const calls: ReportCalls = { durationsMs: [], statuses: {} };
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      let status: string;
      try {
        const response = await fetch(`${url}/ab/report`, { signal: AbortSignal.timeout(30_000) });
        await response.arrayBuffer();
        status = String(response.status);
      } catch (error) {
        status = (error as Error).name;
      }
      const took = performance.now() - started;
      calls.durationsMs.push(took);
      calls.statuses[status] = (calls.statuses[status] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, Math.max(0, REPORT_EVERY_MS - took)));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return calls;
    },
  };
}

export async function run(context: BenchContext): Promise<SuiteOutcome> {
  const {
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    warmupRoundMs,
    rounds: ROUNDS,
  } = context.quick ? SETTINGS.quick : SETTINGS.full;
  const root = context.workspaceRoot;
  const scratch = context.scratchDir;
  const logDir = join(scratch, 'logs');
  mkdirSync(logDir, { recursive: true });
  const telcoCsv = resolve(root, 'libs/churn-pipeline/data/telco-customer-churn.csv');
  const servers: ServerProcess[] = [];
  context.log('building inference-api and training-worker (not timed)');
  const { trainerBundle } = buildServingApps(root);

  try {
    const mlflow = await startPrivateMlflow({
      python: context.python(),
      scratchDir: scratch,
      logDir,
      workspaceRoot: root,
    });
    servers.push(mlflow);
    const { client, env: mlflowEnv } = mlflow;
    const [championVersion, challengerVersion] = await trainVersions({
      workspaceRoot: root,
      trainerBundle,
      telcoCsv,
      mlflow,
      modelName: MODEL_NAME,
      experiment: 'bench-ab-report',
      seeds: [42, 7],
      log: context.log,
    });
    await startExperiment(client, MODEL_NAME, {
      champion: championVersion,
      challenger: challengerVersion,
      challengerShare: CHALLENGER_SHARE,
      salt: 'bench-ab-report',
    });
    const bodiesFile = join(scratch, 'user-bodies.jsonl');
    await writeUserBodies(telcoCsv, bodiesFile, { users: USERS, customers: CUSTOMERS });

    const storeUrl = `sqlite:${join(scratch, 'store', 'p.db')}`;
    const api = await startInferenceApi({
      name: 'ab-report',
      workspaceRoot: root,
      logDir,
      env: mlflowEnv,
      modelName: MODEL_NAME,
      modelAlias: 'production',
      modelCacheDir: join(scratch, 'model-cache'),
      settings: { REPLICA_ID: 'ab-report', INFERENCE_STORE_URL: storeUrl },
    });
    servers.push(api);
    await waitUntil('both arms to serve', () =>
      splitApplied(api, { championVersion, challengerVersion, share: CHALLENGER_SHARE, shadow: false }),
    );
    /** 200 answers of every window, warm-up round and phases included: each is a row the log must account for. */
    let answeredInRun = 0;
    const window = async (durationMs: number) => {
      const load = await startLoad(root, {
        host: '127.0.0.1',
        port: api.port,
        path: '/predict',
        contentType: 'application/json',
        bodiesFile,
        connections: CONNECTIONS,
        warmupMs: WARMUP_MS,
        durationMs,
        expectRows: 1,
        checkEvery: 997,
      }).done;
      answeredInRun += load.answered;
      return load;
    };
    const withReports = async (durationMs: number) => {
      const reports = callReportsEverySecond(api.internalUrl);
      const load = await window(durationMs);
      return { load, reports: await reports.stop() };
    };
    const checked = (load: LoadSummary, where: string) => {
      if (load.errors + load.errorsOutsideWindow > 0)
        throw new Error(`${where}: ${load.errors} failed requests (${load.sampleErrors.join(' | ')})`);
      return load;
    };

    const loadAverageAtStart = loadavg();
    context.log(`warm-up round (${warmupRoundMs / 1000} s each way, discarded)`);
    checked(await window(warmupRoundMs), 'warm-up');
    await withReports(warmupRoundMs);
    const rounds: RoundResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // The order alternates, so neither window always runs on a log the other just grew.
      let without: LoadSummary;
      let measured: { load: LoadSummary; reports: ReportCalls };
      if (round % 2 === 1) {
        without = checked(await window(DURATION_MS), `round ${round} without`);
        measured = await withReports(DURATION_MS);
      } else {
        measured = await withReports(DURATION_MS);
        without = checked(await window(DURATION_MS), `round ${round} without`);
      }
      checked(measured.load, `round ${round} with reports`);
      rounds.push({ round, without, withReports: measured.load, reports: measured.reports });
      context.log(
        `round ${round}: p99 ${without.p99Ms.toFixed(1)} ms without, ${measured.load.p99Ms.toFixed(1)} ms with ${measured.reports.durationsMs.length} reports ` +
          `(median ${medianOf(measured.reports.durationsMs).toFixed(0)} ms, statuses ${JSON.stringify(measured.reports.statuses)})`,
      );
    }
    const loadAverageAtEnd = loadavg();
    // Every answered request is a row the report may read: the log must have written it or counted it dropped.
    const counters = await settledLogCounters(api.internalUrl, answeredInRun);
    await api.stop();
    const stored = await storedRows(storeUrl, MODEL_NAME);
    if (stored.rows < answeredInRun - counters.dropped)
      throw new Error(
        `the store holds ${stored.rows} rows, fewer than the ${answeredInRun} answered minus ${counters.dropped} reported dropped`,
      );

    const ratios = rounds.map((r) => r.withReports.p99Ms / r.without.p99Ms);
    const reportMs = rounds.flatMap((r) => r.reports.durationsMs);
    const statuses: Record<string, number> = {};
    for (const r of rounds)
      for (const [status, count] of Object.entries(r.reports.statuses))
        statuses[status] = (statuses[status] ?? 0) + count;
    const ratio = medianOf(ratios);
    return {
      timed:
        `bench/suites/inference/load-generator.ts (the inference suite's closed-loop generator, its own process) sends single-customer POST /predict bodies on ${CONNECTIONS} connections (10,000 users, champion/challenger share 0.5) to one process of the built inference-api on its default settings (prediction log on, SQLite store); ` +
        `${WARMUP_MS / 1000} s warm-up then ${DURATION_MS / 1000} s measured per window. Each of ${ROUNDS} rounds measures a window with no other traffic and a window during which GET /ab/report (default window, every row logged so far) is called once a second, one call at a time, the order alternating per round, after a discarded warm-up round. ` +
        `Statistic (chosen before any run): the median over rounds of p99 with reports ÷ p99 without in the same round.`,
      results: [
        {
          id: 'p99-with-reports',
          label: '/predict p99 latency with GET /ab/report every second (median of rounds)',
          value: medianOf(rounds.map((r) => r.withReports.p99Ms)),
          rounds: rounds.map((r) => r.withReports.p99Ms),
          unit: 'ms',
          reference: 'p99-without',
        },
        {
          id: 'throughput-with-reports',
          label: '/predict throughput with GET /ab/report every second (median of rounds)',
          value: medianOf(rounds.map((r) => r.withReports.requestsPerSecond)),
          rounds: rounds.map((r) => r.withReports.requestsPerSecond),
          unit: 'req/s',
          reference: 'throughput-without',
        },
        {
          id: 'report-duration',
          label: 'GET /ab/report answer time (median of all calls)',
          value: medianOf(reportMs),
          unit: 'ms',
        },
      ],
      references: [
        {
          id: 'p99-without',
          label: 'the same without reports (median of rounds)',
          value: medianOf(rounds.map((r) => r.without.p99Ms)),
          rounds: rounds.map((r) => r.without.p99Ms),
          unit: 'ms',
        },
        {
          id: 'throughput-without',
          label: 'the same without reports (median of rounds)',
          value: medianOf(rounds.map((r) => r.without.requestsPerSecond)),
          rounds: rounds.map((r) => r.without.requestsPerSecond),
          unit: 'req/s',
        },
      ],
      targets: [
        {
          id: 'p99-ratio',
          description: `/predict p99 with the report every second within 10 % of without: median over rounds of the paired ratio (range ${range(ratios)})`,
          value: ratio,
          limit: P99_RATIO_LIMIT,
          unit: '×',
          pass: ratio <= P99_RATIO_LIMIT,
        },
      ],
      notes: [
        `Per round (1–${ROUNDS}), p99 without / with reports (ms): ${rounds.map((r) => `${r.without.p99Ms.toFixed(1)} / ${r.withReports.p99Ms.toFixed(1)}`).join(', ')}; paired ratios ${ratios.map((x) => x.toFixed(2)).join(', ')}.`,
        `Report calls: ${reportMs.length}, answer time ${range(reportMs, 0)} ms (median ${medianOf(reportMs).toFixed(0)} ms); statuses ${JSON.stringify(statuses)}.`,
        `Rows in the log by the end (read back from the store after the run; the suite fails if it holds fewer than answered minus reported dropped): ${answeredInRun} requests answered in the whole run (warm-up round included), ${counters.written} rows written, ${counters.dropped} dropped, ${counters.failedWrites} failed writes; ${stored.rows} rows in the store.`,
        `Load average (1/5/15 min) at the start: ${loadAverageAtStart.map((x) => x.toFixed(2)).join(' / ')}; at the end: ${loadAverageAtEnd.map((x) => x.toFixed(2)).join(' / ')}.`,
      ],
    };
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}
