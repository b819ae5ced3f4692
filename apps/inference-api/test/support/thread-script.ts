/**
 * A worker-thread script that runs inference-api's real thread code from its TypeScript sources
 * (jiti compiles it in the thread), for tests that start the log's threads without the built bundle.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const WORKSPACE = resolve(__dirname, '../../../..');
const PREDICTION_LOG_DIR = join(WORKSPACE, 'apps/inference-api/src/app/prediction-log');

/** The thread entry points of apps/inference-api/src/app/prediction-log, by the module that exports each. */
const THREADS = {
  writer: { module: 'prediction-log-thread.ts', run: 'runPredictionLogThread' },
  report: { module: 'prediction-report-reader.ts', run: 'runPredictionReportThread' },
} as const;

/** Writes `<dir>/<thread>-thread.cjs`, which runs that thread, and returns its path. */
export function writeThreadScript(dir: string, thread: keyof typeof THREADS): string {
  const { module, run } = THREADS[thread];
  const script = join(dir, `${thread}-thread.cjs`);
  const alias = { '@churn/churn-pipeline': join(WORKSPACE, 'libs/churn-pipeline/src/index.ts') };
  writeFileSync(
    script,
    `const { createJiti } = require(${JSON.stringify(join(WORKSPACE, 'node_modules/jiti'))});
const jiti = createJiti(__filename, { alias: ${JSON.stringify(alias)} });
jiti(${JSON.stringify(join(PREDICTION_LOG_DIR, module))}).${run}();
`,
  );
  return script;
}
