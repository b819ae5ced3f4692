// Writes each Jest run's pass/fail counts to $TEST_RESULTS_DIR/<project>.json, so that `npm test`
// (tools/test-all.mjs) can print one `N passed, N failed` line for the whole workspace.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class ResultsReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(_contexts, results) {
    const dir = process.env.TEST_RESULTS_DIR;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    // Nx names the project of the task it runs; a Jest run outside Nx is named by its folder.
    const project = process.env.NX_TASK_TARGET_PROJECT ?? this.globalConfig.rootDir.replace(/[\\/]+/g, '_');
    writeFileSync(
      join(dir, `${project}.json`),
      JSON.stringify({
        project,
        rootDir: this.globalConfig.rootDir,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests,
        todo: results.numTodoTests,
        suitesFailed: results.numFailedTestSuites,
      }),
    );
  }
}

module.exports = ResultsReporter;
