// @ts-check
/**
 * Installs the tuned Python server's pinned environment (requirements.txt beside this file, through
 * tools/python-venv.mjs; first run only) and prints its interpreter: `node bench/python-server/venv.mjs`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureVenv } from '../../tools/python-venv.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { venv } = ensureVenv({ name: 'bench-python-server', requirementsFile: join(here, 'requirements.txt') });
process.stdout.write(`${join(venv, 'bin', 'python')}\n`);
