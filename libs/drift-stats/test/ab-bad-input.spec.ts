import {
  classificationMetrics,
  compareVariantMetrics,
  confusionCounts,
  f1DifferenceInterval,
  newcombeDifferenceInterval,
  normalQuantile,
  sampleRatioMismatch,
  wilsonInterval,
  type ConfusionCounts,
} from '../src';
import { expectDriftInputError } from './support/expect-drift-input-error';

const COUNTS: ConfusionCounts = { truePositives: 3, falsePositives: 1, trueNegatives: 4, falseNegatives: 2 };

describe('bad input to the champion/challenger statistics throws DriftInputError naming the argument', () => {
  it('rejects labels that are not paired 0/1 values', () => {
    expectDriftInputError(() => confusionCounts([1, 0, 1], [1, 0]), 'predicted', /has 2 labels but actual has 3/);
    expectDriftInputError(() => confusionCounts([1, 2, 1], [1, 0, 1]), 'actual[1]', /label 0 or 1, got 2/);
    expectDriftInputError(() => confusionCounts([1, 0, 1], [1, 0, 0.5]), 'predicted[2]', /got 0.5/);
    expectDriftInputError(() => confusionCounts([NaN], [1]), 'actual[0]', /got NaN/);
    expectDriftInputError(() => confusionCounts(['1'] as unknown as number[], [1]), 'actual[0]', /got 1/);
    expectDriftInputError(() => confusionCounts(null as unknown as number[], [1]), 'actual', /array of 0\/1 labels/);
    expectDriftInputError(
      () => confusionCounts([1], undefined as unknown as number[]),
      'predicted',
      /array of 0\/1 labels/,
    );
  });

  it('rejects confusion counts that are not integers ≥ 0', () => {
    expectDriftInputError(
      () => classificationMetrics({ ...COUNTS, falsePositives: -1 }),
      'counts.falsePositives',
      /integer ≥ 0, got -1/,
    );
    expectDriftInputError(
      () => classificationMetrics({ ...COUNTS, trueNegatives: 1.5 }),
      'counts.trueNegatives',
      /got 1.5/,
    );
    expectDriftInputError(
      () => classificationMetrics({ ...COUNTS, truePositives: NaN }),
      'counts.truePositives',
      /got NaN/,
    );
    expectDriftInputError(() => classificationMetrics(null as unknown as ConfusionCounts), 'counts', /truePositives/);
    expectDriftInputError(
      () => compareVariantMetrics({ ...COUNTS, falseNegatives: -2 }, COUNTS),
      'champion.falseNegatives',
      /got -2/,
    );
    expectDriftInputError(
      () => f1DifferenceInterval(COUNTS, { ...COUNTS, falsePositives: 0.5 }),
      'second.falsePositives',
      /got 0.5/,
    );
    expectDriftInputError(
      () => f1DifferenceInterval(null as unknown as ConfusionCounts, COUNTS),
      'first',
      /truePositives/,
    );
    expectDriftInputError(
      () => compareVariantMetrics(COUNTS, { ...COUNTS, truePositives: Infinity }),
      'challenger.truePositives',
      /got Infinity/,
    );
  });

  it('rejects probabilities and confidences outside (0, 1)', () => {
    for (const p of [0, 1, -0.1, 1.5, NaN]) expectDriftInputError(() => normalQuantile(p), 'p', /\(0, 1\)/);
    for (const confidence of [0, 1, 95, NaN]) {
      expectDriftInputError(() => wilsonInterval(1, 2, confidence), 'confidence', /\(0, 1\)/);
      expectDriftInputError(() => newcombeDifferenceInterval(1, 2, 1, 2, confidence), 'confidence', /\(0, 1\)/);
      expectDriftInputError(() => f1DifferenceInterval(COUNTS, COUNTS, confidence), 'confidence', /\(0, 1\)/);
      expectDriftInputError(() => compareVariantMetrics(COUNTS, COUNTS, confidence), 'confidence', /\(0, 1\)/);
    }
  });

  it('rejects a Wilson interval of no trials, more successes than trials, or non-integer counts', () => {
    expectDriftInputError(() => wilsonInterval(0, 0), 'trials', /at least 1/);
    expectDriftInputError(() => wilsonInterval(5, 4), 'successes', /must not exceed trials \(4\), got 5/);
    expectDriftInputError(() => wilsonInterval(-1, 4), 'successes', /integer ≥ 0, got -1/);
    expectDriftInputError(() => wilsonInterval(1.5, 4), 'successes', /got 1.5/);
    expectDriftInputError(() => wilsonInterval(1, 4.2), 'trials', /got 4.2/);
  });

  it('names which proportion of a Newcombe interval is wrong', () => {
    expectDriftInputError(() => newcombeDifferenceInterval(1, 0, 1, 2), 'trials1', /at least 1/);
    expectDriftInputError(() => newcombeDifferenceInterval(3, 2, 1, 2), 'successes1', /must not exceed trials1/);
    expectDriftInputError(() => newcombeDifferenceInterval(1, 2, 1, 0), 'trials2', /at least 1/);
    expectDriftInputError(() => newcombeDifferenceInterval(1, 2, 3, 2), 'successes2', /must not exceed trials2/);
    expectDriftInputError(() => newcombeDifferenceInterval(1, 2, -1, 2), 'successes2', /integer ≥ 0/);
  });

  it('rejects assignment counts and shares that cannot be checked for a sample-ratio mismatch', () => {
    expectDriftInputError(() => sampleRatioMismatch([10, -1], [0.5, 0.5]), 'observed[1]', /integer ≥ 0, got -1/);
    expectDriftInputError(() => sampleRatioMismatch([10.5, 1], [0.5, 0.5]), 'observed[0]', /got 10.5/);
    expectDriftInputError(() => sampleRatioMismatch([0, 0], [0.5, 0.5]), 'observed', /must not sum to 0/);
    expectDriftInputError(() => sampleRatioMismatch([10], [1]), 'observed', /at least two variants, got 1/);
    expectDriftInputError(
      () => sampleRatioMismatch([10, 5], [0.5, 0.25, 0.25]),
      'expectedShares',
      /3 shares but observed has 2/,
    );
    expectDriftInputError(() => sampleRatioMismatch([10, 5], [0.5, 0.6]), 'expectedShares', /sum to 1 .*got 1.1/);
    expectDriftInputError(() => sampleRatioMismatch([10, 5], [1.5, -0.5]), 'expectedShares[0]', /\[0, 1\], got 1.5/);
    expectDriftInputError(() => sampleRatioMismatch([10, 5], [0.5, NaN]), 'expectedShares[1]', /got NaN/);
    expectDriftInputError(
      () => sampleRatioMismatch('10,5' as unknown as number[], [0.5, 0.5]),
      'observed',
      /array of counts/,
    );
    expectDriftInputError(
      () => sampleRatioMismatch([10, 5], null as unknown as number[]),
      'expectedShares',
      /array of shares/,
    );
    for (const alpha of [0, 1, -0.01, NaN]) {
      expectDriftInputError(() => sampleRatioMismatch([10, 5], [0.5, 0.5], alpha), 'alpha', /\(0, 1\)/);
    }
  });
});
