// Shared helpers of the training-worker tests: the suite's own MLflow server (started by the Jest
// global setup), unique names (test files share that server), the workspace root, and MLflow's
// Python client as the independent reader.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { MlflowClient } from '@churn/mlflow-client';
import { pinnedPython } from '@churn/service-kit/testing';

const run = promisify(execFile);

export const workspaceRoot = resolve(__dirname, '../../..');
export const telcoCsv = resolve(workspaceRoot, 'libs/churn-pipeline/data/telco-customer-churn.csv');
export const builtMain = join(workspaceRoot, 'dist/apps/training-worker/main.js');

export function trackingUri(): string {
  const uri = process.env['MLFLOW_TRACKING_URI'];
  if (!uri) throw new Error('MLFLOW_TRACKING_URI is not set: the Jest global setup should have started MLflow');
  return uri;
}

export const testClient = (): MlflowClient => new MlflowClient({ trackingUri: trackingUri() });

/** A name no other test uses, e.g. `model-3f9a1c2b`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface ReadBackRun {
  status: string;
  run_name: string;
  experiment_id: string;
  artifact_uri: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  artifacts: string[];
}
export interface ReadBackVersion {
  version: string;
  source: string;
  run_id: string;
  status: string;
  tags: Record<string, string>;
}
export interface ReadBack {
  runs: Record<string, ReadBackRun>;
  versions: Record<string, ReadBackVersion[]>;
  predictions: { label: number[]; probability: number[] } | null;
}

/** Runs test/python/read_back.py (MLflow's own Python client) on the suite's server. */
export async function readBack(request: {
  runs?: string[];
  model_names?: string[];
  predict?: { model_uri: string; columns: string[]; data: unknown[][]; numeric: string[] };
}): Promise<ReadBack> {
  const child = spawn(pinnedPython(), [join(__dirname, 'python', 'read_back.py')], {
    env: { ...process.env, MLFLOW_TRACKING_URI: trackingUri() },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify(request));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`read_back.py exited with ${code}:\n${stderr}`);
  return JSON.parse(stdout) as ReadBack;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and captures its output and exit code (a non-zero code is not an error here). */
export async function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd: workspaceRoot,
      env: { ...process.env, MLFLOW_TRACKING_URI: trackingUri(), ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
