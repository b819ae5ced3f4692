/**
 * Writes the synthetic CSV that the training benchmark then trains on (not timed as training):
 * `write-synthetic.ts <out.csv> <rows> <seed>`. Prints one JSON object with the time it took.
 */
import { statSync } from 'node:fs';

import { writeSyntheticChurnCsv } from '@churn/churn-pipeline';

async function main(): Promise<void> {
  const [outPath, rowsText, seedText] = process.argv.slice(2);
  const started = performance.now();
  await writeSyntheticChurnCsv(outPath, { rows: Number(rowsText), seed: Number(seedText) });
  process.stdout.write(`${JSON.stringify({ writeMs: performance.now() - started, bytes: statSync(outPath).size })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
