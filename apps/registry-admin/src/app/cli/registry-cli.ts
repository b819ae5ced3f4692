import { userInfo } from 'node:os';

import { NestFactory } from '@nestjs/core';

import { CliModule } from '../app.module';
import { RegistryAdminConfig, validateRegistryAdminConfig } from '../config/registry-admin.config';
import { errorResponseFor } from '../errors/error-response';
import { GateRefusedError, InvalidFieldError } from '../errors/registry-errors';
import { describeVersion } from '../registry/alias-audit.store';
import { AliasMovesService, type MoveResult } from '../registry/alias-moves.service';

export const CLI_COMMANDS = ['promote', 'rollback'] as const;
export type CliCommand = (typeof CLI_COMMANDS)[number];

/** Exit codes: 0 moved; 1 impossible or invalid request, MLflow unavailable; 3 a promotion gate refused. */
export const EXIT = { ok: 0, refused: 1, gate: 3 } as const;

export interface CliOptions {
  modelName?: string;
  alias?: string;
  to?: string;
  force: boolean;
  reason?: string;
}

const VALUE_FLAGS = { 'model-name': 'modelName', alias: 'alias', to: 'to', reason: 'reason' } as const;

/**
 * Parses `--flag=value` arguments as nx run-commands forwards them. `--force` may come bare or as
 * `--force=true|false` (nx writes booleans out). `--name value` is accepted too.
 * @throws {InvalidFieldError} naming an unknown or valueless flag
 */
export function parseCliArguments(command: CliCommand, args: readonly string[]): CliOptions {
  const options: CliOptions = { force: false };
  for (let index = 0; index < args.length; index++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(args[index]);
    if (!match) throw new InvalidFieldError(args[index], 'is not a --flag=value argument');
    const [, flag, inline] = match;
    if (flag === 'force' && command === 'promote') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false')
        throw new InvalidFieldError('--force', 'takes no value (or true/false)');
      options.force = inline !== 'false';
      continue;
    }
    if (!(flag in VALUE_FLAGS)) {
      const known =
        command === 'promote'
          ? '--to, --alias, --model-name, --force, --reason'
          : '--to, --alias, --model-name, --reason';
      throw new InvalidFieldError(`--${flag}`, `is not an option of ${command} (options: ${known})`);
    }
    const value = inline ?? args[++index];
    if (value === undefined || value === '')
      throw new InvalidFieldError(`--${flag}`, 'needs a value, e.g. --' + flag + '=...');
    options[VALUE_FLAGS[flag as keyof typeof VALUE_FLAGS]] = value;
  }
  return options;
}

/** Lines a person reads after a move. */
export function describeMove(command: CliCommand, result: MoveResult): string[] {
  const lines =
    command === 'promote'
      ? [`${result.model}@${result.alias} -> v${result.to_version}`]
      : [`[OK] rollback => ${describeVersion(result.from_version)} -> ${describeVersion(result.to_version)}`];
  if (result.external_record) {
    lines.push(
      `external: ${result.alias} had been moved outside registry-admin (${describeVersion(result.external_record.from_version)} -> ${describeVersion(result.external_record.to_version)}); recorded`,
    );
  }
  for (const gate of result.gates ?? [])
    lines.push(`gate ${gate.gate}: ${gate.passed ? 'passed' : 'FAILED'} (${gate.detail})`);
  if (result.forced) lines.push(`forced: ${result.record.reason}`);
  for (const push of result.pushes)
    lines.push(`push ${push.target}: ${push.ok ? `HTTP ${push.status}` : `FAILED ${push.error}`}`);
  lines.push(`audit record ${result.record.id} (${result.record.outcome})`);
  if (result.audit === 'pending')
    lines.push(
      `audit: the alias moved, but its record is not settled yet (${result.audit_error}); it is written when MLflow lets it, or settled by the next reader`,
    );
  return lines;
}

/**
 * Runs `promote` or `rollback` directly against MLflow with the server's own services (no
 * registry-admin server needed). The actor is REGISTRY_ACTOR, else the operating system user.
 * Prints one line per fact; failures print one `[FAILED] ...` line on stderr, never a stack.
 */
export async function runCli(
  command: CliCommand,
  args: readonly string[],
  environment: Record<string, string | undefined> = process.env,
): Promise<number> {
  let trackingUri = environment['MLFLOW_TRACKING_URI'] ?? '';
  try {
    const config = validateRegistryAdminConfig(environment);
    trackingUri = config.MLFLOW_TRACKING_URI;
    const options = parseCliArguments(command, args);
    const app = await NestFactory.createApplicationContext(CliModule.register(environment), {
      logger: ['error'],
      abortOnError: false,
    });
    try {
      const moves = app.get(AliasMovesService);
      const actor = app.get(RegistryAdminConfig).REGISTRY_ACTOR || userInfo().username;
      const model = options.modelName ?? config.MODEL_NAME;
      const result =
        command === 'promote'
          ? await moves.promote({
              model,
              alias: options.alias,
              to: options.to,
              force: options.force,
              reason: options.reason,
              actor,
            })
          : await moves.rollback({ model, alias: options.alias, to: options.to, reason: options.reason, actor });
      process.stdout.write(`${describeMove(command, result).join('\n')}\n`);
      return EXIT.ok;
    } finally {
      await app.close();
    }
  } catch (error) {
    const mapped = errorResponseFor(error, trackingUri);
    const message = mapped?.message ?? (error instanceof Error ? error.message : String(error));
    process.stderr.write(`[FAILED] ${command}: ${message}\n`);
    return error instanceof GateRefusedError ? EXIT.gate : EXIT.refused;
  }
}
