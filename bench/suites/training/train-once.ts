/**
 * One measured training run in a process of its own, so that its peak memory is the run's alone:
 * `node --require bench/support/register-typescript.cjs train-once.ts <csv> <seed>`.
 *
 * Timed: `trainChurnModel` from the CSV path to the test metrics (load → split → preprocess → fit →
 * evaluate), i.e. everything the training worker does before it talks to MLflow. Prints one JSON
 * object on stdout.
 */
import { readFileSync } from 'node:fs';

import { trainChurnModel } from '@churn/churn-pipeline';

/** Peak resident set size in bytes from the kernel (VmHWM), which `maxRSS` reports in KiB. */
function peakResidentBytes(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

async function main(): Promise<void> {
  const [csvPath, seedText] = process.argv.slice(2);
  const residentBeforeBytes = peakResidentBytes();
  const started = performance.now();
  const trained = await trainChurnModel({ csvPath, seed: Number(seedText ?? 42) });
  const totalMs = performance.now() - started;
  process.stdout.write(
    `${JSON.stringify({
      totalMs,
      stageMs: trained.timings,
      rows: trained.data.rows,
      trainRows: trained.data.trainRows,
      features: trained.featureNames.length,
      iterations: trained.fit.iterations,
      converged: trained.fit.converged,
      f1: trained.metrics.f1,
      rocAuc: trained.metrics.rocAuc,
      peakResidentBytes: peakResidentBytes(),
      residentBeforeBytes,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
