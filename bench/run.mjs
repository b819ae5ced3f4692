// @ts-check
/**
 * Runs the benchmarks and writes their results: `node bench/run.mjs [--only=training,drift]`
 * (or `npx nx run bench:run --only=training`). `--quick --output=DIR` runs every suite with tiny
 * settings (one short round) into DIR, to check that they work; `--quick` without `--output` is
 * refused, so the committed results only ever hold full runs.
 *
 * Each suite runs in a child process of its own (so one suite's heap never slows another), writes
 * `bench/results/<suite>.json` (committed: RESULTS.md is generated from it) and a copy under
 * `bench/raw/<date>-<suite>.json` (git-ignored, one per run). Then `bench/RESULTS.md` is regenerated
 * from every `bench/results/*.json`, so running one suite keeps the others' last results.
 *
 * ## Adding a suite
 * Drop a file `bench/suites/<name>.bench.ts` (or `.mjs` / `.cjs`); TypeScript runs through
 * `support/register-typescript.cjs`, which also resolves the `@churn/*` aliases. It exports:
 *
 *   export const title = 'Training: end-to-end time and peak memory';
 *   export async function run(context: BenchContext): Promise<SuiteOutcome>;
 *
 * `context` (built in support/run-suite.cjs; types in support/suite.d.ts): `workspaceRoot`,
 * `scratchDir` (a temporary folder removed afterwards), `quick` (the `--quick` flag), `python()` (the pinned venv's interpreter, installed on first use),
 * `runTypeScript(file, args)` (runs a .ts file in a fresh Node process and parses the JSON object
 * it prints last), `runPython(script, args)` (the same for a Python script) and `log(message)`.
 *
 * The outcome (all numbers plain JSON numbers):
 *   {
 *     timed: string,            // one paragraph: what exactly is inside the timed sections
 *     results: [{ id, label, value, unit, reference?: '<reference id>', rounds?: number[] }],
 *     references: [{ id, label, value, unit, rounds?: number[] }],  // measured in the same run, never remembered
 *     targets: [{ id, description, value, limit, unit, pass }],  // pass: the suite decides
 *     notes?: string[],
 *   }
 * A result with `reference` is printed beside that reference with the ratio value / reference; a
 * figure measured over rounds quotes their median as `value` and lists every round in `rounds`.
 *
 * The process exits 1 when a suite fails to run; a missed target is reported, not an error.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { renderResultsMarkdown } from './support/results-markdown.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const workspaceRoot = join(benchDir, '..');
const suitesDir = join(benchDir, 'suites');
// `--output=DIR` writes results/, raw/ and RESULTS.md under DIR instead of bench/ (the system test
// runs a suite that way, leaving the committed results alone).
const outputFlag = process.argv.find((arg) => arg.startsWith('--output='));
const outputDir = outputFlag ? resolve(outputFlag.slice('--output='.length)) : benchDir;
const resultsDir = join(outputDir, 'results');
const rawDir = join(outputDir, 'raw');
const SUITE_FILE = /^(.+)\.bench\.(ts|mjs|cjs)$/;
// Nx forwards a bare flag as `--quick=true`.
const quick = process.argv.some((arg) => arg === '--quick' || arg === '--quick=true');

const require = createRequire(import.meta.url);
const { warmTranspileCache } = require('./support/register-typescript.cjs');

/** @typedef {import('./support/suite.js').Machine} Machine */
/** @typedef {import('./support/suite.js').SuiteRecord} SuiteRecord */
/** @typedef {{ name: string, file: string }} Suite */

/** @param {string[]} argv @returns {Set<string> | undefined} */
function parseOnly(argv) {
  const flag = argv.find((arg) => arg.startsWith('--only='));
  return flag ? new Set(flag.slice('--only='.length).split(',').filter(Boolean)) : undefined;
}

/** @param {Set<string> | undefined} only @returns {Suite[]} */
function discoverSuites(only) {
  const suites = readdirSync(suitesDir)
    .map((file) => ({ file: join(suitesDir, file), match: SUITE_FILE.exec(file) }))
    .filter(({ match }) => match !== null)
    .map(({ file, match }) => ({ name: /** @type {RegExpExecArray} */ (match)[1], file }));
  if (only) {
    const unknown = [...only].filter((name) => !suites.some((suite) => suite.name === name));
    if (unknown.length > 0) {
      throw new Error(
        `--only names unknown suite(s) ${unknown.join(', ')}; known: ${suites.map((s) => s.name).join(', ')}`,
      );
    }
  }
  return suites.filter((suite) => !only || only.has(suite.name));
}

