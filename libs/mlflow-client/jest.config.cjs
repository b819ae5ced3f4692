module.exports = require('../../jest.preset.cjs')(__dirname, {
  globalSetup: '../../tools/jest/mlflow-global-setup.mjs',
  globalTeardown: '../../tools/jest/mlflow-global-teardown.mjs',
});
