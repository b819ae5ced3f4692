import type { VariantAggregate } from '../prediction-log';
import type { TrafficSettings } from '../routing/traffic-settings';
import { buildAbReport, type AbReportInput } from './ab-report';

function aggregate(
  partial: Partial<VariantAggregate> & Pick<VariantAggregate, 'variant' | 'version'>,
): VariantAggregate {
  return {
    alias: partial.variant,
    count: 0,
    labelled: 0,
    truePositives: 0,
    falsePositives: 0,
    trueNegatives: 0,
    falseNegatives: 0,
    shadowCount: 0,
    shadowAgreements: 0,
    shadowDifferenceSum: 0,
    shadowAbsDifferenceSum: 0,
    shadowAbsDifferenceMax: null,
    ...partial,
  };
}

const TRAFFIC: TrafficSettings = {
  challengerShare: 0.5,
  shadow: false,
  salt: 's',
  perRequest: false,
  championVersion: '1',
  challengerVersion: '2',
  problems: [],
};

function input(aggregates: VariantAggregate[], overrides: Partial<AbReportInput> = {}): AbReportInput {
  return {
    modelName: 'churn_model',
    aggregates,
    traffic: TRAFFIC,
    assignments: { champion: 100, challenger: 100 },
    since: undefined,
    until: undefined,
    confidence: 0.95,
    minLabels: 30,
    now: new Date('2026-11-27T12:00:00Z'),
    ...overrides,
  };
}

// Champion: 200 labelled of 250, TP 40 FP 10 TN 100 FN 50 → accuracy 140/200, precision 40/50,
// recall 40/90, F1 2·40/(2·40+10+50) = 80/140. Challenger: TP 80 FP 10 TN 100 FN 10 over 200.
const CHAMPION = aggregate({
  variant: 'champion',
  version: '1',
  count: 250,
  labelled: 200,
  truePositives: 40,
  falsePositives: 10,
  trueNegatives: 100,
  falseNegatives: 50,
});
const CHALLENGER = aggregate({
  variant: 'challenger',
  version: '2',
  count: 240,
  labelled: 200,
  truePositives: 80,
  falsePositives: 10,
  trueNegatives: 100,
  falseNegatives: 10,
});

