import {
  buildTrainingStatistics,
  CategoricalFeatureWindow,
  datasetDrift,
  driftReport,
  DriftWindow,
  normalizedWassersteinDistance,
  numericFeatureDrift,
  NumericFeatureWindow,
  parseTrainingStatistics,
  ReservoirSample,
  SeededRandom,
  TrainingStatistics,
  wassersteinDistance,
  wassersteinDistanceAndScore,
} from '../src';
import { expectDriftInputError } from './support/expect-drift-input-error';
import { categoricalSample, normalSample } from './support/seeded-data';

const LEVELS = ['Month-to-month', 'One year', 'Two year'];
const TRAINING_SHARES = [0.55, 0.21, 0.24];

function trainingStatistics(): TrainingStatistics {
  return buildTrainingStatistics(
    {
      monthly_charges: normalSample(7000, 65, 30, 1),
      tenure: normalSample(7000, 32, 24, 2),
      contract: categoricalSample(7000, LEVELS, TRAINING_SHARES, 3),
    },
    { numeric: ['monthly_charges', 'tenure'], categorical: ['contract'] },
  );
}

function windowOf(
  reference: TrainingStatistics,
  rows: number,
  shift: { charges: number; contract: number[] },
  seed: number,
): DriftWindow {
  const window = DriftWindow.forReference(reference);
  const charges = normalSample(rows, 65 + shift.charges, 30, seed);
  const tenure = normalSample(rows, 32, 24, seed + 1);
  const contract = categoricalSample(rows, LEVELS, shift.contract, seed + 2);
  for (let i = 0; i < rows; i++) window.add({ monthly_charges: charges[i], tenure: tenure[i], contract: contract[i] });
  return window;
}

