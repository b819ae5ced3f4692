// @ts-check
/**
 * Pinned Python environments, installed by the project itself: one virtual environment per
 * requirements file, cached outside the source tree under `~/.cache/churn-mlops/<name>-<hash>`
 * (keyed by the file's hash, so a second run installs nothing and a changed pin gets a fresh one).
 * MLflow and the reference libraries, the manifest validator and the API fuzzer each have their own
 * file, so changing one never reinstalls the others.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** A Python environment that cannot be set up; the message says what to install or set. */
export class PythonSetupError extends Error {
  /** @override */
  name = 'PythonSetupError';
}

/**
 * One pinned environment.
 * @typedef {{ name: string, requirementsFile: string, dirOverride?: string }} VenvSpec
 *   `name` prefixes the cache folder; `dirOverride` (e.g. `$CHURN_VENV_DIR`) replaces the folder.
 */

/** @param {VenvSpec} spec */
export function requirementsHash(spec) {
  return createHash('sha256').update(readFileSync(spec.requirementsFile)).digest('hex');
}

/** @param {VenvSpec} spec the environment's folder */
export function venvPath(spec) {
  if (spec.dirOverride) return resolve(spec.dirOverride);
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheRoot, 'churn-mlops', `${spec.name}-${requirementsHash(spec).slice(0, 12)}`);
}

/** The first Python 3.10+ with venv among `$PYTHON`, `python3`, `python`. */
function findPython() {
  for (const candidate of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    const probe = spawnSync(String(candidate), ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
      encoding: 'utf8',
    });
    if (probe.status !== 0) continue;
    const [major, minor] = probe.stdout.trim().split('.').map(Number);
    if (major < 3 || (major === 3 && minor < 10))
      throw new PythonSetupError(`Python 3.10+ is required; \`${candidate}\` is ${probe.stdout.trim()}.`);
    if (spawnSync(String(candidate), ['-m', 'venv', '--help']).status !== 0)
      throw new PythonSetupError(
        `\`${candidate} -m venv\` is unavailable: install Python's venv and pip (Debian: apt-get install python3-venv python3-pip).`,
      );
    return String(candidate);
  }
  throw new PythonSetupError('Python 3.10+ is required, but no `python3` was found on PATH (set PYTHON to its path).');
}

/** @param {string} command @param {string[]} args */
function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0)
    throw new PythonSetupError(`\`${command} ${args.join(' ')}\` failed with exit code ${result.status}`);
}

/**
 * Installs the pinned requirements once and returns the environment's folder. Safe to call from
 * several processes at once: one installs under a lock folder while the others wait; the marker is
 * written last, so an interrupted install is redone rather than trusted.
 * @param {VenvSpec} spec
 * @param {{ log?: (message: string) => void, waitMs?: number }} [options]
 * @returns {{ venv: string, installed: boolean }}
 */
export function ensureVenv(spec, options = {}) {
  const log = options.log ?? ((message) => process.stderr.write(`[python] ${message}\n`));
  const venv = venvPath(spec);
  const marker = join(venv, '.churn-requirements.sha256');
  const wanted = requirementsHash(spec);
  const current = () => existsSync(marker) && readFileSync(marker, 'utf8').trim() === wanted;
  if (current()) return { venv, installed: false };

  const python = findPython();
  mkdirSync(dirname(venv), { recursive: true });
  const lock = `${venv}.lock`;
  const deadline = Date.now() + (options.waitMs ?? 20 * 60_000);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (current()) return { venv, installed: false };
      if (Date.now() > deadline)
        throw new PythonSetupError(
          `Timed out waiting for another install to release ${lock}; remove it if no install is running.`,
        );
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  try {
    if (current()) return { venv, installed: false };
    rmSync(venv, { recursive: true, force: true });
    log(`installing ${spec.requirementsFile} into ${venv} (first run only)`);
    run(python, ['-m', 'venv', venv]);
    run(join(venv, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '-r',
      spec.requirementsFile,
    ]);
    writeFileSync(marker, `${wanted}\n`);
    return { venv, installed: true };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
