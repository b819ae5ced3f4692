// The `train` command as a user runs it: first through Nx (`npx nx run training-worker:train`, which
// also builds the app), then the built main.js directly. Everything it logged and registered is read
// back with MLflow's own Python client, and the registered version is loaded with
// mlflow.pyfunc.load_model("models:/<name>/<N>") and compared with in-process scoring.
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  inputExampleFrame,
  predictProba,
  readCsvSample,
  trainChurnModel,
  type CustomerRecord,
} from '@churn/churn-pipeline';
import { CREATE_KEY_TAG } from '@churn/mlflow-client';

import {
  builtMain,
  readBack,
  runCommand,
  telcoCsv,
  testClient,
  uniqueName,
  type CommandResult,
  type ReadBack,
} from './support';

const TELCO_ARG = '--data=libs/churn-pipeline/data/telco-customer-churn.csv';
const REGISTERED_LINE = /^\[MLflow\] Run ([0-9a-f]{32}) \| Model Registry : (\S+) v(\d+)$/m;
/**
 * The ONNX graph computes in float32 (its inputs, scaler and weights are float32; see the exporter's
 * module comment); with 46 features of magnitude ≲ 10 the rounding of the logit stays below ~1e-5,
 * and a sigmoid's slope is at most 1/4, so probabilities agree with float64 scoring well within 1e-5.
 */
const PROBABILITY_TOLERANCE = 1e-5;

const node = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> =>
  runCommand(process.execPath, [builtMain, 'train', ...args], env);

function runIdOf(result: CommandResult): string {
  const match = /(?:\[MLflow\] Run|MLflow run) ([0-9a-f]{32})/.exec(result.stdout + result.stderr);
  if (match === null) throw new Error(`no run id in the output:\n${result.stdout}\n${result.stderr}`);
  return match[1];
}

