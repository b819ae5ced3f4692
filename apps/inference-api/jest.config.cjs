// MLflow caches each event's webhook list for MLFLOW_WEBHOOK_CACHE_TTL seconds (60 by default); the
// webhook test registers its webhook after other suites have fired alias events, so the test run's
// server refreshes that list every second. Set here because the global setup starts the server with
// this process's environment.
process.env.MLFLOW_WEBHOOK_CACHE_TTL ??= '1';

module.exports = require('../../jest.preset.cjs')(__dirname, {
  globalSetup: '../../tools/jest/mlflow-global-setup.mjs',
  globalTeardown: '../../tools/jest/mlflow-global-teardown.mjs',
});
