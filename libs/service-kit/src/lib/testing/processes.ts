/** Ports, the pinned Python and process groups, for tests that start real servers. */
import { createServer } from 'node:net';

/** A TCP port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The pinned venv's Python (CHURN_PYTHON, set by the Jest global setups that install it).
 * @throws {Error} saying which setup should have set it
 */
export function pinnedPython(): string {
  const python = process.env['CHURN_PYTHON'];
  if (!python)
    throw new Error(
      'CHURN_PYTHON is not set: the Jest global setup (tools/jest/*-global-setup.mjs) should point it at the pinned venv',
    );
  return python;
}

/** Sends a signal to a whole process group (a detached child and all it started); a gone group is no error. */
export function killProcessGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
