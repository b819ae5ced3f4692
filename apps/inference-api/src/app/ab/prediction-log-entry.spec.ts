import { entryRows, type PredictionLogEntry, recordsOf } from './prediction-log-entry';

const ENTRY: PredictionLogEntry = {
  requestId: 'r-1',
  receivedAt: 1_790_000_000_000,
  userId: 'u-7',
  variant: 'champion',
  trafficShare: 0.25,
  modelName: 'churn_model',
  alias: 'champion',
  version: '3',
  latencyMs: 0.8,
  replica: 'pod-a',
  columnNames: ['tenure', 'Contract'],
  columns: [new Float64Array([12, Number.NaN]), ['Two year', '']],
  probabilities: new Float32Array([0.25, 0.75]),
  labels: new Int32Array([0, 1]),
  shadow: [
    { alias: 'challenger', version: '4', probability: 0.5, prediction: 1 },
    { alias: 'challenger', version: '4', probability: 0.625, prediction: 1 },
  ],
};

describe('recordsOf', () => {
  it('gives one record per row with the features as the model received them, missing values as null, and the row’s shadow score', () => {
    expect(entryRows(ENTRY)).toBe(2);
    expect(recordsOf(ENTRY)).toEqual([
      {
        requestId: 'r-1',
        row: 0,
        receivedAt: 1_790_000_000_000,
        userId: 'u-7',
        variant: 'champion',
        modelName: 'churn_model',
        alias: 'champion',
        version: '3',
        features: { tenure: 12, Contract: 'Two year' },
        probability: 0.25,
        prediction: 0,
        latencyMs: 0.8,
        trafficShare: 0.25,
        shadow: { alias: 'challenger', version: '4', probability: 0.5, prediction: 1 },
        replica: 'pod-a',
      },
      expect.objectContaining({ row: 1, features: { tenure: null, Contract: null }, probability: 0.75, prediction: 1, shadow: { alias: 'challenger', version: '4', probability: 0.625, prediction: 1 } }),
    ]);
  });

  it('gives null shadows when the request was not shadowed', () => {
    expect(recordsOf({ ...ENTRY, shadow: null }).map((record) => record.shadow)).toEqual([null, null]);
  });
});
