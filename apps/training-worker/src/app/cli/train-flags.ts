/**
 * The `train` subcommand's flags, as `nx run training-worker:train` forwards them: `--name=value`
 * (and a bare `--register` for true). Parsed strictly: an unknown flag or a bad value stops the
 * command with a message naming the flag, before any MLflow run exists.
 */
import { DEFAULT_GATE_F1, DEFAULT_SEED, MAX_SEED } from '../training/training-request';

export interface TrainFlags {
  data?: string;
  schema?: string;
  seed: number;
  gateF1: number;
  experiment?: string;
  modelName?: string;
  register: boolean;
}

/** A flag the command does not know, or a value it cannot take; the message starts with the flag. */
export class TrainFlagError extends Error {
  override readonly name = 'TrainFlagError';

  constructor(
    readonly flag: string,
    problem: string,
  ) {
    super(`${flag}: ${problem}`);
  }
}

export const TRAIN_USAGE =
  'usage: train [--data=<csv>] [--schema=<json file>] [--seed=42] [--gate-f1=0.5] [--experiment=churn] [--model-name=churn_model] [--register=false]';

const KNOWN_FLAGS = ['data', 'schema', 'seed', 'gate-f1', 'experiment', 'model-name', 'register'] as const;
type KnownFlag = (typeof KNOWN_FLAGS)[number];

/**
 * @throws {TrainFlagError} for a positional argument, an unknown or repeated flag, a flag without a
 *   value, a seed that is not an integer in [0, 2^32), a gate outside [0, 1], a register value other
 *   than true/false, or a model name with characters MLflow refuses.
 * @example parseTrainFlags(['--seed=7', '--register=false']) // { seed: 7, gateF1: 0.5, register: false }
 */
export function parseTrainFlags(args: readonly string[]): TrainFlags {
  const given = new Map<KnownFlag, string>();
  for (const arg of args) {
    const match = /^--([A-Za-z][A-Za-z0-9-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (match === null) throw new TrainFlagError(arg, `unexpected argument; ${TRAIN_USAGE}`);
    const [, name, value] = match;
    if (!(KNOWN_FLAGS as readonly string[]).includes(name)) {
      throw new TrainFlagError(`--${name}`, `unknown flag; ${TRAIN_USAGE}`);
    }
    const flag = name as KnownFlag;
    if (given.has(flag)) throw new TrainFlagError(`--${flag}`, 'given twice');
    if (value === undefined && flag !== 'register')
      throw new TrainFlagError(`--${flag}`, `needs a value: --${flag}=<value>`);
    given.set(flag, value ?? 'true');
  }

  const text = (flag: KnownFlag): string | undefined => {
    const value = given.get(flag);
    if (value !== undefined && value.trim() === '') throw new TrainFlagError(`--${flag}`, 'is empty');
    return value;
  };
  const modelName = text('model-name');
  if (modelName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(modelName)) {
    throw new TrainFlagError('--model-name', `"${modelName}" is not a registered model name (letters, digits, _ . -)`);
  }
  return {
    data: text('data'),
    schema: text('schema'),
    seed: parseSeed(text('seed')),
    gateF1: parseGate(text('gate-f1')),
    experiment: text('experiment'),
    modelName,
    register: parseBoolean(text('register')),
  };
}

function parseSeed(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SEED;
  const seed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(seed) || seed > MAX_SEED) {
    throw new TrainFlagError('--seed', `must be an integer from 0 to ${MAX_SEED}, got "${value}"`);
  }
  return seed;
}

function parseGate(value: string | undefined): number {
  if (value === undefined) return DEFAULT_GATE_F1;
  const gate = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(gate >= 0 && gate <= 1)) throw new TrainFlagError('--gate-f1', `must be a number from 0 to 1, got "${value}"`);
  return gate;
}

function parseBoolean(value: string | undefined): boolean {
  if (value === undefined || value === 'true') return true;
  if (value === 'false') return false;
  throw new TrainFlagError('--register', `must be true or false, got "${value}"`);
}
