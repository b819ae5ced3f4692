/**
 * Lets plain `node` run the benchmarks' TypeScript and the libraries they measure, with no build step
 * and no extra npm package: `node --require ./bench/support/register-typescript.cjs suite.ts`.
 *
 * Why this and not the alternatives: `tsc` does not rewrite the `@churn/*` path aliases, and a webpack
 * bundle per suite is slow to build and hides the source in stack traces and CPU profiles. Here
 * `@swc/core` (already a dev dependency, used by Jest) strips the types file by file into CommonJS,
 * and `@churn/<name>` resolves to `libs/<name>/src/index.ts` (`@churn/<name>/<entry>` to
 * `libs/<name>/src/<entry>.ts`) exactly as `tsconfig.base.json` says.
 *
 * Transpiled output is cached on disk by the source's hash, so a measured child process finds every
 * file in the cache and never loads swc's native binding: its peak memory is the work's, not the
 * compiler's (the harness transpiles everything once, in its own process, before measuring).
 */
// @ts-check
'use strict';
/**
 * Node's CommonJS loader internals this hook patches (not in @types/node).
 * @typedef {{ _compile(code: string, filename: string): void }} CompilableModule
 * @typedef {{
 *   _resolveFilename(request: string, parent: unknown, ...rest: unknown[]): string,
 *   _extensions: Record<string, (module: CompilableModule, filename: string) => void>,
 * }} ModuleInternals
 */
const Module = /** @type {ModuleInternals} */ (/** @type {unknown} */ (require('node:module')));
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const workspaceRoot = path.resolve(__dirname, '../..');
const cacheDir = path.join(tmpdir(), 'churn-bench-ts-cache');
const ALIAS_PREFIX = '@churn/';

/** @type {typeof import('@swc/core') | undefined} */
let swcCore;

/**
 * The CommonJS JavaScript of one TypeScript file, from the cache or freshly transpiled.
 * @param {string} source
 * @param {string} filename
 * @returns {string}
 */
function transpile(source, filename) {
  const key = createHash('sha256').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  swcCore ??= /** @type {typeof import('@swc/core')} */ (require('@swc/core'));
  const { code } = swcCore.transformSync(source, {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { decoratorMetadata: true, legacyDecorator: true },
    },
  });
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  renameSync(partial, cached);
  return code;
}

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveWithAliases(
  /** @type {string} */ request,
  /** @type {unknown} */ parent,
  /** @type {unknown[]} */ ...rest
) {
  if (request.startsWith(ALIAS_PREFIX)) {
    // `@churn/<lib>` is the lib's barrel; `@churn/<lib>/<entry>` a further entry point (`@churn/service-kit/testing`).
    const [lib, entry = 'index'] = request.slice(ALIAS_PREFIX.length).split('/');
    return resolveFilename.call(this, path.join(workspaceRoot, 'libs', lib, 'src', `${entry}.ts`), parent, ...rest);
  }
  return resolveFilename.call(this, request, parent, ...rest);
};

Module._extensions['.ts'] = function loadTypeScript(
  /** @type {CompilableModule} */ module,
  /** @type {string} */ filename,
) {
  module._compile(transpile(readFileSync(filename, 'utf8'), filename), filename);
};

/**
 * Transpiles every TypeScript file under the given folders into the cache (specs and node_modules
 * skipped) without running them, so measured child processes never load the compiler.
 * @param {string[]} folders
 * @returns {number} the number of files seen.
 */
function warmTranspileCache(folders) {
  const { readdirSync } = require('node:fs');
  let count = 0;
  /** @param {string} folder */
  const visit = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) visit(full);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) {
        transpile(readFileSync(full, 'utf8'), full);
        count += 1;
      }
    }
  };
  folders.forEach(visit);
  return count;
}

module.exports = { warmTranspileCache };
