/** Runs a committed Python script of this folder with the project's pinned interpreter, JSON in and out. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function runPythonScript<T>(script: string, input: unknown): T {
  const python = process.env.CHURN_PYTHON;
  if (python === undefined || python === '') {
    throw new Error('CHURN_PYTHON is not set; run these tests through libs/churn-pipeline/jest.config.cjs, whose global setup installs the pinned venv');
  }
  const stdout = execFileSync(python, [join(__dirname, script)], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONWARNINGS: 'ignore', MLFLOW_TRACKING_URI: '' },
  });
  return JSON.parse(stdout) as T;
}
