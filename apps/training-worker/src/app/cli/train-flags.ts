/**
 * The `train` subcommand's flags, as `nx run training-worker:train` forwards them: `--name=value`
 * (and a bare `--register` for true), through the kit's {@link parseFlags}. Parsed strictly: an
 * unknown flag or a bad value stops the command with a message naming the flag, before any MLflow
 * run exists.
 */
import { isModelName, MODEL_NAME_RULE } from '@churn/mlflow-client';
import { CliFlagError, parseFlags } from '@churn/service-kit';

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

export const TRAIN_USAGE =
  'usage: train [--data=<csv>] [--schema=<json file>] [--seed=42] [--gate-f1=0.5] [--experiment=churn] [--model-name=churn_model] [--register=false]';

/**
 * @throws {CliFlagError} for a positional argument, an unknown or repeated flag, a flag without a
 *   value, a seed that is not an integer in [0, 2^32), a gate outside [0, 1], a register value other
 *   than true/false, or a model name with characters MLflow refuses.
 * @example parseTrainFlags(['--seed=7', '--register=false']) // { seed: 7, gateF1: 0.5, register: false }
 */
export function parseTrainFlags(args: readonly string[]): TrainFlags {
  const { values, switches } = parseFlags(
    {
      command: 'train',
      values: ['data', 'schema', 'seed', 'gate-f1', 'experiment', 'model-name'],
      switches: ['register'],
    },
    args,
  );
  const modelName = values['model-name'];
  if (modelName !== undefined && !isModelName(modelName)) {
    throw new CliFlagError('--model-name', `"${modelName}" is not ${MODEL_NAME_RULE}`);
  }
  return {
    data: values.data,
    schema: values.schema,
    seed: parseSeed(values.seed),
    gateF1: parseGate(values['gate-f1']),
    experiment: values.experiment,
    modelName,
    register: switches.register ?? true,
  };
}

function parseSeed(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SEED;
  const seed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(seed) || seed > MAX_SEED) {
    throw new CliFlagError('--seed', `must be an integer from 0 to ${MAX_SEED}, got "${value}"`);
  }
  return seed;
}

function parseGate(value: string | undefined): number {
  if (value === undefined) return DEFAULT_GATE_F1;
  const gate = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(gate >= 0 && gate <= 1)) throw new CliFlagError('--gate-f1', `must be a number from 0 to 1, got "${value}"`);
  return gate;
}
