/**
 * Runs a committed Python script of this folder with the project's pinned interpreter, JSON in and
 * out. The script's stderr (MLflow's warnings) is kept out of the test log unless the script fails.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function runPythonScript<T>(script: string, input: unknown): T {
  const python = process.env.CHURN_PYTHON;
  if (python === undefined || python === '') {
    throw new Error(
      'CHURN_PYTHON is not set; run these tests through libs/churn-pipeline/jest.config.cjs, whose global setup installs the pinned venv',
    );
  }
  const result = spawnSync(python, [join(__dirname, script)], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
  });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`${script} failed (exit ${result.status}): ${result.error?.message ?? ''}\n${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}
