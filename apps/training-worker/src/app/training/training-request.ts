/**
 * What one training run is asked to do, shared by the CLI flags and the `POST /jobs` body (the same
 * names, DESIGN.md's wiring table), and the checks both apply before any MLflow run is created.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

import { ChurnPipelineError, defaultChurnSchema, validateSchema, type FeatureSchema } from '@churn/churn-pipeline';

export const DEFAULT_SEED = 42;
export const DEFAULT_GATE_F1 = 0.5;
/** Seeds the split and the synthetic generator take: an integer in [0, 2^32). */
export const MAX_SEED = 2 ** 32 - 1;

/** A training request with every default filled in and every path resolved. */
export interface TrainingRequest {
  /** Absolute CSV path, or undefined for seeded synthetic data. */
  dataPath?: string;
  /** Synthetic rows generated when there is no data path. */
  syntheticRows: number;
  /** The schema trained with (the default merged with any override). */
  schema: FeatureSchema;
  /** Where the schema came from: `default`, `inline`, or the file's absolute path. */
  schemaSource: string;
  seed: number;
  gateF1: number;
  experiment: string;
  modelName: string;
  register: boolean;
  /** Who asked: the OS user for the CLI, the token's name for REST jobs. */
  user: string;
  /** Recorded as `mlflow.source.name`, e.g. `training-worker train` or `training-worker POST /jobs`. */
  sourceName: string;
}

/** A request that cannot run; `field` is the flag or JSON field at fault (`data`, `schema`, `seed`, …). */
export class TrainingRequestError extends Error {
  override readonly name = 'TrainingRequestError';

  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/**
 * The schema to train with: the default when nothing is given; otherwise the given JSON (from a
 * file path, relative to `baseDir`, or an inline object) laid over the default, so an override may
 * name only the fields it changes.
 *
 * @throws {TrainingRequestError} naming `schema` when the file cannot be read or parsed, or the
 *   merged schema is invalid (the schema validator's message follows).
 */
export async function resolveSchema(
  schema: string | Record<string, unknown> | undefined,
  baseDir: string,
): Promise<{ schema: FeatureSchema; source: string }> {
  if (schema === undefined) return { schema: defaultChurnSchema(), source: 'default' };
  let override: unknown = schema;
  let source = 'inline';
  if (typeof schema === 'string') {
    source = resolve(baseDir, schema);
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw new TrainingRequestError(
        'schema',
        `cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    try {
      override = JSON.parse(text);
    } catch (error) {
      throw new TrainingRequestError('schema', `${source} is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (typeof override !== 'object' || override === null || Array.isArray(override)) {
    throw new TrainingRequestError(
      'schema',
      'must be a JSON object with target, positiveLabel, identifiers, numeric, categorical',
    );
  }
  try {
    return { schema: validateSchema({ ...defaultChurnSchema(), ...override }), source };
  } catch (error) {
    if (error instanceof ChurnPipelineError) throw new TrainingRequestError('schema', error.message);
    throw error;
  }
}

/**
 * The absolute path of a data file, checked to be a readable file now, so a typo fails before any
 * MLflow run exists.
 * @throws {TrainingRequestError} naming `data`
 */
export async function resolveDataPath(data: string, baseDir: string): Promise<string> {
  const path = resolve(baseDir, data);
  try {
    if (!(await stat(path)).isFile()) throw new TrainingRequestError('data', `${path} is not a file`);
  } catch (error) {
    if (error instanceof TrainingRequestError) throw error;
    throw new TrainingRequestError(
      'data',
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return path;
}

/** The value of the `data` param: the CSV path, or `synthetic:<seed>:<rows>`. */
export function describeData(request: Pick<TrainingRequest, 'dataPath' | 'seed' | 'syntheticRows'>): string {
  return request.dataPath ?? `synthetic:${request.seed}:${request.syntheticRows}`;
}
