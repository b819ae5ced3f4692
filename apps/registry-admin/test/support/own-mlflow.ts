// A separate MLflow server of one test's own (the suite's shared one keeps serving the other files),
// on a SQLite file in a given folder, that the test can kill by its process group id and start
// again on the same port and data.
import { spawn, type ChildProcess } from 'node:child_process';

import { freePort, killProcessGroup, ownMlflowServerArgs, pinnedPython } from '@churn/service-kit/testing';

export { freePort };

export async function startOwnMlflow(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(pinnedPython(), ownMlflowServerArgs(port, dataDir), {
    cwd: dataDir,
    stdio: 'ignore',
    detached: true,
  });
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stopGroup(child);
  throw new Error(`the test's own MLflow server on port ${port} did not become healthy`);
}

/** Kills the server's whole process group (uvicorn workers included) by its id and waits for the exit. */
export async function killGroup(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  stopGroup(child);
  await exited;
}

function stopGroup(child: ChildProcess): void {
  killProcessGroup(child.pid as number);
}
