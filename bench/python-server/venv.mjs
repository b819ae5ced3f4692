// @ts-check
/**
 * Installs the tuned Python server's pinned environment (requirements.txt beside this file, through
 * tools/python-venv.mjs; first run only) and prints its interpreter: `node bench/python-server/venv.mjs`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { pinnedVersion } from '../../tools/mlflow/mlflow.mjs';
import { ensureVenv } from '../../tools/python-venv.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const requirementsFile = join(here, 'requirements.txt');

/**
 * The packages this environment shares with MLflow's (which `mlflow models serve` runs in): both
 * Python references must run the same onnxruntime on the same numpy, or the bench compares versions.
 */
const SHARED_PINS = ['onnxruntime', 'numpy'];
const pins = readFileSync(requirementsFile, 'utf8');
for (const pkg of SHARED_PINS) {
  const ours = new RegExp(`^${pkg}==(\\S+)`, 'm').exec(pins)?.[1];
  const mlflows = pinnedVersion(pkg);
  if (ours !== mlflows)
    throw new Error(`${requirementsFile} pins ${pkg} ${ours ?? '(nothing)'}, tools/mlflow/requirements.txt ${mlflows}`);
}

const { venv } = ensureVenv({ name: 'bench-python-server', requirementsFile });
process.stdout.write(`${join(venv, 'bin', 'python')}\n`);
