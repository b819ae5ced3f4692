// Stops the test MLflow server (its whole process group) and removes its temporary folder. A test
// that restarted the server records the new pid in MLFLOW_TEST_SERVER_PID's file (see restart in
// tools/testing/mlflow-server.ts), so the pid is read back from there as well.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcessGroup } from '../mlflow/mlflow.mjs';

export default async function mlflowGlobalTeardown() {
  const server = globalThis.__CHURN_MLFLOW_SERVER__;
  if (!server) return;
  await server.stop();
  const restartedPidFile = join(server.dataDir, 'restarted.pid');
  if (existsSync(restartedPidFile)) await stopProcessGroup(Number(readFileSync(restartedPidFile, 'utf8')));
  rmSync(server.dataDir, { recursive: true, force: true });
}
