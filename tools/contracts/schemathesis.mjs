#!/usr/bin/env node
// @ts-check
/**
 * schemathesis, an outside fuzzer, run against one running app's OpenAPI document: every operation
 * with generated valid and invalid requests, every check (`--checks all`: no 5xx, only declared
 * statuses and content types, responses matching their schemas, schema-valid requests accepted,
 * invalid ones refused, 405 with `Allow` for undeclared methods, ...). The pinned version lives in
 * tools/contracts/requirements.txt, installed once into its own cached venv.
 *
 *   node tools/contracts/schemathesis.mjs --document URL --url URL [--token T] [--config FILE]
 *       [--seed N] [--max-examples N] [--max-time S]
 *
 * prints schemathesis's report and exits with its code (0: no failure).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { ensureVenv } from '../python-venv.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The `schemathesis` executable, installed on first use. */
export function ensureSchemathesis() {
  const { venv } = ensureVenv({ name: 'contracts-venv', requirementsFile: join(here, 'requirements.txt') });
  return join(venv, 'bin', 'schemathesis');
}

/**
 * @typedef {object} FuzzOptions
 * @property {string} documentUrl the OpenAPI document, e.g. `http://127.0.0.1:8001/docs-json`
 * @property {string} baseUrl where its operations are served
 * @property {string} [token] sent as `Authorization: Bearer <token>` with every request
 * @property {string} [configFile] a schemathesis.toml (per-operation settings, each with its reason)
 * @property {number} [seed] fixed, so a run is repeatable (default 1)
 * @property {number} [maxExamples] generated cases per operation (default 25)
 * @property {number} [maxTimeSeconds] time budget of the run (default 60)
 */

/**
 * Runs schemathesis to completion (in a scratch folder, so nothing it writes lands in the
 * repository) and returns its exit code, its whole output, and the failures its summary counts.
 * @param {FuzzOptions} options
 * @returns {Promise<{ code: number | null, output: string, failures: number }>}
 */
export function fuzz(options) {
  const args = [
    ...(options.configFile ? ['--config-file', resolve(options.configFile)] : []),
    'run',
    options.documentUrl,
    '--url',
    options.baseUrl,
    '--checks',
    'all',
    '--seed',
    String(options.seed ?? 1),
    '--max-examples',
    String(options.maxExamples ?? 25),
    '--max-time',
    String(options.maxTimeSeconds ?? 60),
    '--workers',
    '1',
    ...(options.token ? ['-H', `Authorization: Bearer ${options.token}`] : []),
  ];
  const scratch = mkdtempSync(join(tmpdir(), 'schemathesis-'));
  const child = spawn(ensureSchemathesis(), ['--no-color', ...args], {
    cwd: scratch,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolvePromise) => {
    child.on('close', (code) => {
      rmSync(scratch, { recursive: true, force: true });
      const summary = /=+ (\d+) failures?\b/.exec(output);
      resolvePromise({ code, output, failures: summary ? Number(summary[1]) : 0 });
    });
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      document: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      config: { type: 'string' },
      seed: { type: 'string' },
      'max-examples': { type: 'string' },
      'max-time': { type: 'string' },
    },
  });
  if (!values.document || !values.url) {
    process.stderr.write(
      'usage: schemathesis.mjs --document URL --url URL [--token T] [--config FILE] [--seed N] [--max-examples N] [--max-time S]\n',
    );
    return 2;
  }
  const result = await fuzz({
    documentUrl: values.document,
    baseUrl: values.url,
    token: values.token,
    configFile: values.config,
    seed: values.seed === undefined ? undefined : Number(values.seed),
    maxExamples: values['max-examples'] === undefined ? undefined : Number(values['max-examples']),
    maxTimeSeconds: values['max-time'] === undefined ? undefined : Number(values['max-time']),
  });
  process.stdout.write(result.output);
  process.stdout.write(`\nfailures: ${result.failures}\n`);
  return result.code ?? 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main();
