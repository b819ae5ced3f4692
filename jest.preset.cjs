// Shared Jest settings for every project. swc (with decorator metadata) instead of ts-jest: it is
// an order of magnitude faster on two cores, and type checking is the `typecheck` target's job.
const path = require('node:path');

/** @param {string} projectDir absolute directory of the project's jest.config.cjs */
module.exports = function jestConfigFor(projectDir, overrides = {}) {
  const workspaceRoot = __dirname;
  return {
    rootDir: projectDir,
    displayName: path.relative(workspaceRoot, projectDir),
    testEnvironment: path.join(workspaceRoot, 'tools/jest/node-realm-environment.cjs'),
    transform: {
      '^.+\\.[tj]s$': [
        '@swc/jest',
        {
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
            target: 'es2022',
          },
          module: { type: 'commonjs' },
          sourceMaps: 'inline',
        },
      ],
    },
    // content-disposition 3 (used by @fastify/static, which serves Swagger UI) ships ESM only; Jest's
    // own module system cannot require ESM on Node 20, so it is compiled to CommonJS like our code.
    transformIgnorePatterns: ['/node_modules/(?!(content-disposition)/)'],
    moduleFileExtensions: ['ts', 'js', 'json'],
    moduleNameMapper: {
      '^@churn/mlflow-client$': path.join(workspaceRoot, 'libs/mlflow-client/src/index.ts'),
      '^@churn/churn-pipeline$': path.join(workspaceRoot, 'libs/churn-pipeline/src/index.ts'),
      '^@churn/drift-stats$': path.join(workspaceRoot, 'libs/drift-stats/src/index.ts'),
      '^@churn/service-kit$': path.join(workspaceRoot, 'libs/service-kit/src/index.ts'),
      '^@churn/service-kit/testing$': path.join(workspaceRoot, 'libs/service-kit/src/testing.ts'),
    },
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    reporters: ['default', path.join(workspaceRoot, 'tools/jest/results-reporter.cjs')],
    // Generous: integration tests start real servers, and CI's two cores run two projects at once.
    testTimeout: 120_000,
    ...overrides,
  };
};