describe('drift verdict properties', () => {
  const reference = trainingStatistics();
  /** A window past the large-sample switch, drawn as training was: read only, by the tests that need one. */
  const largeWindow = windowOf(reference, 3000, { charges: 0, contract: TRAINING_SHARES }, 400);

  it('finds no drift when the live window replays the training sample itself', () => {
    for (const [name, column] of Object.entries(reference.numeric)) {
      const window = NumericFeatureWindow.forReference(column);
      column.sample.slice(0, 800).forEach((value) => window.add(value));
      const report = driftReport(
        { ...reference, numeric: { [name]: column }, categorical: {} },
        DriftWindow.fromJSON({ features: { [name]: window.toJSON() } }),
      );
      expect(report.features.map((f) => [f.name, f.method, f.status])).toEqual([[name, 'ks', 'ok']]);
      expect(report.dataset_drift).toBe(false);
    }
  });

  it.each([
    ['small window: KS and chi-square', 400, ['ks', 'ks', 'chisquare']],
    ['large window: Wasserstein and Jensen–Shannon', 4000, ['wasserstein', 'wasserstein', 'jensenshannon']],
  ])('finds no drift on fresh samples of the training distribution (%s)', (_label, rows, methods) => {
    const report = driftReport(reference, windowOf(reference, rows, { charges: 0, contract: TRAINING_SHARES }, 100));
    expect(report.features.map((f) => f.method)).toEqual(methods);
    expect(report.features.map((f) => f.status)).toEqual(['ok', 'ok', 'ok']);
    expect(report).toMatchObject({ dataset_drift: false, drifted_features: [], share: 0 });
  });

  it.each([
    ['small window', 400],
    ['large window', 4000],
  ])('flags exactly the shifted features and the dataset (%s)', (_label, rows) => {
    const report = driftReport(reference, windowOf(reference, rows, { charges: 20, contract: [0.2, 0.3, 0.5] }, 200));
    const status = Object.fromEntries(report.features.map((f) => [f.name, f.status]));
    expect(status).toEqual({ monthly_charges: 'drift', tenure: 'ok', contract: 'drift' });
    expect(report.dataset_drift).toBe(true);
    expect(report.drifted_features).toEqual(['monthly_charges', 'contract']);
    expect(report.share).toBeCloseTo(2 / 3, 15);
    const charges = report.features[0];
    expect(charges.psi).toBeGreaterThan(0.25);
  });

  it('reports the wiring-table fields, null where they do not apply', () => {
    const small = driftReport(reference, windowOf(reference, 300, { charges: 0, contract: TRAINING_SHARES }, 300));
    for (const feature of small.features) {
      expect(Object.keys(feature).sort()).toEqual([
        'method',
        'name',
        'p_value',
        'psi',
        'score',
        'statistic',
        'status',
        'threshold',
      ]);
      expect(feature.score).toBeNull();
      expect(feature.threshold).toBe(0.05);
    }
    const large = driftReport(reference, largeWindow);
    for (const feature of large.features) {
      expect(feature.p_value).toBeNull();
      expect(feature.threshold).toBe(0.1);
      expect(feature.score).toEqual(expect.any(Number));
    }
    expect(large.features.find((f) => f.method === 'jensenshannon')?.statistic).toBeNull();
    // The score and the statistic are those of the reference sample against the window's own sample.
    const live = (largeWindow.features.get('monthly_charges') as NumericFeatureWindow).sample;
    const charges = large.features.find((f) => f.name === 'monthly_charges');
    const { sample, std } = reference.numeric.monthly_charges;
    expect(charges?.method).toBe('wasserstein');
    expect(charges?.statistic).toBe(wassersteinDistance(sample, live));
    expect(charges?.score).toBe(normalizedWassersteinDistance(sample, live, std));
  });

  it('names a bad reference standard deviation before a bad reference sample', () => {
    const charges = largeWindow.features.get('monthly_charges') as NumericFeatureWindow;
    const broken = { ...reference.numeric.monthly_charges, std: -1, sample: [Number.NaN] };
    expectDriftInputError(
      () => numericFeatureDrift('monthly_charges', broken, charges),
      'referenceStandardDeviation',
      /≥ 0/,
    );
  });

  it('gives insufficient_data below the minimum window and no_reference without statistics', () => {
    const tiny = driftReport(reference, windowOf(reference, 29, { charges: 50, contract: [1, 0, 0] }, 500));
    expect(tiny.features.map((f) => f.status)).toEqual(['insufficient_data', 'insufficient_data', 'insufficient_data']);
    expect(tiny.features[0]).toEqual({
      name: 'monthly_charges',
      method: null,
      statistic: null,
      p_value: null,
      score: null,
      threshold: null,
      status: 'insufficient_data',
      psi: null,
    });
    expect(tiny.dataset_drift).toBe(false);
    const window = windowOf(reference, 200, { charges: 0, contract: TRAINING_SHARES }, 600);
    expect(driftReport(undefined, window).features.map((f) => f.status)).toEqual([
      'no_reference',
      'no_reference',
      'no_reference',
    ]);
    const partial = driftReport({ ...reference, numeric: { tenure: reference.numeric.tenure } }, window);
    expect(partial.features.map((f) => f.status)).toEqual(['no_reference', 'ok', 'ok']);
    expect(driftReport(reference, window, { minimumWindowSize: 201 }).features[0].status).toBe('insufficient_data');
  });

  it('applies configured thresholds: warn on PSI alone, a stricter dataset share', () => {
    const window = windowOf(reference, 500, { charges: 4, contract: TRAINING_SHARES }, 700);
    const lenient = driftReport(reference, window, { ksPValueThreshold: 0, psiWarnThreshold: 0 });
    expect(lenient.features.map((f) => f.status)).toEqual(['warn', 'warn', 'warn']);
    const verdict = datasetDrift(
      [
        { name: 'a', status: 'drift' },
        { name: 'b', status: 'ok' },
        { name: 'c', status: 'insufficient_data' },
      ],
      { datasetDriftShare: 0.6 },
    );
    expect(verdict).toEqual({ dataset_drift: false, drifted_features: ['a'], share: 0.5 });
    expect(datasetDrift([{ name: 'a', status: 'no_reference' }])).toEqual({
      dataset_drift: false,
      drifted_features: [],
      share: 0,
    });
  });

  it('treats a live level unseen at training as drift (chi-square p = 0) and counts it as "other"', () => {
    const column = reference.categorical.contract;
    const window = CategoricalFeatureWindow.forReference(column);
    for (let i = 0; i < 100; i++) window.add(i % 2 === 0 ? 'Month-to-month' : 'Ten year');
    expect(window.levelCounts).toEqual([50, 0, 0, 50]);
    const report = driftReport(reference, DriftWindow.fromJSON({ features: { contract: window.toJSON() } }));
    expect(report.features[0]).toMatchObject({ method: 'chisquare', statistic: Infinity, p_value: 0, status: 'drift' });
  });
});

