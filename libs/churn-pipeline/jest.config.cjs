module.exports = require('../../jest.preset.cjs')(__dirname, {
  globalSetup: '../../tools/jest/python-global-setup.mjs',
});