describe('train (CLI)', () => {
  const experiment = uniqueName('cli-exp');
  const modelName = uniqueName('cli-model');
  const gatedModel = uniqueName('cli-gated');
  const failedModel = uniqueName('cli-failed');
  const workDir = mkdtempSync(join(tmpdir(), 'training-worker-cli-'));
  const badCsv = join(workDir, 'bad.csv');
  const badLine = 57;
  let viaNx: CommandResult;
  let direct: CommandResult;
  let gated: CommandResult;
  let failed: CommandResult;
  let firstRunId: string;
  let secondRunId: string;
  let read: ReadBack;
  let records: CustomerRecord[];
  let ourProbabilities: Float64Array;

  beforeAll(async () => {
    // Telco's first 199 rows with text in one numeric cell.
    const lines = readFileSync(telcoCsv, 'utf8').split(/\r?\n/).slice(0, 200);
    const fields = lines[badLine - 1].split(',');
    fields[lines[0].split(',').indexOf('MonthlyCharges')] = 'lots';
    lines[badLine - 1] = fields.join(',');
    writeFileSync(badCsv, `${lines.join('\n')}\n`);

    // Through Nx first: it builds main.js, which the other cases then run directly, side by side.
    viaNx = await runCommand(
      'npx',
      [
        'nx',
        'run',
        'training-worker:train',
        TELCO_ARG,
        `--model-name=${modelName}`,
        `--experiment=${experiment}`,
        '--outputStyle=static',
      ],
      { NX_DAEMON: 'false', USER: 'nx-tester' },
    );
    if (viaNx.code !== 0)
      throw new Error(`nx run training-worker:train exited with ${viaNx.code}:\n${viaNx.stdout}\n${viaNx.stderr}`);
    [direct, gated, failed] = await Promise.all([
      node([TELCO_ARG, `--model-name=${modelName}`, `--experiment=${experiment}`], {
        USER: 'cli-tester',
        GIT_COMMIT: 'f'.repeat(40),
      }),
      node([TELCO_ARG, '--gate-f1=0.99', `--model-name=${gatedModel}`, `--experiment=${experiment}`]),
      node([`--data=${badCsv}`, `--model-name=${failedModel}`, `--experiment=${experiment}`]),
    ]);
    firstRunId = runIdOf(viaNx);
    secondRunId = runIdOf(direct);

    const sample = await readCsvSample(createReadStream(telcoCsv), 40);
    records = sample.rows.map((row) => Object.fromEntries(sample.header.map((column, i) => [column, row[i]])));
    const { pipeline } = await trainChurnModel({ csvPath: telcoCsv, seed: 42 });
    ourProbabilities = predictProba(pipeline, records);
    read = await readBack({
      runs: [firstRunId, secondRunId, runIdOf(gated), runIdOf(failed)],
      model_names: [modelName, gatedModel, failedModel],
      predict: {
        model_uri: `models:/${modelName}/2`,
        ...inputExampleFrame(pipeline, records),
        numeric: pipeline.schema.numeric,
      },
    });
  }, 300_000);

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('through Nx: trains on Telco, registers version 1 and ends with the seed-style lines', () => {
    const match = REGISTERED_LINE.exec(viaNx.stdout);
    expect(match?.slice(1)).toEqual([firstRunId, modelName, '1']);
    expect(viaNx.stdout).toMatch(
      new RegExp(`^\\[OK\\] Model saved : mlflow-artifacts:/\\d+/${firstRunId}/artifacts/model$`, 'm'),
    );
    // Stage lines (progress) come on stderr, ahead of the result.
    for (const stage of ['load', 'split', 'preprocess', 'fit', 'evaluate', 'export', 'log', 'gate', 'register']) {
      expect(viaNx.stdout + viaNx.stderr).toMatch(new RegExp(`^\\[train\\] ${stage}: `, 'm'));
    }
  });

  it('directly: a second training registers version 2', () => {
    expect(direct.code).toBe(0);
    expect(REGISTERED_LINE.exec(direct.stdout)?.slice(1)).toEqual([secondRunId, modelName, '2']);
    expect(direct.stderr).toMatch(/^\[train\] fit: converged after \d+ iterations/m);
  });
  it("logs params, metrics, tags and artifacts that MLflow's Python client reads back", () => {
    for (const [runId, user] of [
      [firstRunId, 'nx-tester'],
      [secondRunId, 'cli-tester'],
    ]) {
      const run = read.runs[runId];
      expect(run.status).toBe('FINISHED');
      expect(run.run_name).toMatch(/^train-\d{8}-\d{6}$/);
      expect(run.params).toMatchObject({
        seed: '42',
        gate_f1: '0.5',
        data: telcoCsv,
        data_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        rows_total: '7043',
        rows_train: '5634',
        rows_test: '1409',
        class_weight: 'none',
        tolerance: '1e-8',
        C: '1',
        test_share: '0.2',
      });
      for (const metric of [
        'f1',
        'accuracy',
        'precision',
        'recall',
        'roc_auc',
        'log_loss',
        'iterations',
        'training_seconds',
      ]) {
        expect(Number.isFinite(run.metrics[metric])).toBe(true);
      }
      expect(run.metrics['roc_auc']).toBeGreaterThan(0.8);
      expect(run.tags).toMatchObject({
        data_file: 'telco-customer-churn.csv',
        model_type: 'LogisticRegression',
        user,
        'mlflow.user': user,
        'mlflow.source.name': 'training-worker train',
        gate_passed: 'true',
        model_name: modelName,
      });
      expect(run.tags['git_commit']).toMatch(/^[0-9a-f]{40}$/);
      // Created with retrySafely, so a create whose answer is lost is found again, not repeated.
      expect(run.tags[CREATE_KEY_TAG]).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.artifacts).toEqual(
        expect.arrayContaining([
          'model/MLmodel',
          'model/model.onnx',
          'model/input_example.json',
          'model/serving_input_example.json',
          'model/requirements.txt',
          'model/python_env.yaml',
          'model/conda.yaml',
          'train_stats.json',
          'schema.json',
          'split.json',
          'metrics.json',
          'confusion_matrix.json',
        ]),
      );
    }
    expect(read.runs[secondRunId].tags['git_commit']).toBe('f'.repeat(40));
    expect(read.runs[firstRunId].tags['registered_version']).toBe('1');
    expect(read.runs[secondRunId].tags['registered_version']).toBe('2');
  });

  it("registers versions 1 and 2 from the runs' model artifacts, READY, with the wiring table's version tags", () => {
    expect(read.versions[modelName].map((v) => v.version)).toEqual(['1', '2']);
    read.versions[modelName].forEach((version, i) => {
      const runId = [firstRunId, secondRunId][i];
      const run = read.runs[runId];
      expect(version.status).toBe('READY');
      expect(version.run_id).toBe(runId);
      expect(version.source).toBe(`${run.artifact_uri}/model`);
      expect(version.tags).toEqual({
        f1: String(run.metrics['f1']),
        roc_auc: String(run.metrics['roc_auc']),
        gate_f1: '0.5',
        gate_passed: 'true',
        data_sha256: run.params['data_sha256'],
        run_id: runId,
      });
    });
  });

  it('gives, loaded with mlflow.pyfunc.load_model("models:/<name>/2"), the probabilities of in-process scoring', () => {
    const theirs = read.predictions?.probability ?? [];
    expect(theirs).toHaveLength(records.length);
    const worst = theirs.reduce(
      (acc, p, i) => {
        const difference = Math.abs(p - ourProbabilities[i]);
        return difference > acc.difference ? { row: i, difference, actual: p, expected: ourProbabilities[i] } : acc;
      },
      { row: -1, difference: 0, actual: Number.NaN, expected: Number.NaN },
    );
    if (worst.difference > PROBABILITY_TOLERANCE) {
      throw new Error(
        `row ${worst.row}: MLflow pyfunc ${worst.actual}, in-process ${worst.expected}, difference ${worst.difference}, tolerance ${PROBABILITY_TOLERANCE}`,
      );
    }
    expect(worst.difference).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
  });

  it('--gate-f1=0.99: exit 3 with the reason, run FINISHED with gate_passed=false, no version', () => {
    expect(gated.code).toBe(3);
    expect(gated.stdout).toMatch(/^\[GATE\] refused: F1 0\.\d{4} is below the gate 0\.99$/m);
    expect(gated.stdout).toMatch(/Model Registry : not registered \(quality gate refused\)$/m);
    const run = read.runs[runIdOf(gated)];
    expect(run.status).toBe('FINISHED');
    expect(run.tags).toMatchObject({
      gate_passed: 'false',
      gate_reason: expect.stringMatching(/below the gate 0\.99/),
    });
    expect(run.tags).not.toHaveProperty('registered_version');
    expect(read.versions[gatedModel]).toEqual([]);
  });

  it('text in a numeric column: exit 1 naming line and column, run FAILED with the error, no version', async () => {
    expect(failed.code).toBe(1);
    const errorLines = failed.stderr.split('\n').filter((line) => line.startsWith('[ERROR]'));
    expect(errorLines).toEqual([
      expect.stringContaining(`line ${badLine}, column "MonthlyCharges": "lots" is not a number`),
    ]);
    expect(failed.stderr).not.toMatch(/\n\s+at /);
    const run = read.runs[runIdOf(failed)];
    expect(run.status).toBe('FAILED');
    expect(run.tags['error']).toContain(`line ${badLine}, column "MonthlyCharges"`);
    expect(read.versions[failedModel]).toEqual([]);
    expect(
      await testClient()
        .registeredModels.search({ filter: `name='${failedModel}'` })
        .toArray(),
    ).toEqual([]);
  });

  it.each([
    [['--seed=abc'], /^\[ERROR\] --seed: must be an integer/m],
    [['--gate-f1=2'], /^\[ERROR\] --gate-f1: must be a number from 0 to 1, got "2"/m],
    [['--epochs=3'], /^\[ERROR\] --epochs: unknown flag/m],
    [['--register=maybe'], /^\[ERROR\] --register: must be true or false/m],
    [['--data=missing.csv'], /^\[ERROR\] data: cannot read .*missing\.csv: ENOENT/m],
  ])('%j: exit 1 with one line naming the flag, before any run exists', async (args, message) => {
    const result = await node([...args, `--experiment=${experiment}-never`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });
});