/**
 * The definition wassersteinDistance walks without building: scipy's loop over the pooled sorted
 * sample, one term per consecutive pair, equal values included (their gap is 0).
 */
function pooledWasserstein(u: readonly number[], v: readonly number[]): number {
  const uSorted = Float64Array.from(u).sort();
  const vSorted = Float64Array.from(v).sort();
  const pooled = Float64Array.from([...uSorted, ...vSorted]).sort();
  let i = 0;
  let j = 0;
  let distance = 0;
  for (let k = 0; k < pooled.length - 1; k++) {
    while (i < uSorted.length && uSorted[i] <= pooled[k]) i++;
    while (j < vSorted.length && vSorted[j] <= pooled[k]) j++;
    distance += Math.abs(i / uSorted.length - j / vSorted.length) * (pooled[k + 1] - pooled[k]);
  }
  return distance;
}

describe('Wasserstein distance', () => {
  it('sums as the pooled loop does, bit for bit, ties and signed zeros included', () => {
    const random = new SeededRandom(7);
    // Small integers tie often, within and across the samples; ±0 are equal but sort apart.
    const value = () => {
      const pick = random.next();
      if (pick < 0.3) return random.nextInt(4);
      if (pick < 0.4) return pick < 0.35 ? -0 : 0;
      return (random.next() - 0.5) * 1000;
    };
    for (let round = 0; round < 2000; round++) {
      const u = Array.from({ length: 1 + random.nextInt(30) }, value);
      const v = Array.from({ length: 1 + random.nextInt(30) }, value);
      // The pair beside the sum, so a failure shows the samples; toEqual compares numbers with Object.is.
      expect({ u, v, distance: wassersteinDistance(u, v) }).toEqual({ u, v, distance: pooledWasserstein(u, v) });
    }
    expect(wassersteinDistance([2, 2, 2], [2, 2])).toBe(0);
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBe(5);
    // Finite samples whose gaps overflow: Infinity, or NaN where equal CDFs meet an infinite gap
    // (0 · ∞), as the pooled loop gives them; the normalised forms pass them on without throwing.
    const far: [number[], number[]] = [[-1e308], [1e308]];
    const wide: [number[], number[]] = [
      [-1.7e308, 1.7e308],
      [-1.7e308, 1.7e308],
    ];
    expect(pooledWasserstein(...far)).toBe(Infinity);
    expect(wassersteinDistance(...far)).toBe(Infinity);
    expect(normalizedWassersteinDistance(...far, 2)).toBe(Infinity);
    expect(wassersteinDistanceAndScore(...far, 0)).toEqual({ distance: Infinity, normalized: Infinity });
    expect(pooledWasserstein(...wide)).toBeNaN();
    expect(wassersteinDistance(...wide)).toBeNaN();
    expect(normalizedWassersteinDistance(...wide, 2)).toBeNaN();
  });

  it('gives the distance and its normalisation together as the two functions give them apart', () => {
    const u = normalSample(500, 0, 1, 11);
    const v = normalSample(400, 0.3, 1.2, 12);
    expect(wassersteinDistanceAndScore(u, v, 1.5)).toEqual({
      distance: wassersteinDistance(u, v),
      normalized: normalizedWassersteinDistance(u, v, 1.5),
    });
    expect(wassersteinDistanceAndScore(u, v, 1.5).normalized).toBe(wassersteinDistance(u, v) / 1.5);
    // A constant reference (σ = 0): no difference is 0, any difference infinitely large.
    expect(wassersteinDistanceAndScore([1, 1], [1], 0)).toEqual({ distance: 0, normalized: 0 });
    expect(wassersteinDistanceAndScore([1, 1], [2], 0)).toEqual({ distance: 1, normalized: Infinity });
  });
});

