/**
 * `main.js migrate-store`: creates the prediction log's tables and indexes, once, as the role that
 * owns them (the deployment's one-shot migration step: compose's `prediction-db-migrate`, the
 * Kubernetes init container). The server then runs as a role that may read and write rows but
 * change no schema, and finds the tables there. Idempotent: a second run changes nothing.
 *
 * Reads INFERENCE_STORE_URL only. Exit codes: 0 migrated, 1 anything else, with one line saying why
 * (the URL's password masked).
 */
import { EXIT, processOutput, type CommandOutput } from '@churn/service-kit';

import { parsePredictionStoreUrl } from '../config/prediction-store-url';
import { openPredictionStore } from './open-prediction-store';

export async function runMigrateStoreCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: CommandOutput = processOutput,
): Promise<number> {
  if (args.length > 0) {
    output.stderr(`migrate-store takes no arguments (got ${args.join(' ')}); it reads INFERENCE_STORE_URL`);
    return EXIT.failed;
  }
  const url = env['INFERENCE_STORE_URL'];
  if (!url) {
    output.stderr('migrate-store: INFERENCE_STORE_URL must name the store to migrate, as its owner role');
    return EXIT.failed;
  }
  try {
    parsePredictionStoreUrl(url);
  } catch (error) {
    output.stderr(`migrate-store: INFERENCE_STORE_URL ${(error as Error).message}`);
    return EXIT.failed;
  }
  const store = openPredictionStore(url);
  try {
    await store.migrate();
    output.stdout(`[OK] prediction log schema ready in ${store.description}`);
    return EXIT.ok;
  } catch (error) {
    output.stderr(`migrate-store: ${store.description}: ${(error as Error).message}`);
    return EXIT.failed;
  } finally {
    await store.close().catch(() => undefined);
  }
}
