/**
 * `main.js drift-report …`, what `nx run inference-api:drift-report` runs: compares a CSV with the
 * training statistics of a registered version (the MODEL_ALIAS version by default) and writes
 * `drift-report.json` and a self-contained `drift-report.html` into `--out` (default: a new folder
 * under the OS temp folder), then prints a one-screen summary.
 *
 * Exit codes: 0 when the report was written, drift or not (drift found is a result, not a failure);
 * 1 otherwise (a bad flag, an unreadable CSV or one missing a column, an unknown version or alias,
 * MLflow unreachable), with one line naming the flag, column or version at fault.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

import { driftReport, parseTrainingStatistics, type DriftReport, type TrainingStatistics } from '@churn/drift-stats';
import {
  MlflowClient,
  mlflowClientOptionsFromEnv,
  MlflowError,
  ResourceDoesNotExistError,
  type ModelVersion,
} from '@churn/mlflow-client';
import { EXIT, processOutput, type CommandOutput } from '@churn/service-kit';

import { noReferenceReport } from '../drift/no-reference-report';
import { parseMlmodel } from '../model/mlmodel';
import { DriftDataError, readCsvDriftWindow } from './csv-drift-window';
import { parseDriftReportFlags } from './drift-report-flags';
import { renderDriftReportHtml } from './drift-report-html';

const TRAIN_STATS_FILE = 'train_stats.json';

/** The drift-report.json document. */
export interface DriftReportDocument extends DriftReport {
  generated_at: string;
  model: { name: string; version: string; alias: string | null; run_id: string | null };
  /** Where the training statistics came from; null when the version has none. */
  reference: string | null;
  data: { path: string; rows: number };
}

/** Runs the subcommand and returns its exit code; never throws. Relative paths resolve against `cwd`. */
export async function runDriftReportCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  output: CommandOutput = processOutput,
): Promise<number> {
  try {
    const flags = parseDriftReportFlags(args);
    const client = new MlflowClient(mlflowClientOptionsFromEnv(env));
    const name = flags.modelName ?? nonEmpty(env['MODEL_NAME']) ?? 'churn_model';
    const alias =
      flags.modelVersion === undefined ? (flags.alias ?? nonEmpty(env['MODEL_ALIAS']) ?? 'production') : undefined;
    const version = await findVersion(client, name, flags.modelVersion, alias);
    const { reference, source } = await trainingStatistics(client, version);
    const dataPath = isAbsolute(flags.data) ? flags.data : resolve(cwd, flags.data);
    const features =
      reference === undefined
        ? await modelInputs(client, version)
        : [...Object.keys(reference.numeric), ...Object.keys(reference.categorical)];
    const { window, rows } = await readCsvDriftWindow(dataPath, reference, features);
    const report =
      reference !== undefined && window !== undefined ? driftReport(reference, window) : noReferenceReport(features);
    const document: DriftReportDocument = {
      generated_at: new Date().toISOString(),
      model: { name, version: version.version, alias: alias ?? null, run_id: version.run_id ?? null },
      reference: source,
      data: { path: dataPath, rows },
      ...report,
    };
    const outDir = flags.out === undefined ? await mkdtemp(join(tmpdir(), 'drift-report-')) : resolve(cwd, flags.out);
    await mkdir(outDir, { recursive: true });
    const jsonPath = join(outDir, 'drift-report.json');
    const htmlPath = join(outDir, 'drift-report.html');
    const modelLabel = `${name} v${version.version}${alias ? ` (${alias})` : ''}`;
    await writeFile(jsonPath, `${JSON.stringify(document, null, 2)}\n`);
    await writeFile(
      htmlPath,
      renderDriftReportHtml({
        title: `Drift report: ${modelLabel}`,
        facts: [
          `Data: ${dataPath} (${rows} rows)`,
          `Reference: ${source ?? 'none (the version has no train_stats.json)'}`,
          `Generated: ${document.generated_at}`,
        ],
        report,
        reference,
        window,
      }),
    );
    for (const line of summaryLines(modelLabel, dataPath, rows, report, source)) output.stdout(line);
    output.stdout(`written: ${jsonPath}`);
    output.stdout(`         ${htmlPath}`);
    return EXIT.ok;
  } catch (error) {
    output.stderr(`drift-report: ${describe(error)}`);
    return EXIT.failed;
  }
}

