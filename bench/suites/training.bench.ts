/**
 * Issue 3's training benchmark: end-to-end training time and peak memory on the IBM Telco CSV and on
 * one million synthetic rows, beside scikit-learn on the same file in the same run.
 *
 * Every measurement is a fresh process (ours: training/train-once.ts; scikit-learn:
 * training/sklearn_training.py through the pinned venv), so peak RSS is that run's alone and no run
 * inherits another's warmed-up heap. Each round runs ours and scikit-learn's reference back to back,
 * which of the two first alternating, so that a burst of load from elsewhere on the machine hits both;
 * the targets read the median over rounds of their ratio. Telco takes eleven rounds (a run's spread is
 * several times the gap between the two), the large file one (a run there takes tens of seconds,
 * which averages short bursts out by itself).
 */
import path from 'node:path';

import type { BenchContext, Figure, SuiteOutcome, Target } from '../support/suite';

export const title = 'Training: end-to-end time and peak memory (issues 3 and 15)';

interface Run {
  totalMs: number;
  stageMs: Record<string, number>;
  peakResidentBytes: number;
  residentBeforeBytes: number;
  iterations: number;
  f1: number;
  rocAuc: number;
}

const SEED = 42;
const SYNTHETIC_SEED = 7;
/** Full settings, and the `--quick` ones that only check the suite runs. */
const SETTINGS = {
  full: { syntheticRows: 1_000_000, telcoRepeats: 11, largeRepeats: 1 },
  quick: { syntheticRows: 20_000, telcoRepeats: 1, largeRepeats: 1 },
};
const MB = 1e6;

/** The middle item by `key` (the lower middle of an even count). */
function middle<T>(items: T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[(sorted.length - 1) >> 1];
}

function median(values: number[]): number {
  return middle(values, (value) => value);
}

/** The run whose total time is the median one (so its stages and memory belong together). */
function medianRun(runs: Run[]): Run {
  return middle(runs, (run) => run.totalMs);
}

