// @ts-check
/** Workspace bootstrap shared by `npm start` and `npm test`: npm packages installed from the lock. */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { workspaceRoot } from './mlflow/mlflow.mjs';

/**
 * Installs exactly the locked npm packages (`npm ci`) when node_modules is missing or older than
 * package-lock.json.
 */
export function ensureNodeModules() {
  const marker = join(workspaceRoot, 'node_modules/.package-lock.json');
  const lock = join(workspaceRoot, 'package-lock.json');
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
