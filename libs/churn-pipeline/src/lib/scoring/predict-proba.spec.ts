import { PipelineError, ScoringError } from '../errors';
import { sigmoid } from '../model/logistic-regression';
import type { FittedPipeline } from '../pipeline-contract';
import { predictLabels, predictProba } from './predict-proba';

const fitted: FittedPipeline = {
  schema: {
    target: 'Churn',
    positiveLabel: 'Yes',
    identifiers: ['id'],
    numeric: ['tenure'],
    categorical: ['plan', 'senior'],
  },
  numeric: [{ name: 'tenure', median: 10, mean: 12, scale: 4 }],
  categorical: [
    { name: 'plan', categories: ['basic', 'pro'] },
    { name: 'senior', categories: ['0', '1'] },
  ],
  coefficients: [-0.8, 0.3, -0.6, 0.1, 0.9],
  intercept: -0.5,
  threshold: 0.5,
};

describe('predictProba', () => {
  it('standardises numbers and numeric strings, and one-hot encodes text and numbers as decimal text', () => {
    const [probability] = predictProba(fitted, [{ tenure: '20', plan: 'pro', senior: 1 }]);
    expect(probability).toBeCloseTo(sigmoid(-0.5 - 0.8 * ((20 - 12) / 4) - 0.6 + 0.9), 15);
  });

  it('imputes the median for blank, null and absent numbers, and gives unseen or missing categories zeros', () => {
    const expected = sigmoid(-0.5 - 0.8 * ((10 - 12) / 4));
    const probabilities = predictProba(fitted, [
      { tenure: ' ', plan: 'enterprise', senior: null },
      { tenure: null, plan: '', senior: '2' },
      { plan: undefined, extra: 'ignored' },
    ]);
    expect(Array.from(probabilities)).toEqual([expected, expected, expected]);
  });

  it('names the record and column of a value its column cannot take', () => {
    expect(() => predictProba(fitted, [{ tenure: 1 }, { tenure: 'ten' }])).toThrow(
      new ScoringError('"ten" is not a number (numeric column)', 2, 'tenure'),
    );
    expect(() => predictProba(fitted, [{ plan: true as unknown as string }])).toThrow(
      new ScoringError('"true" cannot be a category (expected text or a number)', 1, 'plan'),
    );
  });

  it('does not modify the records or the pipeline', () => {
    const records = [{ tenure: '3', plan: 'basic' }];
    const copies = [structuredClone(records), structuredClone(fitted)];
    predictProba(fitted, records);
    expect([records, fitted]).toEqual(copies);
  });

  it('labels at or above the threshold as 1', () => {
    expect(Array.from(predictLabels({ ...fitted, threshold: 0.3 }, [{ tenure: 0 }, { tenure: 60 }]))).toEqual([1, 0]);
  });

  it('refuses an inconsistent pipeline', () => {
    expect(() => predictProba({ ...fitted, coefficients: [1] }, [])).toThrow(
      new PipelineError('1 coefficients for 5 features'),
    );
  });
});
