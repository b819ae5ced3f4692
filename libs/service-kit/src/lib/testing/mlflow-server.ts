import { join } from 'node:path';

/**
 * The arguments of `python -m mlflow server` for a test's own MLflow: on 127.0.0.1:`port`, its
 * runs in a SQLite file and its artifacts under `dataDir`, one worker (so killing its process group
 * stops it at once), to be started again on the same port and data.
 */
export function ownMlflowServerArgs(port: number, dataDir: string): string[] {
  return [
    '-m',
    'mlflow',
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--backend-store-uri',
    `sqlite:///${join(dataDir, 'mlflow.db')}`,
    '--artifacts-destination',
    join(dataDir, 'artifacts'),
    '--workers',
    '1',
  ];
}
