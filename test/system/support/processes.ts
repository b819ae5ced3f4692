import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export { freePort } from '@churn/service-kit/testing';

export const workspaceRoot = resolve(__dirname, '../../..');

/** A process started for a test, in its own process group (so a signal reaches all it started). */
export class TestProcess {
  private text = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    this.exited = new Promise((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  }

  get output(): string {
    return this.text;
  }

  /** Resolves when the output matches, rejects (with the output so far) on timeout or exit. */
  async waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.text.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null)
        throw new Error(`process exited (${this.child.exitCode}) before printing ${pattern}:\n${this.text}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Sends a signal to the whole process group, as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-(this.child.pid as number), signal);
    } catch {
      // already gone
    }
  }
}

/** Starts a command in its own process group, in the workspace (or `cwd`), output captured. */
export function startProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = workspaceRoot,
): TestProcess {
  return new TestProcess(
    spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Runs a command to completion and returns its exit code and combined output. */
export async function runToCompletion(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
  cwd = workspaceRoot,
) {
  const started = startProcess(command, args, env, cwd);
  const timer = setTimeout(() => started.signalGroup('SIGKILL'), timeoutMs);
  const code = await started.exited;
  clearTimeout(timer);
  return { code, output: started.output };
}

/** True when something accepts HTTP on the URL's /health. */
export async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** Waits until `url` answers (see {@link answers}); throws with the server's output if it exits or `timeoutMs` passes first. */
export async function waitUntilAnswering(url: string, server: TestProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(url))) {
    if (server.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${url} did not come up:\n${server.output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until nothing answers on the URL any more; false if it still answers after the timeout. */
export async function stopsAnswering(url: string, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await answers(url)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}
