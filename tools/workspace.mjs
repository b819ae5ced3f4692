// @ts-check
/** Workspace bootstrap shared by `npm start` and `npm test`: npm packages installed from the lock. */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { workspaceRoot } from './mlflow/mlflow.mjs';

/**
 * Installs exactly the locked npm packages (`npm ci`) when node_modules is missing or older than
 * package-lock.json.
 */
export function ensureNodeModules() {
  const modules = join(workspaceRoot, 'node_modules');
  const marker = join(modules, '.package-lock.json');
  const lock = join(workspaceRoot, 'package-lock.json');
  // A linked node_modules is another checkout's install (a worktree, a test's copy of the
  // repository): `npm ci` would empty it through the link, under the other checkout's feet.
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
    if (!existsSync(marker))
      process.stderr.write(`[setup] ${modules} is a link to an empty install; not reinstalling\n`);
    return;
  }
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  process.stderr.write('[setup] installing npm packages\n');
  // onnxruntime-node's install script would fetch GPU binaries from the internet; the CPU build it
  // ships is what we use.
  const result = spawnSync('npm', ['ci', '--no-fund', '--no-audit'], {
    cwd: workspaceRoot,
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (result.status !== 0) {
    process.stderr.write(`npm ci failed with exit code ${result.status}\n`);
    process.exit(1);
  }
}
