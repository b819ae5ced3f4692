// @ts-check
/** Workspace bootstrap shared by `npm start` and `npm test`: npm packages installed from the lock. */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from './mlflow/mlflow.mjs';

/**
 * Installs the locked npm packages when node_modules is missing or older than package-lock.json.
 * `npm install` rather than `npm ci`: npm 11 leaves sass-embedded's per-platform optional packages
 * (pulled in by @nx/webpack) out of the lock file, and `npm ci` then refuses the lock as out of
 * sync, while `npm install` installs exactly the locked versions.
 */
export function ensureNodeModules() {
  const marker = join(workspaceRoot, 'node_modules/.package-lock.json');
  const lock = join(workspaceRoot, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  process.stderr.write('[setup] installing npm packages\n');
  // onnxruntime-node's install script would fetch GPU binaries from the internet; the CPU build it
  // ships is what we use.
  const result = spawnSync('npm', ['install', '--no-fund', '--no-audit'], {
    cwd: workspaceRoot,
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (result.status !== 0) {
    process.stderr.write(`npm install failed with exit code ${result.status}\n`);
    process.exit(1);
  }
}
