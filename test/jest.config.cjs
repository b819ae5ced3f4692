// System tests: the real processes (MLflow, the built apps, the README's commands), not modules.
module.exports = require('../jest.preset.cjs')(__dirname, {
  testMatch: ['<rootDir>/system/**/*.spec.ts'],
  globalSetup: '../tools/jest/python-global-setup.mjs',
  testTimeout: 180_000,
});
