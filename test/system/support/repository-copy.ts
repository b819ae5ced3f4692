import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';

import { workspaceRoot } from './processes';

/** Folders that are made, not written: never copied (node_modules is linked instead). */
const GENERATED = new Set(['node_modules', '.nx', '.data', 'tmp', 'coverage', 'dist']);

/**
 * Copies the repository into a fresh temporary folder with nothing beside it, as a stranger's
 * clone would be: file times kept (so `npm start`/`npm test` see the installed packages as current
 * and do not reinstall) and node_modules linked to this checkout's. `withBuild` also copies the
 * built apps (dist), for commands told to skip the build.
 */
export function copyRepository(prefix: string, options: { withBuild?: boolean } = {}): RepositoryCopy {
  const parent = mkdtempSync(join(tmpdir(), prefix));
  const root = join(parent, 'churn-mlops');
  cpSync(workspaceRoot, root, {
    recursive: true,
    preserveTimestamps: true,
    filter: (source) => {
      const top = relative(workspaceRoot, source).split(sep)[0];
      return !GENERATED.has(top) || (top === 'dist' && options.withBuild === true);
    },
  });
  symlinkSync(join(workspaceRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { root, remove: () => rmSync(parent, { recursive: true, force: true }) };
}

export interface RepositoryCopy {
  /** The copy's root folder (the only thing in its temporary parent). */
  root: string;
  remove(): void;
}
