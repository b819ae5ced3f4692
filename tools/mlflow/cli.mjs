// @ts-check
/**
 * Command line for the project's MLflow server (also the `mlflow` Nx project's targets):
 *   node tools/mlflow/cli.mjs install            install the pinned mlflow into the cached venv
 *   node tools/mlflow/cli.mjs serve              run in the foreground until Ctrl-C
 *   node tools/mlflow/cli.mjs start | stop       run in the background (pid file) / stop it
 *   node tools/mlflow/cli.mjs status             print whether it answers /health
 * Settings: MLFLOW_PORT (5000), MLFLOW_HOST (127.0.0.1), MLFLOW_DATA_DIR (.data/mlflow).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import {
  ensureMlflowInstalled,
  MlflowSetupError,
  pinnedVersion,
  startMlflowServer,
  stopProcessGroup,
  workspaceRoot,
} from './mlflow.mjs';

const port = Number(process.env.MLFLOW_PORT ?? 5000);
const host = process.env.MLFLOW_HOST ?? '127.0.0.1';
const dataDir = resolve(workspaceRoot, process.env.MLFLOW_DATA_DIR ?? '.data/mlflow');
const pidFile = join(dataDir, 'mlflow.pid');

function readPid() {
  return existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
}

async function main(command) {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MlflowSetupError(`MLFLOW_PORT must be a port number (1-65535), got "${process.env.MLFLOW_PORT}"`);
  }
  switch (command) {
    case 'install': {
      const { venv, installed } = ensureMlflowInstalled();
      console.log(`mlflow ${pinnedVersion('mlflow')} ${installed ? 'installed' : 'already installed'} in ${venv}`);
      return;
    }
    case 'serve': {
      const server = await startMlflowServer({ host, port, dataDir });
      console.log(`MLflow ${pinnedVersion('mlflow')} ready at ${server.url} (data in ${dataDir}; Ctrl-C stops it)`);
      const stop = async () => {
        await server.stop();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // Runs until a signal stops it.
      await new Promise(() => undefined);
      return;
    }
    case 'start': {
      const running = readPid();
      if (running && isAlive(running)) {
        console.log(`MLflow already running (pid ${running})`);
        return;
      }
      const server = await startMlflowServer({ host, port, dataDir });
      writeFileSync(pidFile, `${server.pid}\n`);
      console.log(
        `MLflow ${pinnedVersion('mlflow')} ready at ${server.url} (pid ${server.pid}; stop with: node tools/mlflow/cli.mjs stop)`,
      );
      process.exit(0);
      return;
    }
    case 'stop': {
      const pid = readPid();
      if (!pid || !isAlive(pid)) {
        console.log('MLflow is not running');
      } else {
        await stopProcessGroup(pid);
        console.log(`MLflow stopped (pid ${pid})`);
      }
      rmSync(pidFile, { force: true });
      return;
    }
    case 'status': {
      const url = `http://${host}:${port}/health`;
      try {
        const response = await fetch(url);
        console.log(`${url}: ${response.status} ${await response.text()}`);
        process.exitCode = response.ok ? 0 : 1;
      } catch (error) {
        console.log(`${url}: not answering (${/** @type {Error} */ (error).message})`);
        process.exitCode = 1;
      }
      return;
    }
    default:
      throw new MlflowSetupError(`unknown command "${command ?? ''}": use install, serve, start, stop or status`);
  }
}

function isAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

main(process.argv[2]).catch((error) => {
  console.error(error instanceof MlflowSetupError ? `error: ${error.message}` : error);
  process.exit(1);
});