export async function run(context: BenchContext): Promise<SuiteOutcome> {
  const {
    syntheticRows: SYNTHETIC_ROWS,
    telcoRepeats: TELCO_REPEATS,
    largeRepeats: LARGE_REPEATS,
  } = context.quick ? SETTINGS.quick : SETTINGS.full;
  /** '1 M' on full settings; the row count the suite really trained on under `--quick`. */
  const rowsName = SYNTHETIC_ROWS === 1_000_000 ? '1 M' : SYNTHETIC_ROWS.toLocaleString('en-US');
  const here = path.join(context.workspaceRoot, 'bench/suites/training');
  const trainOnce = path.join(here, 'train-once.ts');
  const sklearnScript = path.join(here, 'sklearn_training.py');
  const schemaFile = path.join(context.workspaceRoot, 'libs/churn-pipeline/src/lib/schema/default-schema.json');
  const telcoCsv = path.resolve(context.workspaceRoot, 'libs/churn-pipeline/data/telco-customer-churn.csv');

  const measure = (csv: string, repeats: number, label: string) => {
    const ours: Run[] = [];
    const sklearnDefault: Run[] = [];
    const sklearnMatching: Run[] = [];
    const sklearnNewton: Run[] = [];
    for (let k = 0; k < repeats; k += 1) {
      context.log(`training ${label}: round ${k + 1} of ${repeats}`);
      const runOurs = () => ours.push(context.runTypeScript(trainOnce, [csv, SEED]) as unknown as Run);
      const runMatching = () =>
        sklearnMatching.push(context.runPython(sklearnScript, [csv, schemaFile, SEED, 'matching']) as unknown as Run);
      // The pair the targets compare runs back to back, in alternating order.
      if (k % 2 === 0) {
        runOurs();
        runMatching();
      } else {
        runMatching();
        runOurs();
      }
      sklearnDefault.push(context.runPython(sklearnScript, [csv, schemaFile, SEED, 'default']) as unknown as Run);
      sklearnNewton.push(
        context.runPython(sklearnScript, [csv, schemaFile, SEED, 'newton-cholesky']) as unknown as Run,
      );
    }
    return {
      ours: medianRun(ours),
      sklearnDefault: medianRun(sklearnDefault),
      sklearnMatching: medianRun(sklearnMatching),
      sklearnNewton: medianRun(sklearnNewton),
      /** Per round, ours ÷ scikit-learn (tol=1e-8) measured in it: load → metrics, and (preprocess + fit) ÷ fit. */
      pairedRatios: {
        total: ours.map((r, k) => r.totalMs / sklearnMatching[k].totalMs),
        fit: ours.map((r, k) => (r.stageMs.preprocess + r.stageMs.fit) / sklearnMatching[k].stageMs.fit),
      },
      /** Every run, for the spread of the totals and stage times beside the median run's. */
      runs: { ours, sklearnDefault, sklearnMatching, sklearnNewton },
    };
  };

  /** Every run's total, printed as min–max beside the median (RESULTS.md prints no range for one run). */
  const totalRounds = (runs: Run[]) => runs.map((run) => run.totalMs);
  /** A stage's time in each run (several stages summed), printed as the range beside the median run's. */
  const stageRounds = (runs: Run[], ...stages: string[]) =>
    runs.map((run) => stages.reduce((sum, stage) => sum + run.stageMs[stage], 0));

  const telco = measure(telcoCsv, TELCO_REPEATS, 'Telco');
  const syntheticCsv = path.join(context.scratchDir, 'synthetic-1m.csv');
  context.log(`writing ${SYNTHETIC_ROWS} synthetic rows (not timed as training)`);
  const written = context.runTypeScript(path.join(here, 'write-synthetic.ts'), [
    syntheticCsv,
    SYNTHETIC_ROWS,
    SYNTHETIC_SEED,
  ]);
  const large = measure(syntheticCsv, LARGE_REPEATS, `${rowsName} synthetic rows`);

  const results: Figure[] = [];
  const references: Figure[] = [];
  for (const [key, name, data] of [
    ['telco', 'Telco (7,043 rows)', telco],
    ['synthetic', `${rowsName} synthetic rows`, large],
  ] as const) {
    const { ours, sklearnDefault, sklearnMatching, sklearnNewton, runs } = data;
    const oursFitRounds = stageRounds(runs.ours, 'preprocess', 'fit');
    const oursFitMs = ours.stageMs.preprocess + ours.stageMs.fit;
    references.push(
      {
        id: `${key}.sklearn.total`,
        label: 'scikit-learn, tol=1e-8',
        value: sklearnMatching.totalMs,
        unit: 'ms',
        rounds: totalRounds(runs.sklearnMatching),
      },
      {
        id: `${key}.sklearn-default.total`,
        label: 'scikit-learn, defaults',
        value: sklearnDefault.totalMs,
        unit: 'ms',
        rounds: totalRounds(runs.sklearnDefault),
      },
      {
        id: `${key}.sklearn.fit`,
        label: 'scikit-learn fit, tol=1e-8',
        value: sklearnMatching.stageMs.fit,
        unit: 'ms',
        rounds: stageRounds(runs.sklearnMatching, 'fit'),
      },
      {
        id: `${key}.sklearn-default.fit`,
        label: 'scikit-learn fit, defaults',
        value: sklearnDefault.stageMs.fit,
        unit: 'ms',
        rounds: stageRounds(runs.sklearnDefault, 'fit'),
      },
      {
        id: `${key}.sklearn-newton.total`,
        label: 'scikit-learn, newton-cholesky, defaults',
        value: sklearnNewton.totalMs,
        unit: 'ms',
        rounds: totalRounds(runs.sklearnNewton),
      },
      {
        id: `${key}.sklearn-newton.fit`,
        label: 'scikit-learn fit, newton-cholesky, defaults',
        value: sklearnNewton.stageMs.fit,
        unit: 'ms',
        rounds: stageRounds(runs.sklearnNewton, 'fit'),
      },
      {
        id: `${key}.sklearn.load`,
        label: 'pandas read_csv',
        value: sklearnMatching.stageMs.load,
        unit: 'ms',
        rounds: stageRounds(runs.sklearnMatching, 'load'),
      },
      {
        id: `${key}.sklearn.peak`,
        label: 'scikit-learn, tol=1e-8',
        value: sklearnMatching.peakResidentBytes / MB,
        unit: 'MB',
      },
      { id: `${key}.sklearn.f1`, label: 'scikit-learn, tol=1e-8', value: sklearnMatching.f1, unit: '' },
      { id: `${key}.sklearn.auc`, label: 'scikit-learn, tol=1e-8', value: sklearnMatching.rocAuc, unit: '' },
    );
    results.push(
      {
        id: `${key}.total`,
        label: `${name}: load → metrics`,
        value: ours.totalMs,
        unit: 'ms',
        reference: `${key}.sklearn.total`,
        rounds: totalRounds(runs.ours),
      },
      {
        id: `${key}.total-vs-default`,
        label: `${name}: load → metrics`,
        value: ours.totalMs,
        unit: 'ms',
        reference: `${key}.sklearn-default.total`,
        rounds: totalRounds(runs.ours),
      },
      {
        id: `${key}.fit`,
        label: `${name}: preprocess + fit`,
        value: oursFitMs,
        unit: 'ms',
        reference: `${key}.sklearn.fit`,
        rounds: oursFitRounds,
      },
      {
        id: `${key}.fit-vs-default`,
        label: `${name}: preprocess + fit`,
        value: oursFitMs,
        unit: 'ms',
        reference: `${key}.sklearn-default.fit`,
        rounds: oursFitRounds,
      },
      {
        id: `${key}.total-vs-newton`,
        label: `${name}: load → metrics`,
        value: ours.totalMs,
        unit: 'ms',
        reference: `${key}.sklearn-newton.total`,
        rounds: totalRounds(runs.ours),
      },
      {
        id: `${key}.fit-vs-newton`,
        label: `${name}: preprocess + fit`,
        value: oursFitMs,
        unit: 'ms',
        reference: `${key}.sklearn-newton.fit`,
        rounds: oursFitRounds,
      },
      {
        id: `${key}.load`,
        label: `${name}: load (CSV → columns)`,
        value: ours.stageMs.load,
        unit: 'ms',
        reference: `${key}.sklearn.load`,
        rounds: stageRounds(runs.ours, 'load'),
      },
      {
        id: `${key}.split`,
        label: `${name}: split`,
        value: ours.stageMs.split,
        unit: 'ms',
        rounds: stageRounds(runs.ours, 'split'),
      },
      {
        id: `${key}.evaluate`,
        label: `${name}: evaluate`,
        value: ours.stageMs.evaluate,
        unit: 'ms',
        rounds: stageRounds(runs.ours, 'evaluate'),
      },
      {
        id: `${key}.iterations`,
        label: `${name}: Newton iterations (scikit-learn: lbfgs ${sklearnMatching.iterations} at tol=1e-8, ${sklearnDefault.iterations} at defaults; newton-cholesky ${sklearnNewton.iterations} at defaults)`,
        value: ours.iterations,
        unit: '',
      },
      {
        id: `${key}.peak`,
        label: `${name}: peak RSS (whole process)`,
        value: ours.peakResidentBytes / MB,
        unit: 'MB',
        reference: `${key}.sklearn.peak`,
      },
      { id: `${key}.f1`, label: `${name}: test F1`, value: ours.f1, unit: '', reference: `${key}.sklearn.f1` },
      {
        id: `${key}.auc`,
        label: `${name}: test ROC-AUC`,
        value: ours.rocAuc,
        unit: '',
        reference: `${key}.sklearn.auc`,
      },
    );
  }

  const targets: Target[] = [
    {
      id: 'telco.under-2s',
      description: 'Telco: load → metrics under 2 s (no MLflow I/O)',
      value: telco.ours.totalMs,
      limit: 2000,
      unit: 'ms',
      pass: telco.ours.totalMs < 2000,
    },
    {
      id: 'synthetic.under-30s',
      description: `${rowsName} rows: load → metrics under 30 s`,
      value: large.ours.totalMs,
      limit: 30000,
      unit: 'ms',
      pass: large.ours.totalMs < 30000,
    },
    {
      id: 'synthetic.peak-under-1.5GB',
      description: `${rowsName} rows: peak RSS under 1.5 GB`,
      value: large.ours.peakResidentBytes / MB,
      limit: 1500,
      unit: 'MB',
      pass: large.ours.peakResidentBytes < 1500 * MB,
    },
  ];
  for (const [key, name, data] of [
    ['telco', 'Telco', telco],
    ['synthetic', `${rowsName} rows`, large],
  ] as const) {
    // As every paired target in RESULTS.md: the median over rounds of the ratio within one.
    const total = median(data.pairedRatios.total);
    const fit = median(data.pairedRatios.fit);
    const range = (ratios: number[]) =>
      ratios.length > 1
        ? ` (${ratios.length} rounds: ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
        : '';
    targets.push(
      {
        id: `${key}.total-vs-sklearn`,
        description: `${name}: load → metrics no slower than scikit-learn (tol=1e-8): median over rounds of ours ÷ scikit-learn${range(data.pairedRatios.total)}`,
        value: total,
        limit: 1,
        unit: '×',
        pass: total <= 1,
      },
      {
        id: `${key}.fit-vs-sklearn`,
        description: `${name}: preprocess + fit no slower than scikit-learn's fit (tol=1e-8): median over rounds of ours ÷ scikit-learn${range(data.pairedRatios.fit)}`,
        value: fit,
        limit: 1,
        unit: '×',
        pass: fit <= 1,
      },
    );
  }

  return {
    timed:
      'ours: `trainChurnModel({ csvPath })` from the CSV path to the test metrics (streamed CSV load and parse → stratified split → ' +
      'median/standardise/one-hot learned on the training rows → Newton logistic regression, tol 1e-8 → predict and metrics on the ' +
      'test rows); MLflow I/O, model export and process start-up are outside. scikit-learn: the same stages (pandas read_csv → ' +
      'train_test_split → Pipeline.fit → predict_proba + F1/ROC-AUC), imports outside. Peak RSS is the kernel high-water mark ' +
      '(VmHWM / ru_maxrss) of the whole process, runtime included. scikit-learn runs three ways: lbfgs with its defaults, lbfgs at tol=1e-8 (the ' +
      'reference the targets read) and newton-cholesky with its defaults. The ' +
      `${rowsName}-row CSV is written before timing starts. ` +
      `Telco: ${TELCO_REPEATS} rounds (ours: ${telco.runs.ours.map((run) => Math.round(run.totalMs)).join(', ')} ms); ${rowsName} rows: ${LARGE_REPEATS} round. ` +
      'Each round runs ours and scikit-learn tol=1e-8 back to back, which first alternating, then the other two scikit-learn runs. ' +
      "Totals are medians over rounds; stage times, iterations, peak RSS and F1/ROC-AUC are those of the run with the median total, each stage's range over every round beside it.",
    results,
    references,
    targets,
    notes: [
      ...(['total', 'fit'] as const).map((kind) => {
        const ratios = telco.pairedRatios[kind];
        const atMost1 = ratios.filter((ratio) => ratio <= 1).length;
        return `Telco per-round ratios, ${kind === 'total' ? 'load → metrics' : 'preprocess + fit ÷ fit'} (rounds 1–${ratios.length}): ${ratios.map((ratio) => ratio.toFixed(2)).join(', ')}; ${atMost1} of ${ratios.length} at most 1.`;
      }),
      "Until 2026-12-04 the training targets compared the median of 5 runs of ours with the median of 5 of scikit-learn (those runs are in bench/results/training.json's git history); the paired statistic RESULTS.md states for every other target, and 11 rounds, were adopted after them.",
      `${rowsName}-row synthetic CSV: ${(Number(written.bytes) / MB).toFixed(0)} MB, written in ${(Number(written.writeMs) / 1000).toFixed(1)} s (seed ${SYNTHETIC_SEED}, not part of any timing).`,
      'scikit-learn splits with its own train_test_split (same share and seed number, different rows), so test F1 and ROC-AUC are a sanity check, not parity; parity on identical rows is proven by the churn-pipeline test suite.',
      'scikit-learn "defaults" is lbfgs with tol=1e-4 and max_iter=100, which stops before the optimum; "tol=1e-8" matches our stopping rule (largest gradient component of the per-row average objective) and is the fair comparison.',
      `Resident memory before training starts (Node runtime and libraries loaded): ${(telco.ours.residentBeforeBytes / MB).toFixed(0)} MB; it is included in every peak RSS of ours.`,
    ],
  };
}
