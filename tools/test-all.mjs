// @ts-check
/**
 * `npm test`: everything a fresh clone needs to prove itself. Installs what is missing (npm
 * packages, the pinned Python environment with MLflow), then runs lint, typecheck, test and build
 * for every Nx project, and closes with one line `N passed, N failed` (which `.ci/run` reads).
 *
 * The count covers every task, not only the tests that reported: `passed` is the Jest tests that
 * passed; `failed` is the Jest tests that failed, plus one for every Nx task that failed without
 * failing tests to show for it (a lint, typecheck or build; a Jest run that died before reporting,
 * say when MLflow would not start in its global setup; a test run that Nx never started because
 * what it depends on failed). Skipped and todo tests are printed on the line above.
 *
 * Flags (all optional): `--targets=lint,test` (default: lint, typecheck, test, build) and
 * `--projects=drift-stats,tools` (default: every project). Exit code: non-zero when any target
 * failed or any test failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureMlflowInstalled, workspaceRoot } from './mlflow/mlflow.mjs';
import { ensureNodeModules } from './workspace.mjs';

const DEFAULT_TARGETS = ['lint', 'typecheck', 'test', 'build'];
const nxBin = join(workspaceRoot, 'node_modules/.bin/nx');
const nxEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };

/**
 * Reads `--targets=` and `--projects=` (comma-separated). A bare word is taken as a target, as
 * `npm test -- lint` did before the flags existed.
 * @param {string[]} args
 */
function parseArgs(args) {
  /** @type {string[]} */
  const targets = [];
  /** @type {string[]} */
  const projects = [];
  for (const arg of args) {
    const flag = /^--(targets|projects)=(.*)$/.exec(arg);
    if (flag) (flag[1] === 'targets' ? targets : projects).push(...flag[2].split(',').filter(Boolean));
    else if (!arg.startsWith('-')) targets.push(arg);
    else {
      process.stderr.write(`unknown flag ${arg} (expected --targets=a,b or --projects=a,b)\n`);
      process.exit(2);
    }
  }
  return { targets: targets.length > 0 ? targets : DEFAULT_TARGETS, projects };
}

/**
 * The Nx tasks (`project:target`) this run is expected to run, from Nx's own project graph.
 * @param {string[]} targets
 * @param {string[]} projects an empty list means every project
 */
function expectedTasks(targets, projects) {
  /** @type {string[]} */
  const tasks = [];
  for (const target of targets) {
    const listed = spawnSync(nxBin, ['show', 'projects', `--with-target=${target}`, '--json'], {
      cwd: workspaceRoot,
      env: nxEnv,
      encoding: 'utf8',
    });
    if (listed.status !== 0) throw new Error(`nx show projects failed: ${listed.stderr}`);
    for (const project of /** @type {string[]} */ (JSON.parse(listed.stdout))) {
      if (projects.length === 0 || projects.includes(project)) tasks.push(`${project}:${target}`);
    }
  }
  return tasks;
}

/**
 * Runs the tasks through Nx, passing its output through, and resolves with its exit code and the
 * tasks its closing summary lists as failed.
 * @param {string[]} targets
 * @param {string[]} projects
 * @param {string} resultsDir
 * @returns {Promise<{ status: number, failedTasks: Set<string> }>}
 */
function runNx(targets, projects, resultsDir) {
  const args = ['run-many', '-t', ...targets, '--skip-nx-cache', '--outputStyle=static', '--nxBail=false'];
  if (projects.length > 0) args.push(`--projects=${projects.join(',')}`);
  const child = spawn(nxBin, args, {
    cwd: workspaceRoot,
    stdio: ['inherit', 'pipe', 'pipe'],
    env: { ...nxEnv, TEST_RESULTS_DIR: resultsDir },
  });
  // Nx prints its summary (with the failed-task list) last, on stderr; keep enough of the end to read it.
  let tail = '';
  for (const [from, to] of /** @type {const} */ ([
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ])) {
    from.on('data', (chunk) => {
      to.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-200_000);
    });
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) =>
      resolve({ status: code ?? (signal ? 1 : 0), failedTasks: failedTaskIds(tail) }),
    );
  });
}

/**
 * The task ids under "Failed tasks:" in Nx's static summary (`- project:target` lines).
 * @param {string} output
 */
function failedTaskIds(output) {
  // eslint-disable-next-line no-control-regex -- strips terminal colour codes
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const start = plain.lastIndexOf('Failed tasks:');
  if (start < 0) return new Set();
  /** @type {Set<string>} */
  const ids = new Set();
  for (const line of plain.slice(start).split('\n').slice(1)) {
    const item = /^\s*-\s+(\S+:\S+)\s*$/.exec(line);
    if (item) ids.add(item[1]);
    else if (line.trim() !== '' && ids.size > 0) break;
  }
  return ids;
}

/**
 * Reads what each Jest run reported (tools/jest/results-reporter.cjs), each naming its Nx project.
 * @param {string} resultsDir
 */
function jestReports(resultsDir) {
  /** @type {{ project: string, rootDir: string, passed: number, failed: number, skipped: number, todo: number }[]} */
  const reports = [];
  for (const file of readdirSync(resultsDir)) reports.push(JSON.parse(readFileSync(join(resultsDir, file), 'utf8')));
  return reports;
}

async function main() {
  const { targets, projects } = parseArgs(process.argv.slice(2));
  ensureNodeModules();
  ensureMlflowInstalled();

  const tasks = expectedTasks(targets, projects);
  const resultsDir = mkdtempSync(join(tmpdir(), 'churn-test-results-'));
  const run = await runNx(targets, projects, resultsDir);
  const reports = jestReports(resultsDir);
  rmSync(resultsDir, { recursive: true, force: true });

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let todo = 0;
  for (const report of reports) {
    passed += report.passed;
    failed += report.failed;
    skipped += report.skipped;
    todo += report.todo;
    console.log(
      `  ${report.rootDir.slice(workspaceRoot.length + 1) || '.'}: ${report.passed} passed, ${report.failed} failed`,
    );
  }

  /** @type {string[]} tasks counted as one failure each, with why */
  const taskFailures = [];
  for (const task of tasks) {
    const [project, target] = task.split(':');
    const report = target === 'test' ? reports.find((r) => r.project === project) : undefined;
    if (target === 'test' && report === undefined) taskFailures.push(`${task} (never reported its tests)`);
    else if (run.failedTasks.has(task) && (report === undefined || report.failed === 0))
      taskFailures.push(`${task} (failed)`);
  }
  // Nx failed but named nothing we could attribute (a crash, a task outside the expected list).
  if (run.status !== 0 && taskFailures.length === 0 && failed === 0) taskFailures.push('nx (exited non-zero)');
  for (const failure of taskFailures) console.log(`  task failed: ${failure}`);
  failed += taskFailures.length;

  console.log(`${skipped} skipped, ${todo} todo`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(run.status !== 0 || failed > 0 ? 1 : 0);
}

await main();
