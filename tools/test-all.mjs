// @ts-check
/**
 * `npm test`: everything a fresh clone needs to prove itself. Installs what is missing (npm
 * packages, the pinned Python environment with MLflow), then runs lint, typecheck, test and build
 * for every Nx project, and prints one closing line `N passed, N failed` summed over all Jest runs.
 * Exit code: non-zero when any target failed or any test failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureMlflowInstalled, workspaceRoot } from './mlflow/mlflow.mjs';
import { ensureNodeModules } from './workspace.mjs';

ensureNodeModules();
ensureMlflowInstalled();

const resultsDir = mkdtempSync(join(tmpdir(), 'churn-test-results-'));
const targets = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['lint', 'typecheck', 'test', 'build'];
const run = spawnSync(
  join(workspaceRoot, 'node_modules/.bin/nx'),
  ['run-many', '-t', ...targets, '--skip-nx-cache', '--outputStyle=static', '--nxBail=false'],
  {
    cwd: workspaceRoot,
    stdio: 'inherit',
    env: { ...process.env, TEST_RESULTS_DIR: resultsDir, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  },
);

let passed = 0;
let failed = 0;
for (const file of readdirSync(resultsDir)) {
  const result = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
  passed += result.passed;
  failed += result.failed;
  console.log(`  ${result.rootDir.slice(workspaceRoot.length + 1)}: ${result.passed} passed, ${result.failed} failed`);
}
rmSync(resultsDir, { recursive: true, force: true });
const targetsFailed = run.status !== 0;
if (targetsFailed)
  console.log('some Nx targets failed (see above); the counts below are of the Jest runs that reported');
console.log(`${passed} passed, ${failed} failed`);
process.exit(targetsFailed || failed > 0 ? 1 : 0);
