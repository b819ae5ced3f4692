// What the deployment tests share about docker/: the apps and their ports, the settings each app's
// config declares, the Dockerfiles' instructions, env files, and the secret generator's output.
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import * as ts from 'typescript';

import { workspaceRoot } from './processes';

export const APPS = ['inference-api', 'registry-admin', 'training-worker'] as const;
export type App = (typeof APPS)[number];
/** Each app's (public) listener. */
export const APP_PORTS: Record<App, number> = {
  'inference-api': 8000,
  'registry-admin': 8001,
  'training-worker': 8002,
};
/** inference-api's internal listener (admin reload, webhooks, metrics, business reads). */
export const INTERNAL_PORT = 9000;
export const DOCKER_DIR = join(workspaceRoot, 'docker');
export const K8S_DIR = join(DOCKER_DIR, 'k8s');
/** Read by @churn/mlflow-client straight from the environment (MLflow's own names), not by the app configs. */
export const MLFLOW_CLIENT_VARIABLES = ['MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD'];
/** Settings whose values are credentials: never in a ConfigMap, never with a working default. */
export const isSecretSetting = (name: string) => /TOKEN|SECRET|PASSWORD|_KEY$/.test(name);

/**
 * Every setting an app's config class declares: the property names of `export class ...Config`,
 * and of the classes it extends (followed through relative imports and the workspace's `@churn/*`
 * libraries, e.g. the service kit's shared settings).
 */
export function declaredSettings(app: App): string[] {
  const names = classSettings(join(workspaceRoot, `apps/${app}/src/app/config/${app}.config.ts`), (name) =>
    name.endsWith('Config'),
  );
  if (names.length === 0) throw new Error(`apps/${app}: its config class declares no settings`);
  return names;
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

/** The file an import specifier names: a relative path, or a workspace library by tsconfig.base.json's paths. */
function resolveModule(fromFile: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) {
    const base = join(dirname(fromFile), specifier);
    return existsSync(`${base}.ts`) ? `${base}.ts` : join(base, 'index.ts');
  }
  const paths: Record<string, string[]> = JSON.parse(readFileSync(join(workspaceRoot, 'tsconfig.base.json'), 'utf8'))
    .compilerOptions.paths;
  const target = paths[specifier]?.[0];
  return target ? join(workspaceRoot, target) : undefined;
}

/** The file that declares `className`, starting from `file` and following its re-exports. */
function declaringFile(file: string, className: string): string | undefined {
  const source = parse(file);
  let found: string | undefined;
  source.forEachChild((node) => {
    if (found) return;
    if (ts.isClassDeclaration(node) && node.name?.text === className) found = file;
    if (!ts.isExportDeclaration(node) || !node.moduleSpecifier || !ts.isStringLiteral(node.moduleSpecifier)) return;
    const clause = node.exportClause;
    const exportsIt =
      !clause || (ts.isNamedExports(clause) && clause.elements.some((element) => element.name.text === className));
    const target = resolveModule(file, node.moduleSpecifier.text);
    if (exportsIt && target) found = declaringFile(target, className);
  });
  return found;
}

function classSettings(file: string, isWanted: (className: string) => boolean): string[] {
  const source = parse(file);
  const imports = new Map<string, string>();
  source.forEachChild((node) => {
    if (!ts.isImportDeclaration(node) || !ts.isStringLiteral(node.moduleSpecifier)) return;
    const bindings = node.importClause?.namedBindings;
    const target = resolveModule(file, node.moduleSpecifier.text);
    if (target && bindings && ts.isNamedImports(bindings))
      for (const element of bindings.elements) imports.set(element.name.text, target);
  });
  const names: string[] = [];
  source.forEachChild((node) => {
    if (!ts.isClassDeclaration(node) || !node.name || !isWanted(node.name.text)) return;
    for (const member of node.members)
      if (ts.isPropertyDeclaration(member) && ts.isIdentifier(member.name)) names.push(member.name.text);
    for (const clause of node.heritageClauses ?? [])
      for (const type of clause.types) {
        const base = type.expression.getText(source);
        const module = imports.get(base);
        const baseFile = module && declaringFile(module, base);
        if (!baseFile)
          throw new Error(
            `${file}: ${node.name.text} extends ${base}, whose declaration is not found from its imports`,
          );
        names.push(...classSettings(baseFile, (name) => name === base));
      }
  });
  return names;
}

/** A run's output, and a failure message that shows it. */
export function describeRun(command: string, result: SpawnSyncReturns<string>): string {
  return `\`${command}\` exited with ${result.status ?? result.signal ?? result.error?.message}:\n${result.stdout ?? ''}${result.stderr ?? ''}`;
}

/** A Dockerfile's instructions, continuation lines joined and comments dropped, with their stage index. */
export function dockerfileInstructions(file: string): { keyword: string; args: string; stage: number }[] {
  const instructions: { keyword: string; args: string; stage: number }[] = [];
  let pending = '';
  let stage = -1;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || trimmed === '') continue;
    pending += ` ${trimmed.replace(/\\$/, '')}`;
    if (trimmed.endsWith('\\')) continue;
    const [, keyword, args] = pending.trim().match(/^(\S+)\s*(.*)$/) ?? [];
    pending = '';
    if (keyword.toUpperCase() === 'FROM') stage += 1;
    instructions.push({ keyword: keyword.toUpperCase(), args, stage });
  }
  return instructions;
}

/** `KEY=value` lines of an env file (compose's --env-file, kustomize's envs), comments and blanks skipped. */
export function envFileEntries(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * Fresh secrets from tools/deploy/generate-secrets.mjs, run as an operator runs it: the compose
 * variables, or the Kubernetes Secrets' env files by Secret name.
 */
export function generatedSecrets(mode: '--compose'): Record<string, string>;
export function generatedSecrets(mode: '--kubernetes', examplesDir: string): Record<string, Record<string, string>>;
export function generatedSecrets(mode: '--compose' | '--kubernetes', examplesDir?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'churn-secrets-'));
  try {
    const target = mode === '--compose' ? join(dir, 'compose.env') : (examplesDir as string);
    const result = spawnSync(
      process.execPath,
      [join(workspaceRoot, 'tools/deploy/generate-secrets.mjs'), mode, target],
      {
        encoding: 'utf8',
      },
    );
    if (result.status !== 0) throw new Error(describeRun(`generate-secrets.mjs ${mode}`, result));
    if (mode === '--compose') return envFileEntries(readFileSync(target, 'utf8'));
    return Object.fromEntries(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => line.replace(/^wrote /, ''))
        .map((file) => [
          file
            .split('/')
            .pop()
            ?.replace(/\.env$/, ''),
          envFileEntries(readFileSync(file, 'utf8')),
        ]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Tokens inside an API_TOKENS value (`name:role+role:token`, comma-separated). */
export function apiTokenEntries(value: string): { name: string; roles: string[]; token: string }[] {
  return value.split(',').map((entry) => {
    const [name, roles, ...rest] = entry.split(':');
    return { name, roles: roles.split('+'), token: rest.join(':') };
  });
}