async function findVersion(
  client: MlflowClient,
  name: string,
  version: string | undefined,
  alias: string | undefined,
): Promise<ModelVersion> {
  try {
    return version !== undefined
      ? await client.modelVersions.get({ name, version })
      : await client.modelVersions.getByAlias({ name, alias: alias as string });
  } catch (error) {
    if (error instanceof ResourceDoesNotExistError || (error instanceof MlflowError && error.status === 404)) {
      throw new DriftDataError(
        version !== undefined
          ? `${name} has no version ${version} (--model-version)`
          : `${name} has no alias "${alias}" (or no such model)`,
      );
    }
    throw error;
  }
}

/** train_stats.json at the run's root (where training logs it), else beside the model; undefined when neither exists. */
async function trainingStatistics(
  client: MlflowClient,
  version: ModelVersion,
): Promise<{ reference: TrainingStatistics | undefined; source: string | null }> {
  const candidates: string[] = [];
  if (version.run_id) candidates.push(`runs:/${version.run_id}`);
  candidates.push(await client.modelVersions.getDownloadUri({ name: version.name, version: version.version }));
  for (const folder of candidates) {
    const listing = await client.artifacts.list(folder).catch((error: unknown) => {
      if (error instanceof ResourceDoesNotExistError) return [];
      throw error;
    });
    if (!listing.some((file) => !file.is_dir && file.path.split('/').pop() === TRAIN_STATS_FILE)) continue;
    const uri = `${folder.replace(/\/+$/, '')}/${TRAIN_STATS_FILE}`;
    const bytes = await client.artifacts.readBytes(uri);
    try {
      return { reference: parseTrainingStatistics(JSON.parse(bytes.toString('utf8'))), source: uri };
    } catch (error) {
      throw new DriftDataError(`${uri} is unusable: ${(error as Error).message}`);
    }
  }
  return { reference: undefined, source: null };
}

/** The version's input columns (MLmodel signature): the features of a report without training statistics. */
async function modelInputs(client: MlflowClient, version: ModelVersion): Promise<string[]> {
  const downloadUri = await client.modelVersions.getDownloadUri({ name: version.name, version: version.version });
  const mlmodel = parseMlmodel(
    (await client.artifacts.readBytes(`${downloadUri.replace(/\/+$/, '')}/MLmodel`)).toString('utf8'),
  );
  return mlmodel.inputs.map((column) => column.name);
}

/** One screen: a header, one line per feature, the dataset verdict. */
export function summaryLines(
  modelLabel: string,
  dataPath: string,
  rows: number,
  report: DriftReport,
  source: string | null,
): string[] {
  const width = Math.max(7, ...report.features.map((line) => line.name.length));
  const lines = [
    `drift report: ${dataPath} (${rows} rows) against ${modelLabel}'s training statistics${source === null ? ' (none: the version has no train_stats.json)' : ''}`,
  ];
  lines.push(
    `${'feature'.padEnd(width)}  ${'method'.padEnd(13)}  ${'value'.padEnd(18)}  ${'threshold'.padEnd(9)}  ${'psi'.padEnd(7)}  status`,
  );
  for (const line of report.features) {
    const value =
      line.p_value !== null ? `p = ${fmt(line.p_value)}` : line.score !== null ? `score = ${fmt(line.score)}` : '-';
    lines.push(
      `${line.name.padEnd(width)}  ${(line.method ?? '-').padEnd(13)}  ${value.padEnd(18)}  ${(line.threshold === null ? '-' : fmt(line.threshold)).padEnd(9)}  ${(line.psi === null ? '-' : fmt(line.psi)).padEnd(7)}  ${line.status}`,
    );
  }
  const tested = report.features.filter(
    (line) => line.status === 'ok' || line.status === 'warn' || line.status === 'drift',
  ).length;
  lines.push(
    report.dataset_drift
      ? `DATASET DRIFT: ${report.drifted_features.length} of ${tested} tested features drifted (${report.drifted_features.join(', ')}); the report was written, so the exit code is 0`
      : `no dataset drift: ${report.drifted_features.length} of ${tested} tested features drifted${report.drifted_features.length > 0 ? ` (${report.drifted_features.join(', ')})` : ''}`,
  );
  return lines;
}

function fmt(value: number): string {
  return Math.abs(value) >= 1e-3 || value === 0 ? value.toFixed(4) : value.toExponential(2);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function describe(error: unknown): string {
  if (error instanceof MlflowError) return `MLflow: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
