/**
 * The processes of the serving benchmarks (inference and ab-logging): servers started detached (each
 * its own process group, stopped as a group by its process id, and watched by
 * tools/mlflow/watchdog.mjs so none outlives the suite), the load generator run as a child with a
 * stdin "stop" line, the CPU time a server's process group used, the set-up commands (builds,
 * training) that must succeed, and (from the system tests' helpers) a free port to start a server on.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { LoadConfig, LoadSummary } from './load-generator';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the system tests' helper, so the suites and the tests pick ports one way
export { freePort } from '../../../test/system/support/processes';

export interface ServerProcess {
  name: string;
  url: string;
  port: number;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  /** Path answering 200 once the server is ready to score. */
  readyPath: string;
  logDir: string;
  workspaceRoot: string;
  readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a set-up command to completion and returns its stdout; throws with the end of its output when it fails or times out. */
export function runOrThrow(
  what: string,
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): string {
  const child = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (child.status !== 0)
    throw new Error(`${what} failed (${child.status ?? child.signal}):\n${child.stderr}\n${child.stdout}`.slice(-6000));
  return child.stdout;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs` if anything is left. */
export async function stopGroup(pid: number, graceMs = 10_000): Promise<void> {
  if (!groupAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Starts a server in a process group of its own, logging to `<logDir>/<name>.log`, and waits for its ready path. */
export async function startServer(spec: ServerSpec): Promise<ServerProcess> {
  const logFile = join(spec.logDir, `${spec.name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(spec.command, spec.args, {
    cwd: spec.workspaceRoot,
    env: spec.env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  const pid = child.pid as number;
  spawn(process.execPath, [join(spec.workspaceRoot, 'tools/mlflow/watchdog.mjs'), String(process.pid), String(pid)], {
    stdio: 'ignore',
    detached: true,
  }).unref();
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  const url = `http://127.0.0.1:${spec.port}`;
  const server: ServerProcess = { name: spec.name, url, port: spec.port, pid, logFile, stop: () => stopGroup(pid) };
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 180_000);
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(`${url}${spec.readyPath}`);
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await server.stop();
  const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
  throw new Error(
    `${spec.name} did not become ready on ${url}${spec.readyPath} (${exited ?? 'timed out'}); last lines of ${logFile}:\n${tail}`,
  );
}

/** User + system CPU seconds used so far by every live process of the group `pgid` (Linux /proc). */
export function groupCpuSeconds(pgid: number): number {
  const ticksPerSecond = 100;
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces) start at index 2 of `man 5 proc`'s numbering.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond;
}

export interface RunningLoad {
  /** Ends an open-ended run (`durationMs: 0`) and resolves with its summary. */
  stop(): Promise<LoadSummary>;
  /** Resolves when a fixed-duration run ends. */
  done: Promise<LoadSummary>;
  process: ChildProcess;
}

/** Runs the load generator (load-generator.ts) in a process of its own (the TypeScript hook loads it from the transpile cache). */
export function startLoad(workspaceRoot: string, config: LoadConfig): RunningLoad {
  const child = spawn(
    process.execPath,
    [
      '--require',
      join(workspaceRoot, 'bench/support/register-typescript.cjs'),
      join(workspaceRoot, 'bench/suites/inference/load-generator.ts'),
      JSON.stringify(config),
    ],
    { cwd: workspaceRoot, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const done = new Promise<LoadSummary>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      const line = stdout
        .trim()
        .split('\n')
        .reverse()
        .find((text) => text.startsWith('{'));
      if (code !== 0 || line === undefined)
        reject(new Error(`load generator exited with ${signal ?? code}; output: ${stdout}`));
      else resolve(JSON.parse(line) as LoadSummary);
    });
  });
  return {
    process: child,
    done,
    stop: () => {
      child.stdin?.end('stop\n');
      return done;
    },
  };
}
