/** Who trained and from which code: recorded as run tags so a version can be traced to its commit. */
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The commit the code was built from: `GIT_COMMIT` when set (CI, container builds, where there is no
 * .git), else `git rev-parse HEAD` in `cwd`; undefined when neither is known.
 */
export async function gitCommit(env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  const fromEnv = env['GIT_COMMIT']?.trim();
  if (fromEnv) return fromEnv;
  try {
    const { stdout } = await run('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5000 });
    const commit = stdout.trim();
    return /^[0-9a-f]{40,64}$/.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** The person running the CLI: USER, else LOGNAME, else the OS account name. */
export function cliUser(env: NodeJS.ProcessEnv): string {
  const fromEnv = env['USER']?.trim() || env['LOGNAME']?.trim();
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
