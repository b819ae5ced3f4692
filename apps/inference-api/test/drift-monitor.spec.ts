import { DriftWindow, type TrainingStatistics } from '@churn/drift-stats';

import { validateInferenceApiConfig } from '../src/app/config/inference-api.config';
import { driftAlertKey, DriftAlertPolicy, previousAlertKey } from '../src/app/drift/drift-alert-policy';
import { liveCell } from '../src/app/drift/live-rows';
import { RollingDriftWindow, WINDOW_BUCKETS } from '../src/app/drift/rolling-drift-window';

const reference: TrainingStatistics = {
  format_version: 1,
  row_count: 4,
  numeric: {
    tenure: {
      count: 4,
      missing_share: 0,
      mean: 2.5,
      std: 1.118,
      min: 1,
      max: 4,
      bin_edges: [2, 3],
      bin_counts: [2, 1, 1],
      sample: [1, 2, 3, 4],
    },
  },
  categorical: { contract: { count: 4, missing_share: 0, levels: ['a', 'b'], level_counts: [3, 1], other_count: 0 } },
};

describe('RollingDriftWindow', () => {
  it('keeps at most the configured rows, dropping whole buckets, and its merged counts equal those of one window over the kept rows', () => {
    const rolling = new RollingDriftWindow(reference, { maxRows: 120, maxAgeMs: 3_600_000 });
    const rows = Array.from({ length: 500 }, (_, i) => ({ tenure: i % 5, contract: i % 3 === 0 ? 'b' : 'a' }));
    rows.forEach((row, i) => rolling.add(row, 1000 + i));
    const snapshot = rolling.snapshot(2000);
    // 12 buckets of 10 rows: the newest 120 rows.
    expect(snapshot.size).toBe(120);
    expect(snapshot.from).toBe(1000 + 380);
    expect(snapshot.to).toBe(1000 + 499);
    const direct = DriftWindow.forReference(reference);
    rows.slice(380).forEach((row) => direct.add(row));
    expect(snapshot.window?.toJSON().features['contract']).toEqual(direct.toJSON().features['contract']);
    const numeric = snapshot.window?.features.get('tenure');
    expect(numeric?.size).toBe(120);
    expect((direct.features.get('tenure') as { binCounts: number[] }).binCounts).toEqual(
      (numeric as { binCounts: number[] }).binCounts,
    );
  });

  it('drops rows older than the age limit a bucket at a time', () => {
    const rolling = new RollingDriftWindow(reference, { maxRows: 1200, maxAgeMs: 12_000 });
    for (let second = 0; second < 30; second++) rolling.add({ tenure: 1, contract: 'a' }, second * 1000);
    // Buckets span 1 s (12 s / 12): at t = 30 s rows from before 18 s are gone.
    const snapshot = rolling.snapshot(30_000);
    expect(snapshot.from).toBe(18_000);
    expect(snapshot.size).toBe(12);
    expect(rolling.snapshot(10_000_000).size).toBe(0);
    expect(WINDOW_BUCKETS).toBe(12);
  });

  it('counts rows without feature windows for a version without training statistics', () => {
    const rolling = new RollingDriftWindow(undefined, { maxRows: 100, maxAgeMs: 60_000 });
    rolling.add({ tenure: 1 }, 5);
    rolling.add({ tenure: 2 }, 7);
    expect(rolling.snapshot(10)).toEqual({ window: undefined, size: 2, from: 5, to: 7 });
  });
});

describe('DriftAlertPolicy', () => {
  it('alerts once drift has held through a whole cool-down period, once per episode, and re-arms when drift clears', () => {
    const policy = new DriftAlertPolicy(2000);
    expect(policy.observe(true, 4100)).toBeUndefined(); // period 2 starts drifting
    expect(policy.observe(true, 5900)).toBeUndefined();
    expect(policy.observe(true, 6100)).toBeUndefined(); // period 3: period 2 was not whole
    expect(policy.observe(true, 8000)).toBe(4);
    expect(policy.observe(true, 12_000)).toBeUndefined();
    expect(policy.observe(false, 12_500)).toBeUndefined();
    expect(policy.observe(true, 13_000)).toBeUndefined();
    expect(policy.observe(true, 16_000)).toBe(8);
  });

  it('gives replicas whose drift began in the same period the same key', () => {
    const a = new DriftAlertPolicy(2000);
    const b = new DriftAlertPolicy(2000);
    a.observe(true, 4100);
    b.observe(true, 5900);
    expect([a.observe(true, 8050), b.observe(true, 8400)]).toEqual([4, 4]);
    expect(driftAlertKey('churn_model', '3', 4)).toBe('drift-churn_model-v3-4');
    expect(previousAlertKey('churn_model', '3', 4)).toBe('drift-churn_model-v3-3');
  });
});

describe('live cells', () => {
  it("follow the reference's kind: numbers for numeric features, decimal text for categorical ones, null when missing", () => {
    expect(liveCell(reference, 'tenure', Number.NaN)).toBeNull();
    expect(liveCell(reference, 'tenure', 3)).toBe(3);
    expect(liveCell(reference, 'tenure', ' 4 ')).toBe(4);
    expect(liveCell(reference, 'contract', '')).toBeNull();
    expect(liveCell(reference, 'contract', 1)).toBe('1');
    expect(liveCell(reference, 'contract', 'a')).toBe('a');
  });
});

describe('drift settings', () => {
  it('have the documented defaults and read DRIFT_RETRAIN_ENABLED as true/false only', () => {
    const defaults = validateInferenceApiConfig({});
    expect(defaults).toMatchObject({
      DRIFT_WINDOW_SIZE: 5000,
      DRIFT_WINDOW_SECONDS: 3600,
      DRIFT_EVALUATE_SECONDS: 30,
      DRIFT_ALERT_COOLDOWN_SECONDS: 600,
      DRIFT_ALERT_WEBHOOK_URL: '',
      DRIFT_RETRAIN_ENABLED: false,
      DRIFT_RETRAIN_DATA: '',
      TRAINING_WORKER_URL: 'http://127.0.0.1:8002',
      TRAINING_WORKER_TOKEN: '',
    });
    expect(validateInferenceApiConfig({ DRIFT_RETRAIN_ENABLED: 'false' }).DRIFT_RETRAIN_ENABLED).toBe(false);
    expect(validateInferenceApiConfig({ DRIFT_RETRAIN_ENABLED: 'TRUE', DRIFT_EVALUATE_SECONDS: '0.5' })).toMatchObject({
      DRIFT_RETRAIN_ENABLED: true,
      DRIFT_EVALUATE_SECONDS: 0.5,
    });
    expect(() => validateInferenceApiConfig({ DRIFT_RETRAIN_ENABLED: 'yes' })).toThrow(
      /DRIFT_RETRAIN_ENABLED must be true or false/,
    );
    expect(() => validateInferenceApiConfig({ DRIFT_ALERT_WEBHOOK_URL: 'not a url' })).toThrow(
      /DRIFT_ALERT_WEBHOOK_URL/,
    );
    expect(() => validateInferenceApiConfig({ TRAINING_WORKER_TOKEN: 5, DRIFT_WINDOW_SIZE: '3' })).toThrow(
      /DRIFT_WINDOW_SIZE/,
    );
  });
});
