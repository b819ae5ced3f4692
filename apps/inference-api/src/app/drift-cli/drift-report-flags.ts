/**
 * The `drift-report` subcommand's flags, as `nx run inference-api:drift-report` forwards them
 * (`--name=value`). Parsed strictly: an unknown flag or a bad value stops the command with a message
 * naming the flag, before MLflow is asked anything.
 */

export interface DriftReportFlags {
  data: string;
  modelVersion?: string;
  modelName?: string;
  alias?: string;
  out?: string;
}

/** A flag the command does not know, or a value it cannot take; the message starts with the flag. */
export class DriftReportFlagError extends Error {
  override readonly name = 'DriftReportFlagError';

  constructor(
    readonly flag: string,
    problem: string,
  ) {
    super(`${flag}: ${problem}`);
  }
}

export const DRIFT_REPORT_USAGE =
  'usage: drift-report --data=<csv> [--model-version=<n> | --alias=<MODEL_ALIAS>] [--model-name=<MODEL_NAME>] [--out=<folder>]';

const KNOWN_FLAGS = ['data', 'model-version', 'model-name', 'alias', 'out'] as const;
type KnownFlag = (typeof KNOWN_FLAGS)[number];

/**
 * @throws {DriftReportFlagError} for a positional argument, an unknown, repeated or empty flag, a
 *   missing --data, a version that is not a positive integer, both --model-version and --alias, or a
 *   model name or alias with characters MLflow refuses.
 * @example parseDriftReportFlags(['--data=live.csv', '--model-version=3']) // { data: 'live.csv', modelVersion: '3' }
 */
export function parseDriftReportFlags(args: readonly string[]): DriftReportFlags {
  const given = new Map<KnownFlag, string>();
  for (const arg of args) {
    const match = /^--([A-Za-z][A-Za-z0-9-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (match === null) throw new DriftReportFlagError(arg, `unexpected argument; ${DRIFT_REPORT_USAGE}`);
    const [, name, value] = match;
    if (!(KNOWN_FLAGS as readonly string[]).includes(name))
      throw new DriftReportFlagError(`--${name}`, `unknown flag; ${DRIFT_REPORT_USAGE}`);
    const flag = name as KnownFlag;
    if (given.has(flag)) throw new DriftReportFlagError(`--${flag}`, 'given twice');
    if (value === undefined || value.trim() === '')
      throw new DriftReportFlagError(`--${flag}`, `needs a value: --${flag}=<value>`);
    given.set(flag, value);
  }
  const data = given.get('data');
  if (data === undefined) throw new DriftReportFlagError('--data', `is required; ${DRIFT_REPORT_USAGE}`);
  const modelVersion = given.get('model-version');
  if (modelVersion !== undefined && !/^[1-9][0-9]*$/.test(modelVersion)) {
    throw new DriftReportFlagError('--model-version', `"${modelVersion}" is not a model version number (1, 2, …)`);
  }
  const alias = given.get('alias');
  if (alias !== undefined && modelVersion !== undefined)
    throw new DriftReportFlagError('--alias', 'cannot be combined with --model-version');
  if (alias !== undefined && !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(alias))
    throw new DriftReportFlagError('--alias', `"${alias}" is not an alias name`);
  const modelName = given.get('model-name');
  if (modelName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(modelName)) {
    throw new DriftReportFlagError(
      '--model-name',
      `"${modelName}" is not a registered model name (letters, digits, _ . -)`,
    );
  }
  return { data, modelVersion, modelName, alias, out: given.get('out') };
}
