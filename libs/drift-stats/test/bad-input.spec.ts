import {
  buildTrainingStatistics,
  CategoricalFeatureWindow,
  chiSquareGoodnessOfFit,
  chiSquareSurvival,
  countNumericBins,
  decileEdges,
  driftReport,
  DriftWindow,
  jensenShannonDistance,
  kolmogorovSmirnovTwoSample,
  normalizedWassersteinDistance,
  NumericFeatureWindow,
  parseTrainingStatistics,
  populationStabilityIndex,
  quantile,
  regularizedUpperGamma,
  ReservoirSample,
  wassersteinDistance,
  wassersteinDistanceAndScore,
} from '../src';
import { expectDriftInputError } from './support/expect-drift-input-error';

describe('bad input throws DriftInputError naming the field', () => {
  it('rejects empty and non-finite samples', () => {
    expectDriftInputError(() => kolmogorovSmirnovTwoSample([], [1]), 'reference', /must not be empty/);
    expectDriftInputError(() => kolmogorovSmirnovTwoSample([1, 2], [1, NaN]), 'current[1]', /finite number, got NaN/);
    expectDriftInputError(() => wassersteinDistance([1], [Infinity]), 'v[0]', /finite/);
    expectDriftInputError(() => quantile([1, 2], 1.5), 'probabilities[0]', /\[0, 1\]/);
    expectDriftInputError(() => decileEdges([]), 'values', /must not be empty/);
  });

  it('rejects counts and frequencies that cannot be tested', () => {
    expectDriftInputError(
      () => chiSquareGoodnessOfFit([1, 2], [1]),
      'observed',
      /2 categories but referenceFrequencies has 1/,
    );
    expectDriftInputError(() => chiSquareGoodnessOfFit([5, 0], [1, 0]), 'observed', /at least two categories/);
    expectDriftInputError(() => chiSquareGoodnessOfFit([5, -1], [1, 1]), 'observed[1]', /≥ 0/);
    expectDriftInputError(() => jensenShannonDistance([0, 0], [1, 1]), 'p', /must not sum to 0/);
    expectDriftInputError(() => populationStabilityIndex([1, 2], [0, 0]), 'currentCounts', /must not sum to 0/);
    expectDriftInputError(() => populationStabilityIndex([1, 2], [1, 2], 0), 'emptyBinShare', /\(0, 1\)/);
    expectDriftInputError(() => countNumericBins([1], [2, 2]), 'innerEdges[1]', /increase strictly/);
    expectDriftInputError(() => normalizedWassersteinDistance([1], [2], -1), 'referenceStandardDeviation', /≥ 0/);
    // The standard deviation is checked before the samples.
    expectDriftInputError(
      () => normalizedWassersteinDistance([Number.NaN], [1], -1),
      'referenceStandardDeviation',
      /≥ 0/,
    );
    expectDriftInputError(() => wassersteinDistanceAndScore([1], [Number.NaN], 1), 'v[0]', /finite/);
    expectDriftInputError(() => regularizedUpperGamma(0, 1), 'a', /a > 0/);
    expectDriftInputError(() => chiSquareSurvival(-1, 2), 'x', /≥ 0/);
  });

  it('names the column and row of a bad training cell, and a missing column', () => {
    const schema = { numeric: ['tenure'], categorical: ['contract'] };
    expectDriftInputError(
      () => buildTrainingStatistics({ tenure: [1, '2' as unknown as number], contract: ['a', 'b'] }, schema),
      'columns.tenure[1]',
      /finite number or null, got "2"/,
    );
    expectDriftInputError(() => buildTrainingStatistics({ tenure: [1, 2] }, schema), 'columns.contract', /is missing/);
    expectDriftInputError(
      () => buildTrainingStatistics({ tenure: [null, null], contract: ['a', 'b'] }, schema),
      'columns.tenure',
      /only missing/,
    );
    expectDriftInputError(
      () => buildTrainingStatistics({ tenure: [1], contract: ['a', 'b'] }, schema),
      'columns.contract',
      /2 rows but columns.tenure has 1/,
    );
  });

  it('names the offending field of a malformed train_stats.json or window', () => {
    const stats = buildTrainingStatistics({ tenure: [1, 2, 3, 4, 5] }, { numeric: ['tenure'], categorical: [] });
    const broken = JSON.parse(JSON.stringify(stats));
    broken.numeric.tenure.bin_counts.pop();
    expectDriftInputError(
      () => parseTrainingStatistics(broken),
      'numeric.tenure.bin_counts',
      /expected bin_edges.length \+ 1/,
    );
    expectDriftInputError(() => parseTrainingStatistics({ format_version: 2 }), 'format_version', /expected 1/);
    const window = NumericFeatureWindow.forReference(stats.numeric.tenure);
    window.add(3);
    const json = window.toJSON();
    expectDriftInputError(
      () => NumericFeatureWindow.fromJSON({ ...json, bin_counts: json.bin_counts.map(() => 0) }),
      'window.bin_counts',
      /sum to 0/,
    );
    expectDriftInputError(() => new ReservoirSample(10, 1).merge(new ReservoirSample(20, 1)), 'other.capacity', /20/);
    expectDriftInputError(
      () => window.merge(NumericFeatureWindow.forReference({ bin_edges: [0] })),
      'other.binEdges',
      /cannot merge/,
    );
  });

  it('names the column of a live value of the wrong type', () => {
    const stats = buildTrainingStatistics(
      { tenure: [1, 2, 3], contract: ['a', 'b', 'a'] },
      { numeric: ['tenure'], categorical: ['contract'] },
    );
    const window = DriftWindow.forReference(stats);
    expectDriftInputError(
      () => window.add({ tenure: '12', contract: 'a' }),
      'tenure',
      /expected a number, got the string "12"/,
    );
    expectDriftInputError(
      () => window.add({ tenure: 12, contract: 3 }),
      'contract',
      /expected a string, got the number 3/,
    );
    expectDriftInputError(
      () => driftReport(stats, window, { ksPValueThreshold: NaN }),
      'options.ksPValueThreshold',
      /finite/,
    );
  });
});

describe('inputs are never mutated', () => {
  it('leaves frozen arrays and training columns untouched', () => {
    const reference = Object.freeze([5, 3, 1, 4, 2, 9, 7, 8, 6, 0]);
    const current = Object.freeze([9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5]);
    kolmogorovSmirnovTwoSample(reference, current);
    wassersteinDistance(reference, current);
    decileEdges(reference);
    quantile(reference, 0.3);
    chiSquareGoodnessOfFit(Object.freeze([3, 4]), Object.freeze([1, 1]));
    jensenShannonDistance(Object.freeze([3, 4]), Object.freeze([1, 1]));
    const columns = Object.freeze({
      tenure: Object.freeze([3, null, 1, 2]),
      contract: Object.freeze(['b', 'a', null, 'a']),
    });
    const stats = buildTrainingStatistics(columns, { numeric: ['tenure'], categorical: ['contract'] });
    expect(columns.tenure).toEqual([3, null, 1, 2]);
    const edges = [...stats.numeric.tenure.bin_edges];
    const window = NumericFeatureWindow.forReference(stats.numeric.tenure);
    window.add(2);
    expect(stats.numeric.tenure.bin_edges).toEqual(edges);
    const categorical = CategoricalFeatureWindow.forReference(stats.categorical.contract);
    categorical.add('a');
    const before = categorical.levelCounts;
    categorical.merge(categorical);
    expect(categorical.levelCounts).toEqual(before);
    expect(reference).toEqual([5, 3, 1, 4, 2, 9, 7, 8, 6, 0]);
  });
});
