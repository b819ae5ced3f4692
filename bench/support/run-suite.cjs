/**
 * Runs one benchmark suite in this process (started by bench/run.mjs with the TypeScript hook):
 * `node --require register-typescript.cjs run-suite.cjs <suite file> <outcome.json>`.
 * Builds the context described at the top of bench/run.mjs, calls the suite's `run`, checks the
 * outcome's shape and writes it as JSON.
 */
// @ts-check
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const workspaceRoot = path.resolve(__dirname, '../..');
const hook = path.join(__dirname, 'register-typescript.cjs');

/** @typedef {import('./suite').BenchContext} BenchContext */

/**
 * The last line of a child's stdout that is a JSON object (children may print progress before it).
 * @param {string} stdout
 * @param {string} what names the child in the error
 * @returns {Record<string, unknown>}
 */
function lastJsonObject(stdout, what) {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((text) => text.startsWith('{'));
  if (line === undefined) throw new Error(`${what} printed no JSON object; its output was:\n${stdout}`);
  return JSON.parse(line);
}

/** @param {string} command @param {string[]} args @param {string} what */
function runChild(command, args, what) {
  const child = spawnSync(command, args, {
    cwd: workspaceRoot,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`${what} exited with ${child.status ?? child.signal}`);
  return lastJsonObject(child.stdout, what);
}

/**
 * @param {any} outcome what the suite's `run` resolved with, checked against support/suite.d.ts's SuiteOutcome
 * @param {string} suiteFile
 */
function checkOutcome(outcome, suiteFile) {
  /** @type {string[]} */
  const problems = [];
  if (typeof outcome?.timed !== 'string') problems.push('`timed` must be a string');
  for (const key of ['results', 'references', 'targets'])
    if (!Array.isArray(outcome?.[key])) problems.push(`\`${key}\` must be an array`);
  /** @type {import('./suite').Figure[]} */
  const references = outcome?.references ?? [];
  /** @type {import('./suite').Figure[]} */
  const results = outcome?.results ?? [];
  const referenceIds = new Set(references.map((reference) => reference.id));
  for (const figure of [...results, ...references]) {
    if (typeof figure.value !== 'number') problems.push(`figure ${figure.id} has no numeric value`);
    if (
      figure.rounds !== undefined &&
      !(Array.isArray(figure.rounds) && figure.rounds.every((v) => typeof v === 'number'))
    )
      problems.push(`figure ${figure.id} has rounds that are not numbers`);
  }
  for (const result of results) {
    if (result.reference !== undefined && !referenceIds.has(result.reference))
      problems.push(`result ${result.id} names unknown reference ${result.reference}`);
  }
  for (const target of outcome?.targets ?? [])
    if (typeof target.pass !== 'boolean') problems.push(`target ${target.id} has no boolean pass`);
  if (problems.length > 0) throw new Error(`${suiteFile} returned a malformed outcome: ${problems.join('; ')}`);
}

async function main() {
  const [suiteFile, outcomeFile] = process.argv.slice(2);
  const scratchDir = mkdtempSync(path.join(tmpdir(), `bench-${path.basename(suiteFile).split('.')[0]}-`));
  const python = process.env.CHURN_PYTHON ?? 'python3';
  /** @type {BenchContext} */
  const context = {
    workspaceRoot,
    scratchDir,
    quick: process.env.BENCH_QUICK === '1',
    python: () => python,
    log: (message) => process.stderr.write(`[bench] ${message}\n`),
    runTypeScript: (file, args = []) =>
      runChild(process.execPath, ['--require', hook, file, ...args.map(String)], path.basename(file)),
    runPython: (script, args = []) => runChild(python, [script, ...args.map(String)], path.basename(script)),
  };
  try {
    const suite = suiteFile.endsWith('.mjs') ? await import(pathToFileURL(suiteFile).href) : require(suiteFile);
    if (typeof suite.run !== 'function' || typeof suite.title !== 'string') {
      throw new Error(`${suiteFile} must export \`title\` (string) and \`run(context)\``);
    }
    const outcome = await suite.run(context);
    checkOutcome(outcome, suiteFile);
    writeFileSync(outcomeFile, JSON.stringify({ title: suite.title, ...outcome }));
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