describe('live windows merge exactly', () => {
  const reference = trainingStatistics();

  it('merge(a, b) has the counts of one window fed both, whatever the split', () => {
    const rows = windowRows(2500, 900);
    for (const split of [0, 1, 700, 2499, 2500]) {
      const whole = DriftWindow.forReference(reference, 1000, 7);
      const first = DriftWindow.forReference(reference, 1000, 8);
      const second = DriftWindow.forReference(reference, 1000, 9);
      rows.forEach((row, i) => {
        whole.add(row);
        (i < split ? first : second).add(row);
      });
      const merged = first.merge(second);
      expect(countsOf(merged)).toEqual(countsOf(whole));
      expect(merged.size).toBe(2500);
      const charges = merged.features.get('monthly_charges') as NumericFeatureWindow;
      expect(charges.sample).toHaveLength(1000);
      const offered = new Set(rows.map((row) => row.monthly_charges));
      expect(charges.sample.every((value) => offered.has(value))).toBe(true);
    }
  });

  it('round-trips through JSON with the same counts, and merges after the round trip', () => {
    const rows = windowRows(1200, 901);
    const window = DriftWindow.forReference(reference);
    rows.forEach((row) => window.add(row));
    const restored = DriftWindow.fromJSON(JSON.parse(JSON.stringify(window)));
    expect(countsOf(restored)).toEqual(countsOf(window));
    expect((restored.features.get('tenure') as NumericFeatureWindow).sample).toEqual(
      (window.features.get('tenure') as NumericFeatureWindow).sample,
    );
    expect(countsOf(restored.merge(window))).toEqual(countsOf(window.merge(window)));
  });

  it('keeps a uniform sample when merging reservoirs of unequal streams', () => {
    // 500 seeded merges of a 300-value stream with a 100-value one into 50 slots: the share taken from
    // the first stream must be 300/400 = 0.75. Over 25 000 picks its standard error is at most
    // √(0.75·0.25/25 000) ≈ 0.0027 (less: picks within a merge are hypergeometric); 0.012 is 4.4 of those.
    let fromFirst = 0;
    const trials = 500;
    for (let trial = 0; trial < trials; trial++) {
      const first = new ReservoirSample(50, trial);
      const second = new ReservoirSample(50, trial + 10_000);
      for (let i = 0; i < 300; i++) first.add(i);
      for (let i = 0; i < 100; i++) second.add(1000 + i);
      fromFirst += first.merge(second).values.filter((v) => v < 1000).length;
    }
    expect(Math.abs(fromFirst / (trials * 50) - 0.75)).toBeLessThan(0.012);
  });

  it('validates train_stats.json built by buildTrainingStatistics after a JSON round trip', () => {
    expect(parseTrainingStatistics(JSON.parse(JSON.stringify(reference)))).toEqual(reference);
  });
});

function windowRows(
  n: number,
  seed: number,
): { monthly_charges: number; tenure: number | null; contract: string | null }[] {
  const charges = normalSample(n, 70, 30, seed);
  const tenure = normalSample(n, 30, 20, seed + 1);
  const contract = categoricalSample(n, [...LEVELS, 'unknown'], [0.5, 0.2, 0.2, 0.1], seed + 2);
  return charges.map((value, i) => ({
    monthly_charges: value,
    tenure: i % 17 === 0 ? null : tenure[i],
    contract: i % 23 === 0 ? null : contract[i],
  }));
}

function countsOf(window: DriftWindow): Record<string, unknown> {
  return Object.fromEntries(
    [...window.features].map(([name, feature]) => [
      name,
      feature instanceof NumericFeatureWindow
        ? { bins: feature.binCounts, missing: feature.missing, values: feature.valueCount }
        : { levels: feature.levelCounts, missing: feature.missing },
    ]),
  );
}
