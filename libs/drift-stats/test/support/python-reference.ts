import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Runs a committed generator in test/reference (generate_reference.py unless another is named) with
 * the pinned Python (CHURN_PYTHON, set by the Jest global setup) and returns its JSON: every input
 * together with the value scipy/numpy/sklearn/statsmodels compute for it.
 */
export function loadPythonReference<T>(scriptName = 'generate_reference.py'): T {
  const python = process.env.CHURN_PYTHON;
  if (!python) {
    throw new Error(
      'CHURN_PYTHON is not set: run these tests through libs/drift-stats/jest.config.cjs (its global setup installs the pinned Python)',
    );
  }
  const script = path.join(__dirname, '..', 'reference', scriptName);
  const stdout = execFileSync(python, [script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as T;
}
