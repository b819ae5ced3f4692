import { userInfo } from 'node:os';

import { NestFactory } from '@nestjs/core';

import {
  CliFlagError,
  EXIT,
  parseFlags,
  problemAnswerFor,
  processOutput,
  type CommandOutput,
} from '@churn/service-kit';

import { CliModule, REGISTRY_ADMIN } from '../app.module';
import { RegistryAdminConfig, validateRegistryAdminConfig } from '../config/registry-admin.config';
import { GateRefusedError } from '../errors/registry-errors';
import { describeVersion } from '../registry/alias-audit.store';
import { AliasMovesService, type MoveResult } from '../registry/alias-moves.service';

export type CliCommand = 'promote' | 'rollback';

export interface CliOptions {
  modelName?: string;
  alias?: string;
  to?: string;
  force: boolean;
  reason?: string;
}

/**
 * Parses the flags as nx run-commands forwards them (the kit's {@link parseFlags}); `--force` is
 * promote's only switch.
 * @throws {CliFlagError} naming an unknown, repeated or valueless flag
 */
export function parseCliArguments(command: CliCommand, args: readonly string[]): CliOptions {
  const { values, switches } = parseFlags(
    {
      command,
      values: ['to', 'alias', 'model-name', 'reason'],
      switches: command === 'promote' ? ['force'] : [],
    },
    args,
  );
  const options: CliOptions = { force: switches.force ?? false };
  if (values.to !== undefined) options.to = values.to;
  if (values.alias !== undefined) options.alias = values.alias;
  if (values['model-name'] !== undefined) options.modelName = values['model-name'];
  if (values.reason !== undefined) options.reason = values.reason;
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
 * Prints one line per fact; failures print one `[FAILED] ...` line on stderr, with the sentence the
 * REST answer would carry, never a stack. Exit codes are the kit's {@link EXIT}.
 */
export async function runCli(
  command: CliCommand,
  args: readonly string[],
  environment: Record<string, string | undefined> = process.env,
  output: CommandOutput = processOutput,
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
      for (const line of describeMove(command, result)) output.stdout(line);
      return EXIT.ok;
    } finally {
      await app.close();
    }
  } catch (error) {
    const answer =
      error instanceof CliFlagError
        ? undefined
        : problemAnswerFor(error, {
            service: REGISTRY_ADMIN.name,
            trackingUri,
            unavailableAdvice: REGISTRY_ADMIN.unavailableAdvice,
          });
    output.stderr(
      `[FAILED] ${command}: ${answer?.problem.detail ?? (error instanceof Error ? error.message : String(error))}`,
    );
    return error instanceof GateRefusedError ? EXIT.gateRefused : EXIT.failed;
  }
}
