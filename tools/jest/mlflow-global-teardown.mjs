// Stops the test MLflow server (its whole process group) and removes its temporary folder.
import { rmSync } from 'node:fs';

export default async function mlflowGlobalTeardown() {
  const server = globalThis.__CHURN_MLFLOW_SERVER__;
  if (!server) return;
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
}
