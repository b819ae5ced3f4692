// Unit tests only: the kit's behaviour against a real MLflow server is tested through the apps' e2e tests.
module.exports = require('../../jest.preset.cjs')(__dirname);
