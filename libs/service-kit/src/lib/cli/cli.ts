/**
 * The command line's shared parts: exit codes, where lines go, and `--flag=value` parsing as
 * `nx run-commands` forwards arguments (it writes booleans out as `--flag=true|false`).
 */
import { redactCredentials } from '../http/redact';

/** Exit codes of every command: 0 done; 1 refused, invalid or failed (MLflow unavailable included); 3 a quality or promotion gate refused. */
export const EXIT = { ok: 0, failed: 1, gateRefused: 3 } as const;

/** Where a command writes, one line per call; the process streams by default, tests buffer. */
export interface CommandOutput {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export const processOutput: CommandOutput = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${redactCredentials(line)}\n`),
};

/** A flag the command does not know, or a value it cannot take; the message starts with the flag. */
export class CliFlagError extends Error {
  override readonly name = 'CliFlagError';

  constructor(
    readonly flag: string,
    problem: string,
  ) {
    super(`${flag}: ${problem}`);
  }
}

/** The flags a command takes: value flags need a value, switches take none or true/false. */
export interface FlagSpec<V extends string, S extends string> {
  command: string;
  values: readonly V[];
  switches?: readonly S[];
}

export interface ParsedFlags<V extends string, S extends string> {
  values: Partial<Record<V, string>>;
  switches: Partial<Record<S, boolean>>;
}

/**
 * Parses `--flag=value` and `--flag value` arguments, and switches bare or as `--switch=true|false`.
 * @throws {CliFlagError} for a positional argument, an unknown or repeated flag, a value flag
 *   without a non-blank value, or a switch with a value other than true/false
 * @example parseFlags({ command: 'train', values: ['seed'], switches: ['register'] }, ['--seed=7', '--register=false'])
 *   // { values: { seed: '7' }, switches: { register: false } }
 */
export function parseFlags<V extends string, S extends string = never>(
  spec: FlagSpec<V, S>,
  args: readonly string[],
): ParsedFlags<V, S> {
  const switches: readonly string[] = spec.switches ?? [];
  const usage = `options of ${spec.command}: ${[...spec.values, ...switches].map((flag) => `--${flag}`).join(', ')}`;
  const parsed: ParsedFlags<V, S> = { values: {}, switches: {} };
  const seen = new Set<string>();
  for (let index = 0; index < args.length; index++) {
    const match = /^--([A-Za-z][A-Za-z0-9-]*)(?:=([\s\S]*))?$/.exec(args[index]);
    if (match === null) throw new CliFlagError(args[index], `unexpected argument, not a --flag=value (${usage})`);
    const [, name, inline] = match;
    if (seen.has(name)) throw new CliFlagError(`--${name}`, 'given twice');
    seen.add(name);
    if (switches.includes(name)) {
      if (inline !== undefined && inline !== 'true' && inline !== 'false')
        throw new CliFlagError(`--${name}`, `must be true or false, got "${inline}"`);
      parsed.switches[name as S] = inline !== 'false';
      continue;
    }
    if (!(spec.values as readonly string[]).includes(name))
      throw new CliFlagError(`--${name}`, `unknown flag (${usage})`);
    const value = inline ?? (args[index + 1]?.startsWith('--') === false ? args[++index] : undefined);
    if (value === undefined) throw new CliFlagError(`--${name}`, `needs a value: --${name}=<value>`);
    if (value.trim() === '') throw new CliFlagError(`--${name}`, 'is empty');
    parsed.values[name as V] = value;
  }
  return parsed;
}
