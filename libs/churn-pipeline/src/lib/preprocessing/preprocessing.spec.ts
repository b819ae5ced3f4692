import { loadRecordsDataset } from '../data/churn-dataset';
import { DatasetError } from '../errors';
import type { FeatureSchema } from '../pipeline-contract';
import {
  buildDesignMatrix,
  featureNames,
  fitNumericTransform,
  fitPreprocessing,
  medianOfPresent,
} from './preprocessing';

const schema: FeatureSchema = { target: 'y', positiveLabel: '1', identifiers: [], numeric: ['x'], categorical: ['c'] };

describe('preprocessing', () => {
  it('takes the median of present values, averaging the middle two', () => {
    expect(medianOfPresent(Float64Array.of(3, Number.NaN, 1, 2, 10), [0, 1, 2, 3, 4])).toBe(2.5);
    expect(medianOfPresent(Float64Array.of(Number.NaN), [0])).toBeUndefined();
  });

  it('standardises the imputed column with the population std, and gives a constant column scale 1', () => {
    expect(fitNumericTransform('x', Float64Array.of(1, Number.NaN, 3), [0, 1, 2])).toEqual({
      name: 'x',
      median: 2,
      mean: 2,
      scale: Math.sqrt(2 / 3),
    });
    expect(fitNumericTransform('x', Float64Array.of(4, 4, Number.NaN), [0, 1, 2]).scale).toBe(1);
    expect(() => fitNumericTransform('x', Float64Array.of(Number.NaN, 1), [0])).toThrow(DatasetError);
  });

  it('learns on training rows only: categories sorted by code unit, unseen and missing encode as zeros', async () => {
    const dataset = await loadRecordsDataset(
      [
        { x: 1, c: 'b', y: 1 },
        { x: 3, c: 'B', y: 0 },
        { x: 100, c: 'held-out', y: 1 },
        { x: null, c: null, y: 0 },
      ],
      schema,
    );
    const learned = fitPreprocessing(dataset, [0, 1, 3]);
    expect(learned.numeric).toEqual([{ name: 'x', median: 2, mean: 2, scale: Math.sqrt(2 / 3) }]);
    expect(learned.categorical).toEqual([{ name: 'c', categories: ['B', 'b'] }]);
    expect(featureNames(learned)).toEqual(['num__x', 'cat__c_B', 'cat__c_b']);
    const design = buildDesignMatrix(dataset, learned, [2, 3, 0]);
    const z = (x: number): number => (x - 2) / Math.sqrt(2 / 3);
    expect(design).toEqual({
      rowCount: 3,
      featureCount: 3,
      values: Float64Array.of(z(100), 0, 0, z(2), 0, 0, z(1), 0, 1),
    });
  });
});
