/* eslint-disable @typescript-eslint/no-explicit-any -- the JSON report is checked field by field */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readCsvSample } from '@churn/churn-pipeline';

import { mlflowClient, registerTrainedVersion, TELCO_CSV, WORKSPACE_ROOT } from './support/model-fixtures';

const client = mlflowClient();
const MAIN = join(WORKSPACE_ROOT, 'dist/apps/inference-api/main.js');
const FEATURE_FIELDS = ['name', 'method', 'statistic', 'p_value', 'score', 'threshold', 'status', 'psi'];

function runCli(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [MAIN, 'drift-report', ...args], {
    cwd: WORKSPACE_ROOT,
    encoding: 'utf8',
    env: { ...process.env, MLFLOW_TRACKING_URI: process.env['MLFLOW_TRACKING_URI'], ...env },
    timeout: 120_000,
  });
}

/** The Telco CSV's first `rows` rows, changed by `edit`, written as a new CSV (every field quoted). */
async function writeCsv(
  path: string,
  rows: number,
  edit: (header: string[], row: string[]) => string[],
  dropColumn?: string,
): Promise<void> {
  const sample = await readCsvSample(createReadStream(TELCO_CSV), rows);
  const keep = sample.header.map((name) => name !== dropColumn);
  const line = (fields: string[]) =>
    fields
      .filter((_, i) => keep[i])
      .map((field) => `"${field.replace(/"/g, '""')}"`)
      .join(',');
  await writeFile(
    path,
    [line(sample.header), ...sample.rows.map((row) => line(edit(sample.header, [...row])))].join('\n') + '\n',
  );
}

describe('nx run inference-api:drift-report', () => {
  const model = `drift-cli-${Date.now()}`;
  let dir: string;
  let shiftedCsv: string;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build inference-api first`);
    const v1 = await registerTrainedVersion(client, model, 31);
    await client.registeredModels.setAlias({ name: model, alias: 'production', version: v1.version });
    dir = await mkdtemp(join(tmpdir(), 'drift-cli-'));
    shiftedCsv = join(dir, 'shifted.csv');
    await writeCsv(shiftedCsv, 800, (header, row) => {
      const charges = header.indexOf('MonthlyCharges');
      row[charges] = String(Number(row[charges]) * 1.8);
      row[header.indexOf('Contract')] = 'Two year';
      return row;
    });
  }, 240_000);

  it('run as a user runs it, writes drift-report.json and a self-contained drift-report.html and prints a summary', async () => {
    const out = join(dir, 'as-user');
    const run = spawnSync(
      'npx',
      [
        'nx',
        'run',
        'inference-api:drift-report',
        `--data=${shiftedCsv}`,
        `--model-name=${model}`,
        `--out=${out}`,
        '--outputStyle=static',
      ],
      {
        cwd: WORKSPACE_ROOT,
        encoding: 'utf8',
        env: { ...process.env, NX_DAEMON: 'false', MLFLOW_TRACKING_URI: process.env['MLFLOW_TRACKING_URI'] },
        timeout: 300_000,
      },
    );
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr + run.stdout }).toEqual({
      status: 0,
      stderr: '',
    });
    expect(run.stdout).toContain(`against ${model} v1 (production)'s training statistics`);
    expect(run.stdout).toMatch(/MonthlyCharges\s+ks\s+p = \S+\s+0\.0500\s+\S+\s+drift/);
    expect(run.stdout).toContain('no dataset drift: 2 of 19 tested features drifted (');

    const report = JSON.parse(await readFile(join(out, 'drift-report.json'), 'utf8'));
    expect(report.dataset_drift).toBe(false);
    expect(report.model).toMatchObject({ name: model, version: '1', alias: 'production' });
    expect(report.data.rows).toBe(800);
    expect(report.reference).toMatch(/train_stats\.json$/);
    for (const feature of report.features) expect(Object.keys(feature).sort()).toEqual([...FEATURE_FIELDS].sort());
    const byName = Object.fromEntries(report.features.map((feature: any) => [feature.name, feature]));
    // 800 rows: at most 1000, so KS and chi-square with p-values.
    expect(byName['MonthlyCharges']).toMatchObject({ method: 'ks', status: 'drift', threshold: 0.05, score: null });
    expect(byName['Contract']).toMatchObject({ method: 'chisquare', status: 'drift' });
    expect(report.drifted_features.sort()).toEqual(['Contract', 'MonthlyCharges']);

    const html = await readFile(join(out, 'drift-report.html'), 'utf8');
    expect(html.match(/<svg /g)?.length).toBe(report.features.length);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html).toContain('MonthlyCharges');
    expect(html).toContain('reference (training)');
  }, 320_000);

  it('writes into a new temporary folder it prints when --out is absent, and exits 0 with no drift on the training data', async () => {
    const run = runCli([`--data=${TELCO_CSV}`, `--model-name=${model}`, '--model-version=1']);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const folder = /written: (\S+)\/drift-report\.json/.exec(run.stdout)?.[1] ?? '(not printed)';
    expect(folder.startsWith(tmpdir())).toBe(true);
    const report = JSON.parse(await readFile(join(folder, 'drift-report.json'), 'utf8'));
    expect(report.dataset_drift).toBe(false);
    expect(report.drifted_features).toEqual([]);
    // 7043 rows: above 1000, so normalised Wasserstein and Jensen–Shannon scores.
    expect(new Set(report.features.map((feature: any) => feature.method))).toEqual(
      new Set(['wasserstein', 'jensenshannon']),
    );
    expect(run.stdout).toContain('no dataset drift: 0 of 19 tested features drifted');
    expect(run.stdout.split('\n').length).toBeLessThan(30);
  }, 150_000);

  it('rejects a CSV missing a feature column with one line naming it, exit 1', async () => {
    const partial = join(dir, 'no-tenure.csv');
    await writeCsv(partial, 50, (_, row) => row, 'tenure');
    const run = runCli([`--data=${partial}`, `--model-name=${model}`, `--out=${join(dir, 'never')}`]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      `drift-report: ${partial}: column "tenure" is missing (line 1 is the header)`,
    ]);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  }, 150_000);

  it('exits 1 with the flag or version named for bad flags, a missing file and an unknown version', () => {
    const cases: [string[], RegExp][] = [
      [[`--model-name=${model}`], /--data: is required/],
      [[`--data=${shiftedCsv}`, '--model-version=two'], /--model-version: "two" is not a model version number/],
      [[`--data=${shiftedCsv}`, '--colour=red'], /--colour: unknown flag/],
      [[`--data=${join(dir, 'absent.csv')}`, `--model-name=${model}`], /absent\.csv: cannot be read \(ENOENT\)/],
      [
        [`--data=${shiftedCsv}`, `--model-name=${model}`, '--model-version=42'],
        new RegExp(`${model} has no version 42`),
      ],
    ];
    for (const [args, message] of cases) {
      const run = runCli(args);
      expect({ args, status: run.status }).toEqual({ args, status: 1 });
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 150_000);
});
