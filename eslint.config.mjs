import nx from '@nx/eslint-plugin';
import prettierRecommended from 'eslint-plugin-prettier/recommended';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  // One formatter (prettier, imports sorted; .prettierrc.json), checked by every project's lint.
  prettierRecommended,
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', 'tmp/**', '.data/**'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Module boundaries (STYLE.md): apps may use any lib; the service kit (type:platform) is the
      // Nest plumbing only apps import (tooling and tests take its testing entry point only, below);
      // the MLflow client is data access and depends on nothing of ours; the domain lib may use
      // utils; a util lib imports no Nest.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:platform', 'type:data-access', 'type:domain', 'type:util'],
            },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:data-access', 'type:util'] },
            // Tooling (benchmarks, the MLflow scripts, system tests) measures and drives the libs.
            {
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: ['type:platform', 'type:data-access', 'type:domain', 'type:util'],
            },
            {
              sourceTag: 'type:test',
              onlyDependOnLibsWithTags: ['type:platform', 'type:data-access', 'type:domain', 'type:util'],
            },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util'] },
            {
              sourceTag: 'type:util',
              onlyDependOnLibsWithTags: ['type:util'],
              bannedExternalImports: ['@nestjs/*'],
            },
          ],
        },
      ],
      // Config classes annotate initialised properties on purpose: class-transformer converts
      // environment strings by the decorator metadata those annotations produce.
      '@typescript-eslint/no-inferrable-types': ['error', { ignoreProperties: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // System tests and the benchmarks drive the built apps: of the service kit they take the
    // helpers that start MLflow, Python and the apps, never the apps' plumbing.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@churn/service-kit',
              message: 'Import @churn/service-kit/testing: the kit itself is for apps only.',
            },
          ],
        },
      ],
    },
  },
];
