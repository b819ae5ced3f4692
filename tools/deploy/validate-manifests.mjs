#!/usr/bin/env node
// @ts-check
/**
 * Validates the Kubernetes manifests against the Kubernetes API's own schemas, offline, with no
 * cluster and no container engine: `kubernetes-validate` (PyPI) carries the schemas of every
 * Kubernetes release.
 *
 *   node tools/deploy/validate-manifests.mjs [--kubernetes-version 1.31] [manifest folder]
 *
 * The folder (default docker/k8s) must hold a kustomization.yaml; the files it lists under
 * `resources` are validated (kustomization.yaml itself is kustomize's input, not an API object).
 * Unknown fields are errors (`--strict`): a misspelt field would otherwise be dropped silently by
 * the API server.
 *
 * The validator is installed once into its own virtual environment,
 * `~/.cache/churn-mlops/deploy-venv-<hash of tools/deploy/requirements.txt>`; later runs install
 * nothing. Exit code: 0 when every resource is valid, 1 otherwise, 2 for a setup problem.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parse } from 'yaml';

import { ensureVenv, PythonSetupError } from '../python-venv.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const workspaceRoot = resolve(here, '../..');
const requirementsFile = join(here, 'requirements.txt');

/** The Kubernetes release the manifests target: the oldest minor version still widely run. */
export const DEFAULT_KUBERNETES_VERSION = '1.31';

export class DeploySetupError extends Error {
  name = 'DeploySetupError';
}

function log(message) {
  process.stderr.write(`[validate-manifests] ${message}\n`);
}

/** The validator's virtual environment, keyed by the pins so a changed pin gets a fresh one. */
const validatorVenv = () => ({ name: 'deploy-venv', requirementsFile });

/**
 * Installs the pinned validator once (safe from several processes at once).
 * @returns {string} the `kubernetes-validate` executable
 */
export function ensureValidatorInstalled() {
  try {
    return join(ensureVenv(validatorVenv(), { log, waitMs: 10 * 60_000 }).venv, 'bin', 'kubernetes-validate');
  } catch (error) {
    if (error instanceof PythonSetupError) throw new DeploySetupError(error.message);
    throw error;
  }
}

/** The manifest files a kustomization lists, as absolute paths; each must exist. */
export function kustomizationResources(folder) {
  const kustomizationFile = join(folder, 'kustomization.yaml');
  if (!existsSync(kustomizationFile)) throw new DeploySetupError(`${kustomizationFile} does not exist`);
  const kustomization = parse(readFileSync(kustomizationFile, 'utf8'));
  const resources = kustomization?.resources;
  if (!Array.isArray(resources) || resources.length === 0)
    throw new DeploySetupError(`${kustomizationFile} lists no resources`);
  return resources.map((resource) => {
    const file = resolve(folder, String(resource));
    if (!existsSync(file)) throw new DeploySetupError(`${kustomizationFile} lists ${resource}, which does not exist`);
    return file;
  });
}

function parseArguments(argv) {
  let kubernetesVersion = DEFAULT_KUBERNETES_VERSION;
  let folder = join(workspaceRoot, 'docker/k8s');
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === '--kubernetes-version') kubernetesVersion = argv[++i] ?? '';
    else if (argument.startsWith('--kubernetes-version='))
      kubernetesVersion = argument.slice('--kubernetes-version='.length);
    else if (argument.startsWith('-'))
      throw new DeploySetupError(`unknown option ${argument} (use --kubernetes-version X.Y and a folder)`);
    else folder = resolve(argument);
  }
  if (!/^\d+\.\d+(\.\d+)?$/.test(kubernetesVersion))
    throw new DeploySetupError(`--kubernetes-version must look like 1.31 (got "${kubernetesVersion}")`);
  return { kubernetesVersion, folder };
}

function main() {
  try {
    const { kubernetesVersion, folder } = parseArguments(process.argv.slice(2));
    const files = kustomizationResources(folder);
    const validator = ensureValidatorInstalled();
    const result = spawnSync(validator, ['--kubernetes-version', kubernetesVersion, '--strict', ...files], {
      stdio: 'inherit',
    });
    if (result.status === 0) log(`${files.length} files valid against Kubernetes ${kubernetesVersion}`);
    process.exit(result.status === 0 ? 0 : 1);
  } catch (error) {
    if (!(error instanceof DeploySetupError)) throw error;
    process.stderr.write(`validate-manifests: ${error.message}\n`);
    process.exit(2);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
