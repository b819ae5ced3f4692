// Jest global setup for suites that need MLflow: a real `mlflow server` from the pinned venv, on a
// free port, with its data in a fresh temporary folder, so tests never touch development data and
// two runs never collide. The workers read MLFLOW_TRACKING_URI; tests that stop and restart the
// server (by pid) read MLFLOW_TEST_SERVER_PID / MLFLOW_TEST_DATA_DIR / MLFLOW_TEST_PORT.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, startMlflowServer, venvBin } from '../mlflow/mlflow.mjs';
import { detachFromOuterNxRun } from './outer-nx.mjs';

export default async function mlflowGlobalSetup() {
  detachFromOuterNxRun();
  const dataDir = mkdtempSync(join(tmpdir(), 'churn-mlflow-test-'));
  const port = await freePort();
  const server = await startMlflowServer({ port, dataDir, stopWithPid: process.pid });
  globalThis.__CHURN_MLFLOW_SERVER__ = server;
  process.env.CHURN_PYTHON = venvBin('python');
  process.env.MLFLOW_TRACKING_URI = server.url;
  process.env.MLFLOW_TEST_SERVER_PID = String(server.pid);
  process.env.MLFLOW_TEST_DATA_DIR = dataDir;
  process.env.MLFLOW_TEST_PORT = String(port);
  delete process.env.MLFLOW_TRACKING_USERNAME;
  delete process.env.MLFLOW_TRACKING_PASSWORD;
  delete process.env.MLFLOW_TRACKING_TOKEN;
}
