import {
  classificationMetrics,
  compareVariantMetrics,
  confusionCounts,
  f1DifferenceInterval,
  f1Variance,
  newcombeDifferenceInterval,
  normalQuantile,
  sampleRatioMismatch,
  SeededRandom,
  wilsonInterval,
  type ConfusionCounts,
} from '../src';

/** Increasing confidences: each interval must contain the one before it. */
const CONFIDENCES = [0.5, 0.8, 0.9, 0.95, 0.99, 0.999];

/** Seeded (successes, trials) pairs, with the edges 0 and trials included. */
function proportions(count: number, seed: number): [number, number][] {
  const random = new SeededRandom(seed);
  const pairs: [number, number][] = [
    [0, 1],
    [1, 1],
    [0, 50],
    [50, 50],
    [1, 2],
  ];
  for (let i = 0; i < count; i++) {
    const trials = 1 + Math.floor(random.next() * 2000);
    pairs.push([Math.floor(random.next() * (trials + 1)), trials]);
  }
  return pairs;
}

describe('properties of the champion/challenger statistics', () => {
  it('Wilson intervals contain the point estimate, stay in [0, 1] and narrow as confidence falls', () => {
    for (const [successes, trials] of proportions(200, 11)) {
      const estimate = successes / trials;
      const intervals = CONFIDENCES.map((confidence) => wilsonInterval(successes, trials, confidence));
      intervals.forEach((interval, i) => {
        const label = `wilsonInterval(${successes}, ${trials}, ${CONFIDENCES[i]}) = ${JSON.stringify(interval)}, p̂ ${estimate}`;
        const contains = interval.lower <= estimate && estimate <= interval.upper;
        const inUnit = interval.lower >= 0 && interval.upper <= 1;
        expect({ label, contains, inUnit }).toEqual({ label, contains: true, inUnit: true });
        if (i > 0) {
          const wider = intervals[i - 1];
          expect({ label, nested: interval.lower <= wider.lower && wider.upper <= interval.upper }).toEqual({
            label,
            nested: true,
          });
        }
      });
    }
  });

  it('Wilson bounds are exactly 0 at no successes and exactly 1 at all successes', () => {
    expect(wilsonInterval(0, 37).lower).toBe(0);
    expect(wilsonInterval(37, 37).upper).toBe(1);
  });

  it('Newcombe intervals contain the difference and narrow as confidence falls', () => {
    const first = proportions(60, 12);
    const second = proportions(60, 13);
    first.forEach(([successes1, trials1], k) => {
      const [successes2, trials2] = second[k];
      const intervals = CONFIDENCES.map((confidence) =>
        newcombeDifferenceInterval(successes1, trials1, successes2, trials2, confidence),
      );
      intervals.forEach((interval, i) => {
        const label = `newcombe(${successes1}/${trials1} − ${successes2}/${trials2}, ${CONFIDENCES[i]}) = ${JSON.stringify(interval)}`;
        const contains = interval.lower <= interval.difference && interval.difference <= interval.upper;
        expect({ label, contains }).toEqual({ label, contains: true });
        if (i > 0) {
          const wider = intervals[i - 1];
          expect({ label, nested: interval.lower <= wider.lower && wider.upper <= interval.upper }).toEqual({
            label,
            nested: true,
          });
        }
      });
    });
  });

  it('the normal quantile is odd about ½ and increasing', () => {
    let previous = -Infinity;
    for (let k = 1; k < 1024; k++) {
      const p = k / 1024;
      const z = normalQuantile(p);
      expect(z).toBeGreaterThan(previous);
      expect(normalQuantile(1 - p) + z).toBe(0);
      previous = z;
    }
  });

  it('counts labels from typed arrays without changing them', () => {
    const actual = Int8Array.from([1, 1, 0, 0, 1]);
    const predicted = Float64Array.from([1, 0, 0, 1, 1]);
    expect(confusionCounts(actual, predicted)).toEqual(confusionCounts([1, 1, 0, 0, 1], [1, 0, 0, 1, 1]));
    expect(Array.from(actual)).toEqual([1, 1, 0, 0, 1]);
    expect(Array.from(predicted)).toEqual([1, 0, 0, 1, 1]);
  });

  it('gives null for every metric of no labelled predictions', () => {
    expect(classificationMetrics(confusionCounts([], []))).toEqual({
      count: 0,
      accuracy: null,
      precision: null,
      recall: null,
      f1: null,
    });
  });

  it('compares each metric with the Newcombe interval of its own proportions, challenger first', () => {
    const champion: ConfusionCounts = { truePositives: 30, falsePositives: 10, trueNegatives: 50, falseNegatives: 10 };
    const challenger: ConfusionCounts = { truePositives: 36, falsePositives: 4, trueNegatives: 55, falseNegatives: 5 };
    const championCopy = { ...champion };
    const [accuracy, precision, recall] = compareVariantMetrics(champion, challenger, 0.9);
    expect(accuracy).toEqual({
      metric: 'accuracy',
      champion: 0.8,
      challenger: 0.91,
      ...newcombeDifferenceInterval(91, 100, 80, 100, 0.9),
      significant: true,
    });
    expect(precision).toMatchObject({ metric: 'precision', ...newcombeDifferenceInterval(36, 40, 30, 40, 0.9) });
    expect(recall).toMatchObject({ metric: 'recall', ...newcombeDifferenceInterval(36, 41, 30, 40, 0.9) });
    expect(champion).toEqual(championCopy);
  });

  it('compares F1 with the delta method: symmetric about the difference, half as wide with four times the counts, blind to true negatives', () => {
    const champion: ConfusionCounts = { truePositives: 30, falsePositives: 10, trueNegatives: 50, falseNegatives: 10 };
    const challenger: ConfusionCounts = { truePositives: 36, falsePositives: 4, trueNegatives: 55, falseNegatives: 5 };
    const f1 = compareVariantMetrics(champion, challenger, 0.9)[3];
    expect(f1).toMatchObject({ metric: 'f1', champion: 60 / 80, challenger: 72 / 81, confidence: 0.9 });
    expect(f1.difference).toBeCloseTo(72 / 81 - 60 / 80, 15);
    const lower = f1.lower as number;
    const upper = f1.upper as number;
    expect((lower + upper) / 2).toBeCloseTo(f1.difference as number, 14);
    // By hand: Var = 4·TP·E·(TP+E)/(2TP+E)⁴ per arm, z(0.9) = 1.6448536269514722.
    const variance = (tp: number, errors: number) => (4 * tp * errors * (tp + errors)) / (2 * tp + errors) ** 4;
    expect(f1Variance(champion)).toBeCloseTo(variance(30, 20), 17);
    expect((upper - lower) / 2).toBeCloseTo(1.6448536269514722 * Math.sqrt(variance(30, 20) + variance(36, 9)), 14);
    const times = (c: ConfusionCounts, k: number): ConfusionCounts => ({
      truePositives: k * c.truePositives,
      falsePositives: k * c.falsePositives,
      trueNegatives: k * c.trueNegatives,
      falseNegatives: k * c.falseNegatives,
    });
    const larger = compareVariantMetrics(times(champion, 4), times(challenger, 4), 0.9)[3];
    expect(((larger.upper as number) - (larger.lower as number)) / (upper - lower)).toBeCloseTo(0.5, 14);
    expect(compareVariantMetrics({ ...champion, trueNegatives: 5000 }, challenger, 0.9)[3]).toEqual(f1);
  });

  it('gives F1 no interval where an arm’s F1 is exactly 1 or 0, whose delta-method spread is 0, or undefined', () => {
    const some: ConfusionCounts = { truePositives: 5, falsePositives: 1, trueNegatives: 9, falseNegatives: 2 };
    const perfect: ConfusionCounts = { truePositives: 4, falsePositives: 0, trueNegatives: 6, falseNegatives: 0 };
    const missedAll: ConfusionCounts = { truePositives: 0, falsePositives: 2, trueNegatives: 6, falseNegatives: 3 };
    const noPositives: ConfusionCounts = { truePositives: 0, falsePositives: 0, trueNegatives: 7, falseNegatives: 0 };
    expect(compareVariantMetrics(some, perfect)[3]).toEqual({
      metric: 'f1',
      champion: 10 / 13,
      challenger: 1,
      difference: null,
      lower: null,
      upper: null,
      confidence: 0.95,
      significant: false,
    });
    expect(compareVariantMetrics(missedAll, some)[3]).toMatchObject({
      champion: 0,
      difference: null,
      significant: false,
    });
    expect(compareVariantMetrics(noPositives, some)[3]).toMatchObject({
      champion: null,
      difference: null,
      significant: false,
    });
    expect(f1Variance(perfect)).toBe(0);
    expect(f1Variance(noPositives)).toBeUndefined();
    expect(f1DifferenceInterval(perfect, some)).toBeUndefined();
  });

  it('leaves a metric null and not significant where a variant has no trials for it', () => {
    const noLabels: ConfusionCounts = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 };
    const some: ConfusionCounts = { truePositives: 5, falsePositives: 1, trueNegatives: 9, falseNegatives: 2 };
    for (const difference of compareVariantMetrics(noLabels, some)) {
      expect(difference).toMatchObject({
        champion: null,
        difference: null,
        lower: null,
        upper: null,
        significant: false,
      });
    }
  });

  it('reports no mismatch when every unit went to the only variant with a share, and copies its input', () => {
    const observed = [120, 0];
    const result = sampleRatioMismatch(observed, [1, 0]);
    expect(result).toEqual({
      statistic: 0,
      pValue: 1,
      degreesOfFreedom: 0,
      alpha: 0.001,
      mismatch: false,
      observed: [120, 0],
      expected: [120, 0],
    });
    result.observed[0] = 7;
    expect(observed).toEqual([120, 0]);
  });

  it('flags a mismatch exactly when the p-value is below the chosen alpha', () => {
    const skewed = sampleRatioMismatch([5150, 4850], [0.5, 0.5], 0.01);
    expect(skewed.pValue).toBeLessThan(0.01);
    expect(skewed.mismatch).toBe(true);
    expect(sampleRatioMismatch([5150, 4850], [0.5, 0.5]).mismatch).toBe(skewed.pValue < 0.001);
  });
});
