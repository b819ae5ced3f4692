/**
 * The `drift-report` command's flags, as `nx run inference-api:drift-report` forwards them, parsed
 * by the kit's one flag parser: an unknown flag or a bad value stops the command with a message
 * naming the flag, before MLflow is asked anything.
 */
import { aliasNameProblem, isModelName, MODEL_NAME_RULE, VERSION_NUMBER_PATTERN } from '@churn/mlflow-client';
import { CliFlagError, parseFlags } from '@churn/service-kit';

export interface DriftReportFlags {
  data: string;
  modelVersion?: string;
  modelName?: string;
  alias?: string;
  out?: string;
}

export const DRIFT_REPORT_USAGE =
  'usage: drift-report --data=<csv> [--model-version=<n> | --alias=<MODEL_ALIAS>] [--model-name=<MODEL_NAME>] [--out=<folder>]';

const DRIFT_REPORT_FLAGS = {
  command: 'drift-report',
  values: ['data', 'model-version', 'model-name', 'alias', 'out'],
} as const;

/**
 * @throws {CliFlagError} for what the kit's parser refuses (a positional argument, an unknown,
 *   repeated or empty flag), a missing --data, a version that is not a version number, both
 *   --model-version and --alias, or a model name or alias MLflow's rules refuse.
 * @example parseDriftReportFlags(['--data=live.csv', '--model-version=3']) // { data: 'live.csv', modelVersion: '3' }
 */
export function parseDriftReportFlags(args: readonly string[]): DriftReportFlags {
  const { values } = parseFlags(DRIFT_REPORT_FLAGS, args);
  const { data, alias, out } = values;
  const modelVersion = values['model-version'];
  const modelName = values['model-name'];
  if (data === undefined) throw new CliFlagError('--data', `is required; ${DRIFT_REPORT_USAGE}`);
  if (modelVersion !== undefined && !VERSION_NUMBER_PATTERN.test(modelVersion))
    throw new CliFlagError('--model-version', `"${modelVersion}" is not a model version number (1, 2, …)`);
  if (alias !== undefined && modelVersion !== undefined)
    throw new CliFlagError('--alias', 'cannot be combined with --model-version');
  const aliasProblem = alias === undefined ? undefined : aliasNameProblem(alias);
  if (aliasProblem !== undefined) throw new CliFlagError('--alias', aliasProblem);
  if (modelName !== undefined && !isModelName(modelName))
    throw new CliFlagError('--model-name', `"${modelName}" is not ${MODEL_NAME_RULE}`);
  return { data, modelVersion, modelName, alias, out };
}
