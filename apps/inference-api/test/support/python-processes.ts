import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

import { pinnedPython } from '@churn/service-kit/testing';

import { waitFor } from './app-harness';

export interface PythonServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** Stops the server's process group by its process id. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs a Python server (`python -m mlflow ...`) in its own process group, logging to `logFile`, and
 * waits until `healthPath` answers 200.
 */
export async function startPythonServer(
  args: string[],
  port: number,
  logDir: string,
  env: Record<string, string>,
  healthPath: string,
  timeoutMs = 120_000,
): Promise<PythonServer> {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `python-${port}.log`);
  const out = openSync(logFile, 'a');
  // The venv's bin folder goes first on PATH: `mlflow models serve` starts `uvicorn` by name.
  const path = `${dirname(pinnedPython())}${delimiter}${process.env['PATH'] ?? ''}`;
  const child = spawn(pinnedPython(), args, {
    env: { ...process.env, PATH: path, PYTHONUNBUFFERED: '1', ...env },
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    await gone;
    clearTimeout(timer);
  };
  try {
    await waitFor(
      `${args.slice(0, 4).join(' ')} on port ${port}`,
      async () => {
        if (exited) throw new Error(`${exited}; log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
        const response = await fetch(`${url}${healthPath}`);
        return response.ok ? true : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    await stop('SIGKILL');
    throw new Error(`${(error as Error).message}\nlog tail:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
  }
  return { url, port, process: child, stop };
}
