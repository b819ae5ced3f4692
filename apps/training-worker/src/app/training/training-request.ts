/**
 * What one training run is asked to do, shared by the CLI flags and the `POST /jobs` body (the same
 * names, DESIGN.md's wiring table), and the checks both apply before any MLflow run is created.
 */
import { readFile } from 'node:fs/promises';

import {
  ChurnPipelineError,
  DatasetError,
  defaultChurnSchema,
  validateSchema,
  type FeatureSchema,
} from '@churn/churn-pipeline';
import { ProblemError } from '@churn/service-kit';

import type { FileAccess } from './data-files';

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
  /** Whether a data error may quote the file (the CLI) or names only its line (REST jobs). */
  quotesContent: boolean;
}

/** A request that cannot run; `field` is the flag or JSON field at fault (`data`, `schema`, `seed`, …). */
export class TrainingRequestError extends ProblemError {
  override readonly name = 'TrainingRequestError';
  readonly status = 400;

  constructor(
    override readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/**
 * The schema to train with: the default when nothing is given; otherwise the given JSON (from a
 * file `files` locates, or an inline object) laid over the default, so an override may name only
 * the fields it changes.
 *
 * @throws {TrainingRequestError} naming `schema` when the file cannot be read or parsed, or the
 *   merged schema is invalid (the validator's message follows, unless the file's content must not
 *   be quoted).
 */
export async function resolveSchema(
  schema: string | Record<string, unknown> | undefined,
  files: FileAccess,
): Promise<{ schema: FeatureSchema; source: string }> {
  if (schema === undefined) return { schema: defaultChurnSchema(), source: 'default' };
  let override: unknown = schema;
  let source = 'inline';
  if (typeof schema === 'string') {
    source = await files.locate('schema', schema);
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw new TrainingRequestError(
        'schema',
        `cannot read ${schema}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    try {
      override = JSON.parse(text);
    } catch (error) {
      // JSON.parse's message quotes the text around the fault.
      const detail = files.quotesContent ? `: ${(error as Error).message}` : '';
      throw new TrainingRequestError('schema', `${schema} is not valid JSON${detail}`);
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
    if (!(error instanceof ChurnPipelineError)) throw error;
    const quotable = files.quotesContent || typeof schema !== 'string';
    throw new TrainingRequestError(
      'schema',
      quotable
        ? error.message
        : `${schema} is not a valid feature schema (the validator's message would quote the file)`,
    );
  }
}

/**
 * The absolute path of a data file, checked now (by `files`), so a typo fails before any MLflow run
 * exists.
 * @throws {TrainingRequestError} naming `data`
 */
export function resolveDataPath(data: string, files: FileAccess): Promise<string> {
  return files.locate('data', data);
}

/**
 * What a failed run records as its error: the error's own message, except that a data file's fault
 * is told by its line only when the request may not quote the file (the whole message is logged).
 */
export function reportedError(error: unknown, request: Pick<TrainingRequest, 'quotesContent'>): string {
  if (!request.quotesContent && error instanceof DatasetError) {
    const where = error.line !== undefined ? ` at line ${error.line}` : '';
    return `the data file cannot be trained on${where} (its content is not repeated here; the worker's log has the details)`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The value of the `data` param: the CSV path, or `synthetic:<seed>:<rows>`. */
export function describeData(request: Pick<TrainingRequest, 'dataPath' | 'seed' | 'syntheticRows'>): string {
  return request.dataPath ?? `synthetic:${request.seed}:${request.syntheticRows}`;
}
