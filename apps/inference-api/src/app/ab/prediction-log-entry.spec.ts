import { bundleEntries, entryRows, type PredictionLogEntry, recordsOf, unbundleEntries } from './prediction-log-entry';

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

describe('bundleEntries / unbundleEntries', () => {
  const otherColumns = ['tenure', 'Contract'];
  const second: PredictionLogEntry = {
    ...ENTRY,
    requestId: 'r-2',
    userId: null,
    variant: 'production',
    trafficShare: null,
    columns: [new Float32Array([3.5]), ['One year']],
    probabilities: new Float32Array([0.125]),
    labels: new Int32Array([0]),
    shadow: null,
  };
  const thirdOtherVersion: PredictionLogEntry = { ...second, requestId: 'r-3', version: '5', columnNames: otherColumns, columns: [new Float64Array([1]), ['']] };

  it('gives back, after a structured clone, entries whose records equal the originals, bundled per column list in order', () => {
    const bundles = bundleEntries([ENTRY, second, thirdOtherVersion]);
    expect(bundles.map((bundle) => bundle.requestIds)).toEqual([['r-1', 'r-2'], ['r-3']]);
    const received = structuredClone(bundles).flatMap(unbundleEntries);
    expect(received.map(recordsOf)).toEqual([ENTRY, second, thirdOtherVersion].map(recordsOf));
    expect(received.map(entryRows)).toEqual([2, 1, 1]);
  });

  it('joins the rows column by column, numbers as float64', () => {
    const [bundle] = bundleEntries([ENTRY, second]);
    expect(bundle.rowCounts).toEqual([2, 1]);
    expect(bundle.columns[0]).toBeInstanceOf(Float64Array);
    expect(Array.from(bundle.columns[0] as Float64Array)).toEqual([12, Number.NaN, 3.5]);
    expect(bundle.columns[1]).toEqual(['Two year', '', 'One year']);
    expect(Array.from(bundle.probabilities)).toEqual([0.25, 0.75, 0.125]);
    expect(Array.from(bundle.labels)).toEqual([0, 1, 0]);
  });
});

describe('bundles of versions fed category codes', () => {
  // Contract: codes 0 = 'Month-to-month', 1 = 'One year', 2 = 'Two year'; -1 = missing or unknown.
  const codeTexts = [undefined, ['Month-to-month', 'One year', 'Two year']];
  const codedEntry = (requestId: string, tenure: number[], contract: string[], codes: number[]): PredictionLogEntry => ({
    ...ENTRY,
    requestId,
    shadow: null,
    columns: [Float32Array.from(tenure), contract],
    probabilities: Float32Array.from(tenure, () => 0.5),
    labels: Int32Array.from(tenure, () => 1),
    categoryCodes: [undefined, Int32Array.from(codes)],
    codeTexts,
  });
  const big = codedEntry('r-big', [1, 2, 3, 4], ['Two year', '', 'Fortnightly', 'Month-to-month'], [2, -1, -1, 0]);
  const small = [codedEntry('r-a', [5], ['One year'], [1]), codedEntry('r-b', [6], ['Weekly'], [-1]), codedEntry('r-c', [7], [''], [-1])];

  it('sends the text as codes plus the text of unknown categories, and gives back the same records', () => {
    for (const entries of [[big], small]) {
      const bundles = bundleEntries(entries);
      const coded = bundles[0].columns[1] as { codes: Int32Array; otherTexts: string[] };
      expect(coded.codes).toBeInstanceOf(Int32Array);
      expect(coded.otherTexts).toEqual(entries === small ? ['Weekly'] : ['Fortnightly']);
      const received = structuredClone(bundles).flatMap(unbundleEntries);
      expect(received.map(recordsOf)).toEqual(entries.map(recordsOf));
    }
  });

  it('leaves the batch’s own column list as it was', () => {
    const columns = big.columns;
    const text = columns[1];
    bundleEntries([big]);
    expect(big.columns).toBe(columns);
    expect(big.columns[1]).toBe(text);
  });
});
