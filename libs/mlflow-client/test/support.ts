// Shared helpers for the integration tests: a client for the suite's own MLflow server (started by
// the Jest global setup), unique names (the suites share that server), and the independent reader.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { MlflowClient, type MlflowClientOptions } from '../src';

const run = promisify(execFile);

export function trackingUri(): string {
  const uri = process.env['MLFLOW_TRACKING_URI'];
  if (!uri) throw new Error('MLFLOW_TRACKING_URI is not set: the Jest global setup should have started MLflow');
  return uri;
}

export function testClient(options: Partial<MlflowClientOptions> = {}): MlflowClient {
  return new MlflowClient({ trackingUri: trackingUri(), ...options });
}

/** A name no other test uses, e.g. `exp-3f9a1c2b`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Runs test/python/read_back.py with MLflow's own Python client and parses its JSON. */
export async function readBack<T>(...args: string[]): Promise<T> {
  const python = process.env['CHURN_PYTHON'];
  if (!python) throw new Error('CHURN_PYTHON is not set: the Jest global setup should point it at the pinned venv');
  const { stdout } = await run(python, [join(__dirname, 'python', 'read_back.py'), ...args], {
    env: { ...process.env, MLFLOW_TRACKING_URI: trackingUri() },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}
