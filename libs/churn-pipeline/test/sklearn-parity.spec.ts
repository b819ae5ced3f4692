/**
 * Parity with scikit-learn on the IBM Telco data: our split is exported, scikit-learn fits its own
 * pipeline on the same rows (test/python/sklearn_parity.py, run here through CHURN_PYTHON), and the
 * learned preprocessing, coefficients and metrics must agree.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  evaluateClassifier,
  logLoss,
  predictProba,
  rocAuc,
  trainChurnModel,
  type ClassificationMetrics,
  type CustomerRecord,
  type TrainedChurnModel,
} from '../src/index';
import { readRawRecords, runPythonScript, TELCO_CSV } from './support/paths';
import { largestDifference, mismatch, vectorMismatches } from './support/tolerance';

interface ReferenceFit {
  name: string;
  featureNames: string[];
  medians: number[];
  means: number[];
  scales: number[];
  categories: string[][];
  coefficients: number[];
  intercept: number;
  iterations: number;
  testProbabilities: number[];
  metrics: Omit<ClassificationMetrics, 'support' | 'threshold'>;
  metricsOfOurProbabilities: Omit<ClassificationMetrics, 'support' | 'threshold'>;
}

interface Reference {
  fits: ReferenceFit[];
  metricCases: { rocAuc: number; logLoss: number }[];
}

// Required by the issue: both optimisers reach the same strictly convex optimum, so coefficients
// differ only by lbfgs' remaining error at tol=1e-10 (observed ~1e-6); 1e-3 leaves room for BLAS and
// platform differences while still failing on any difference in the objective (a missed class weight,
// a penalised intercept or a different scaling moves coefficients by 1e-2 or more).
const COEFFICIENT_TOLERANCE = 1e-3;
// Required by the issue: ROC AUC within 0.002 and F1 within 0.01 between our model and scikit-learn's
// on the same test rows; F1 can flip by a few test rows sitting at probability ~0.5.
const ROC_AUC_TOLERANCE = 0.002;
const F1_TOLERANCE = 0.01;
// Same formulas on identical inputs: only summation order differs (relative error ~1e-15 × rows).
const METRIC_FORMULA_TOLERANCE = 1e-12;
// Medians are exact values of the data; means and scales differ only by summation order.
const PREPROCESSING_TOLERANCE = 1e-9;

const metricNames = ['f1', 'accuracy', 'precision', 'recall', 'rocAuc', 'logLoss'] as const;

describe('parity with scikit-learn on the Telco data', () => {
  let workDir: string;
  let records: CustomerRecord[];
  const trained: Record<string, TrainedChurnModel> = {};
  const ourTestProbabilities: Record<string, Float64Array> = {};
  let reference: Reference;
  let metricCases: { labels: number[]; scores: number[] }[];

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'churn-parity-'));
    records = await readRawRecords(TELCO_CSV);
    trained['unweighted'] = await trainChurnModel({ csvPath: TELCO_CSV, seed: 42 });
    trained['balanced'] = await trainChurnModel({ csvPath: TELCO_CSV, seed: 7, classWeight: 'balanced' });
    for (const [name, model] of Object.entries(trained)) {
      ourTestProbabilities[name] = predictProba(
        model.pipeline,
        model.split.test.map((row) => records[row]),
      );
    }
    const unweighted = trained['unweighted'];
    const testLabels = unweighted.split.test.map((row) => (records[row]['Churn'] === 'Yes' ? 1 : 0));
    const probabilities = Array.from(ourTestProbabilities['unweighted']);
    metricCases = [
      // Scores rounded to one decimal: heavy ties, which roc_auc_score handles as diagonal segments.
      { labels: testLabels, scores: probabilities.map((p) => Math.round(p * 10) / 10) },
      // Certain (0 and 1) scores, right and wrong: log_loss clips them to [eps, 1 - eps].
      { labels: [0, 1, 1, 0, 1, 0], scores: [0, 1, 0, 1, 0.5, 0.5] },
      { labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8] },
    ];
    const inputPath = path.join(workDir, 'parity-input.json');
    writeFileSync(
      inputPath,
      JSON.stringify({
        csv: TELCO_CSV,
        schema: unweighted.pipeline.schema,
        fits: Object.entries(trained).map(([name, model]) => ({
          name,
          classWeight: model.parameters.classWeight,
          split: model.split,
          ourTestProbabilities: Array.from(ourTestProbabilities[name]),
        })),
        metricCases,
      }),
    );
    reference = runPythonScript<Reference>('sklearn_parity.py', [inputPath]);
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  const referenceFor = (name: string): ReferenceFit => {
    const fit = reference.fits.find((candidate) => candidate.name === name);
    if (fit === undefined) throw new Error(`the reference script returned no fit named ${name}`);
    return fit;
  };

  it.each(['unweighted', 'balanced'])('learns the same preprocessing as scikit-learn (%s)', (name) => {
    const ours = trained[name];
    const theirs = referenceFor(name);
    expect(ours.featureNames).toEqual(theirs.featureNames);
    expect(ours.pipeline.categorical.map((t) => t.categories)).toEqual(theirs.categories);
    expect([
      ...vectorMismatches(
        'median',
        ours.pipeline.numeric.map((t) => t.median),
        theirs.medians,
        PREPROCESSING_TOLERANCE,
      ),
      ...vectorMismatches(
        'mean',
        ours.pipeline.numeric.map((t) => t.mean),
        theirs.means,
        PREPROCESSING_TOLERANCE,
      ),
      ...vectorMismatches(
        'scale',
        ours.pipeline.numeric.map((t) => t.scale),
        theirs.scales,
        PREPROCESSING_TOLERANCE,
      ),
    ]).toEqual([]);
  });

  it.each(['unweighted', 'balanced'])('reaches scikit-learn’s coefficients and intercept (%s)', (name) => {
    const ours = trained[name];
    const theirs = referenceFor(name);
    expect(ours.fit.converged).toBe(true);
    const problems = [
      ...vectorMismatches('coefficient', ours.pipeline.coefficients, theirs.coefficients, COEFFICIENT_TOLERANCE),
      mismatch('intercept', ours.pipeline.intercept, theirs.intercept, COEFFICIENT_TOLERANCE),
    ].filter((problem) => problem !== null);
    expect(problems).toEqual([]);
    // The largest difference is reported so that a drift towards the tolerance is visible in logs.
    expect(largestDifference(ours.pipeline.coefficients, theirs.coefficients)).toBeLessThanOrEqual(
      COEFFICIENT_TOLERANCE,
    );
  });

  it.each(['unweighted', 'balanced'])('scores the test rows as scikit-learn’s model does (%s)', (name) => {
    const ours = trained[name];
    const theirs = referenceFor(name);
    expect(
      [
        mismatch('ROC AUC', ours.metrics.rocAuc, theirs.metrics.rocAuc, ROC_AUC_TOLERANCE),
        mismatch('F1', ours.metrics.f1, theirs.metrics.f1, F1_TOLERANCE),
      ].filter((problem) => problem !== null),
    ).toEqual([]);
    // Probabilities follow from coefficients within 1e-3 on standardised features; 1e-3 bounds them too.
    expect(
      vectorMismatches('test probability', ourTestProbabilities[name], theirs.testProbabilities, COEFFICIENT_TOLERANCE),
    ).toEqual([]);
  });

  it.each(['unweighted', 'balanced'])(
    'computes every metric as sklearn.metrics does on the same predictions (%s)',
    (name) => {
      const ours = trained[name];
      const testLabels = ours.split.test.map((row) => (records[row]['Churn'] === 'Yes' ? 1 : 0));
      const metrics = evaluateClassifier(testLabels, ourTestProbabilities[name], 0.5);
      const theirs = referenceFor(name).metricsOfOurProbabilities;
      expect(
        metricNames
          .map((metric) => mismatch(metric, metrics[metric], theirs[metric], METRIC_FORMULA_TOLERANCE))
          .filter(Boolean),
      ).toEqual([]);
      expect(metrics.confusionMatrix).toEqual(theirs.confusionMatrix);
      // The training run evaluated through the design matrix; scoring raw records must give the same.
      expect(
        metricNames
          .map((metric) =>
            mismatch(`trained ${metric}`, ours.metrics[metric], metrics[metric], METRIC_FORMULA_TOLERANCE),
          )
          .filter(Boolean),
      ).toEqual([]);
    },
  );

  it('handles tied and certain scores in ROC AUC and log loss as scikit-learn does', () => {
    const problems = metricCases.flatMap((metricCase, index) => [
      mismatch(
        `case ${index} ROC AUC`,
        rocAuc(metricCase.labels, metricCase.scores),
        reference.metricCases[index].rocAuc,
        METRIC_FORMULA_TOLERANCE,
      ),
      mismatch(
        `case ${index} log loss`,
        logLoss(metricCase.labels, metricCase.scores),
        reference.metricCases[index].logLoss,
        METRIC_FORMULA_TOLERANCE,
      ),
    ]);
    expect(problems.filter((problem) => problem !== null)).toEqual([]);
  });
});