describe('buildAbReport', () => {
  it('computes each arm’s metrics from its confusion counts, as by hand', () => {
    const report = buildAbReport(input([CHAMPION, CHALLENGER]));
    expect(report.comparison.champion).toEqual({
      count: 250,
      labelled: 200,
      accuracy: 140 / 200,
      precision: 40 / 50,
      recall: 40 / 90,
      f1: 80 / 140,
      confusion: { true_positives: 40, false_positives: 10, true_negatives: 100, false_negatives: 50 },
    });
    expect(report.comparison.challenger).toMatchObject({
      accuracy: 180 / 200,
      precision: 80 / 90,
      recall: 80 / 90,
      f1: 160 / 180,
    });
    expect(report.comparison.f1_difference).toBeCloseTo(160 / 180 - 80 / 140, 15);
    expect(report.comparison.differences.map((entry) => [entry.metric, entry.difference])).toEqual([
      ['accuracy', 180 / 200 - 140 / 200],
      ['precision', 80 / 90 - 40 / 50],
      ['recall', 80 / 90 - 40 / 90],
      ['f1', 160 / 180 - 80 / 140],
    ]);
    for (const entry of report.comparison.differences) {
      expect(entry.lower as number).toBeLessThan(entry.difference as number);
      expect(entry.upper as number).toBeGreaterThan(entry.difference as number);
    }
    expect(report.verdict).toBe('challenger_better');
    expect(report.verdict_reason).toContain('better on accuracy, recall, f1 and worse on none');
  });

  it('sums an arm over its versions and lists every version on its own', () => {
    const older = aggregate({
      variant: 'challenger',
      version: '3',
      count: 10,
      labelled: 10,
      truePositives: 5,
      trueNegatives: 5,
    });
    const report = buildAbReport(input([CHAMPION, CHALLENGER, older]));
    expect(report.variants.map((entry) => [entry.variant, entry.version, entry.count, entry.labelled])).toEqual([
      ['champion', '1', 250, 200],
      ['challenger', '2', 240, 200],
      ['challenger', '3', 10, 10],
    ]);
    expect(report.comparison.challenger).toMatchObject({ count: 250, labelled: 210, accuracy: 190 / 210 });
  });

  it('flags a sample-ratio mismatch before, and instead of, any verdict on the metrics', () => {
    const report = buildAbReport(input([CHAMPION, CHALLENGER], { assignments: { champion: 100, challenger: 200 } }));
    expect(report.sample_ratio_mismatch).toMatchObject({
      checked: true,
      mismatch: true,
      alpha: 0.001,
      users: { champion: 100, challenger: 200 },
    });
    // χ² = (100 − 150)²/150 · 2 = 33.3 with 1 degree of freedom: p ≈ 7.7e-9.
    expect(report.sample_ratio_mismatch.statistic).toBeCloseTo(100 / 3, 12);
    expect(report.sample_ratio_mismatch.p_value as number).toBeLessThan(1e-8);
    expect(report.verdict).toBe('sample_ratio_mismatch');
    expect(report.verdict_reason).toContain('100:200');
  });

  it('says a 0-share arm that got users is a mismatch (statistic null: JSON has no Infinity)', () => {
    const report = buildAbReport(
      input([CHAMPION], { traffic: { ...TRAFFIC, challengerShare: 0 }, assignments: { champion: 50, challenger: 1 } }),
    );
    expect(report.sample_ratio_mismatch).toMatchObject({ checked: true, mismatch: true, statistic: null, p_value: 0 });
  });

  it('waits for enough labels in both arms, and says so', () => {
    const few = aggregate({
      variant: 'challenger',
      version: '2',
      count: 100,
      labelled: 12,
      truePositives: 6,
      trueNegatives: 6,
    });
    const report = buildAbReport(input([CHAMPION, few]));
    expect(report.verdict).toBe('insufficient_labels');
    expect(report.verdict_reason).toContain('challenger 12');
  });

  it('reports no experiment, and no check, when no request was split', () => {
    const production = aggregate({ variant: 'production', version: '1', count: 20 });
    const report = buildAbReport(
      input([production], { traffic: { ...TRAFFIC, challengerShare: null }, assignments: undefined }),
    );
    expect(report.verdict).toBe('no_experiment');
    expect(report.sample_ratio_mismatch).toMatchObject({ checked: false, mismatch: false, statistic: null });
  });

  it('averages shadow agreement and differences over the rows that had one', () => {
    const shadowed = aggregate({
      variant: 'production',
      version: '1',
      count: 10,
      shadowCount: 8,
      shadowAgreements: 6,
      shadowDifferenceSum: 0.4,
      shadowAbsDifferenceSum: 0.8,
      shadowAbsDifferenceMax: 0.3,
    });
    const champion = aggregate({
      variant: 'champion',
      version: '1',
      count: 4,
      shadowCount: 2,
      shadowAgreements: 2,
      shadowDifferenceSum: -0.1,
      shadowAbsDifferenceSum: 0.1,
      shadowAbsDifferenceMax: 0.06,
    });
    const report = buildAbReport(input([shadowed, champion]));
    expect(report.shadow).toMatchObject({ count: 10, agreement_rate: 0.8, max_abs_difference: 0.3 });
    // Sums of decimal fractions: equal to within rounding of the last bit.
    expect(report.shadow.mean_difference).toBeCloseTo(0.3 / 10, 15);
    expect(report.shadow.mean_abs_difference).toBeCloseTo(0.9 / 10, 15);
    expect(report.variants[0].shadow).toEqual({
      count: 8,
      agreement_rate: 0.75,
      mean_difference: 0.05,
      mean_abs_difference: 0.1,
      max_abs_difference: 0.3,
    });
    expect(report.variants[1].shadow?.agreement_rate).toBe(1);
  });
});