/**
 * The machine as RESULTS.md describes it; the load average is taken when each suite starts.
 * @returns {Omit<Machine, 'loadAverageAtStart'>}
 */
function describeMachine() {
  const processors = cpus();
  const python = spawnSync(venvPython(), ['--version'], { encoding: 'utf8' });
  return {
    cpuModel: processors[0]?.model ?? 'unknown',
    logicalCores: processors.length,
    memoryBytes: totalmem(),
    node: process.version,
    python: python.status === 0 ? python.stdout.trim().replace(/^Python /, '') : 'unavailable',
    platform: `${process.platform} ${process.arch}`,
  };
}

/** @type {string | undefined} */
let pythonPath;
/** @returns {string} */
function venvPython() {
  if (pythonPath) return pythonPath;
  const mlflow = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const m = await import('./tools/mlflow/mlflow.mjs'); m.ensureMlflowInstalled(); process.stdout.write(m.venvBin('python'));",
    ],
    { cwd: workspaceRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (mlflow.status !== 0) throw new Error('could not set up the pinned Python environment (tools/mlflow/mlflow.mjs)');
  pythonPath = mlflow.stdout.trim();
  return pythonPath;
}

/**
 * @param {Suite} suite
 * @param {Omit<Machine, 'loadAverageAtStart'>} machine
 * @returns {SuiteRecord}
 */
function runSuite(suite, machine) {
  const loadAverageAtStart = loadavg();
  const outputFile = join(rawDir, `.${suite.name}.outcome.json`);
  const started = new Date();
  process.stderr.write(
    `[bench] ${suite.name}: started (load average ${loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')})\n`,
  );
  const child = spawnSync(
    process.execPath,
    [
      '--require',
      join(benchDir, 'support/register-typescript.cjs'),
      join(benchDir, 'support/run-suite.cjs'),
      suite.file,
      outputFile,
    ],
    {
      cwd: workspaceRoot,
      stdio: 'inherit',
      env: { ...process.env, CHURN_PYTHON: venvPython(), BENCH_QUICK: quick ? '1' : '0' },
    },
  );
  if (child.status !== 0) throw new Error(`suite ${suite.name} failed (exit ${child.status ?? child.signal})`);
  const outcome = JSON.parse(readFileSync(outputFile, 'utf8'));
  /** @type {SuiteRecord} */
  const record = {
    suite: suite.name,
    source: relative(workspaceRoot, suite.file),
    startedAt: started.toISOString(),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
    ...(quick ? { quick: true } : {}),
    machine: { ...machine, loadAverageAtStart },
    ...outcome,
  };
  const json = `${JSON.stringify(record, null, 2)}\n`;
  writeFileSync(join(resultsDir, `${suite.name}.json`), json);
  writeFileSync(join(rawDir, `${started.toISOString().replace(/[:.]/g, '-')}-${suite.name}.json`), json);
  const missed = record.targets.filter((target) => !target.pass).map((target) => target.id);
  process.stderr.write(
    `[bench] ${suite.name}: done; targets missed: ${missed.length === 0 ? 'none' : missed.join(', ')}\n`,
  );
  return record;
}

function main() {
  if (quick && !outputFlag)
    throw new Error('--quick needs --output=DIR: quick figures never replace the committed results');
  const suites = discoverSuites(parseOnly(process.argv.slice(2)));
  mkdirSync(resultsDir, { recursive: true });
  mkdirSync(rawDir, { recursive: true });
  const transpiled = warmTranspileCache([join(workspaceRoot, 'libs'), benchDir]);
  process.stderr.write(`[bench] ${transpiled} TypeScript files transpiled or found in the cache\n`);
  const machine = describeMachine();
  for (const suite of suites) runSuite(suite, machine);
  const records = readdirSync(resultsDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(resultsDir, file), 'utf8')));
  writeFileSync(join(outputDir, 'RESULTS.md'), renderResultsMarkdown(records));
  process.stderr.write(`[bench] wrote ${relative(workspaceRoot, join(outputDir, 'RESULTS.md'))}\n`);
}

main();
