import {
  bundleEntries,
  bundleRecords,
  entryRows,
  PredictionLogBundler,
  recordsOf,
  type PredictionLogEntry,
} from './prediction-log-entry';
import { FeaturesJson, type PredictionRecord } from './prediction-store';

/**
 * Records as the store writes them, features as their JSON text: bundleRecords' own text, checked
 * to be FeaturesJson, or JSON.stringify of recordsOf's object. Equal texts mean equal stored rows.
 */
function asWritten(lists: readonly PredictionRecord[][], bundled: boolean): unknown[][] {
  return lists.map((records) =>
    records.map((record) => {
      if (bundled !== record.features instanceof FeaturesJson)
        throw new Error(`request ${record.requestId} row ${record.row}: features not as expected`);
      return {
        ...record,
        features: record.features instanceof FeaturesJson ? record.features.text : JSON.stringify(record.features),
      };
    }),
  );
}

/** bundleRecords after a structured clone of the bundles (what the writer thread receives), as written. */
function received(bundles: ReturnType<typeof bundleEntries>): unknown[][] {
  return asWritten(structuredClone(bundles).flatMap(bundleRecords), true);
}

/** recordsOf each entry, as written. */
function sent(entries: readonly PredictionLogEntry[]): unknown[][] {
  return asWritten(entries.map(recordsOf), false);
}

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
      expect.objectContaining({
        row: 1,
        features: { tenure: null, Contract: null },
        probability: 0.75,
        prediction: 1,
        shadow: { alias: 'challenger', version: '4', probability: 0.625, prediction: 1 },
      }),
    ]);
  });

  it('gives null shadows when the request was not shadowed', () => {
    expect(recordsOf({ ...ENTRY, shadow: null }).map((record) => record.shadow)).toEqual([null, null]);
  });
});

describe('bundleEntries / bundleRecords', () => {
  const otherColumns = ['tenure', 'PaymentMethod'];
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
  const thirdOtherVersion: PredictionLogEntry = {
    ...second,
    requestId: 'r-3',
    version: '5',
    columnNames: otherColumns,
    columns: [new Float64Array([1]), ['']],
  };

  it('gives back, after a structured clone, entries whose records equal the originals, bundled per column list in order', () => {
    const bundles = bundleEntries([ENTRY, second, thirdOtherVersion]);
    expect(bundles.map((bundle) => Array.from(bundle.rowCounts))).toEqual([[2, 1], [1]]);
    const records = received(bundles);
    expect(records).toEqual(sent([ENTRY, second, thirdOtherVersion]));
    expect(records.map((list) => list.length)).toEqual([2, 1, 1]);
  });

  it('joins the rows column by column, numbers as float64', () => {
    const [bundle] = bundleEntries([ENTRY, second]);
    expect(Array.from(bundle.rowCounts)).toEqual([2, 1]);
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
  const codedEntry = (
    requestId: string,
    tenure: number[],
    contract: string[],
    codes: number[],
  ): PredictionLogEntry => ({
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
  const small = [
    codedEntry('r-a', [5], ['One year'], [1]),
    codedEntry('r-b', [6], ['Weekly'], [-1]),
    codedEntry('r-c', [7], [''], [-1]),
  ];

  it('sends the text as codes plus the text of unknown categories, and gives back the same records', () => {
    for (const entries of [[big], small]) {
      const bundles = bundleEntries(entries);
      expect(bundles[0].columns[1]).toBeNull();
      expect(Array.from(bundles[0].codes)).toEqual(entries === small ? [1, -1, -1] : [2, -1, -1, 0]);
      expect(bundles[0].otherTexts).toEqual(entries === small ? ['Weekly'] : ['Fortnightly']);
      expect(bundles[0].otherCells).toEqual(entries === small ? [0, 1] : [0, 2]);
      expect(received(bundles)).toEqual(sent(entries));
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

describe('bundle packing', () => {
  const codeTexts = [undefined, ['Month-to-month', 'One year', 'Two year'], undefined, ['DSL', 'Fiber optic', 'No']];
  const columnNames = ['tenure', 'Contract', 'Notes', 'InternetService'];
  const request = (index: number, overrides: Partial<PredictionLogEntry> = {}): PredictionLogEntry => ({
    ...ENTRY,
    requestId: `r-${index}`,
    userId: `u-${index}`,
    shadow: null,
    columnNames,
    columns: [new Float32Array([index]), ['One year'], [`note ${index}`], ['Cable']],
    probabilities: new Float32Array([index / 64]),
    labels: new Int32Array([index % 2]),
    categoryCodes: [undefined, new Int32Array([1]), undefined, new Int32Array([-1])],
    codeTexts,
    ...overrides,
  });

  it('keeps ids of any text, empty and absent user ids, shares and shadows apart, and gives back the same records', () => {
    const entries = [
      request(0, { requestId: 'a\nb\u0000c', userId: '' }),
      request(1, { userId: null, trafficShare: null, variant: 'production', alias: 'production' }),
      request(2, {
        requestId: 'ré-🙂',
        userId: 'ü',
        shadow: [{ alias: 'challenger', version: '4', probability: 0.5, prediction: 1 }],
      }),
      request(3, {
        trafficShare: 0,
        columns: [new Float32Array([Number.NaN]), [''], [''], ['No']],
        categoryCodes: [undefined, new Int32Array([-1]), undefined, new Int32Array([2])],
      }),
    ];
    const [bundle] = bundleEntries(entries);
    expect([...bundle.names].sort()).toEqual(['3', 'champion', 'churn_model', 'production']);
    const records = bundleRecords(structuredClone(bundle));
    expect(received([bundle])).toEqual(sent(entries));
    expect(records.map(([record]) => [record.requestId, record.userId, record.trafficShare])).toEqual([
      ['a\nb\u0000c', '', 0.25],
      ['r-1', null, null],
      ['ré-🙂', 'ü', 0.25],
      ['r-3', 'u-3', 0],
    ]);
    expect(records.map(([record]) => record.shadow)).toEqual([null, null, entries[2].shadow?.[0], null]);
  });

  it('sends no shadow list when no entry was shadowed', () => {
    expect(bundleEntries([request(0), request(1)])[0].shadows).toBeNull();
  });

  it('holds as many arrays and objects for 32 requests as for 1: the clone does not walk one per request', () => {
    const objectsIn = (value: unknown): number => {
      if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return 0;
      return 1 + Object.values(value).reduce((sum: number, inner) => sum + objectsIn(inner), 0);
    };
    const one = bundleEntries([request(0)]);
    const many = bundleEntries(Array.from({ length: 32 }, (_, index) => request(index)));
    expect(many).toHaveLength(1);
    expect(objectsIn(many)).toBe(objectsIn(one));
    // The unknown 'Cable' of every request crosses as text: two numbers and a string each, in two arrays.
    expect(many[0].otherTexts).toHaveLength(32);
    expect(received(many)).toEqual(sent(Array.from({ length: 32 }, (_, index) => request(index))));
  });

  it('makes the layout of a version once and bundles versions apart even when their column lists are equal', () => {
    const a = bundleEntries([request(0)])[0];
    const b = bundleEntries([request(1)])[0];
    expect(b.layout).toBe(a.layout);
    expect(JSON.parse(a.layout)).toEqual({ columnNames, codeTexts: [null, codeTexts[1], null, codeTexts[3]] });
    const otherCodes = [undefined, ['One year', 'Two year', 'Month-to-month'], undefined, codeTexts[3]];
    const bundles = bundleEntries([
      request(0),
      request(1, {
        codeTexts: otherCodes,
        categoryCodes: [undefined, new Int32Array([0]), undefined, new Int32Array([-1])],
      }),
    ]);
    expect(bundles).toHaveLength(2);
    expect(
      bundles
        .flatMap((bundle) => bundleRecords(structuredClone(bundle)))
        .map(([record]) => (record.features as FeaturesJson).toJSON().Contract),
    ).toEqual(['One year', 'One year']);
  });
});

describe('PredictionLogBundler', () => {
  const codeTexts = [undefined, ['Month-to-month', 'One year', 'Two year'], undefined];
  const columnNames = ['tenure', 'Contract', 'Notes'];
  /** A request of `rows` rows, its cells varied by `seed`; `coded` false: sent without its category codes. */
  const request = (seed: number, rows: number, coded = true): PredictionLogEntry => {
    const contract = Array.from({ length: rows }, (_, row) => ['One year', '', 'Weekly', 'Two year'][(seed + row) % 4]);
    return {
      ...ENTRY,
      requestId: `r-${seed}`,
      userId: seed % 3 === 0 ? null : `u-${seed}`,
      shadow:
        seed % 5 === 2
          ? Array.from({ length: rows }, (_, row) => ({
              alias: 'challenger',
              version: '4',
              probability: row / rows,
              prediction: 1 as const,
            }))
          : null,
      columnNames,
      columns: [
        Float32Array.from({ length: rows }, (_, row) => (row % 7 === 3 ? Number.NaN : seed + row / 4)),
        contract,
        Array.from({ length: rows }, (_, row) => (row % 2 === 0 ? '' : `note ${seed}/${row}`)),
      ],
      probabilities: Float32Array.from({ length: rows }, (_, row) => ((seed + row) % 8) / 8),
      labels: Int32Array.from({ length: rows }, (_, row) => (seed + row) % 2),
      categoryCodes: coded
        ? [
            undefined,
            Int32Array.from(contract, (text) => ['Month-to-month', 'One year', 'Two year'].indexOf(text)),
            undefined,
          ]
        : undefined,
      codeTexts,
    };
  };

  it('gives back the records of entries appended one by one, past every array’s first size, with shadows from the middle on', () => {
    const entries = [
      ...Array.from({ length: 40 }, (_, seed) => request(seed, 1)),
      request(40, 1000),
      request(41, 3),
      request(42, 1, false),
    ];
    const bundler = new PredictionLogBundler();
    let rows = 0;
    for (const entry of entries) {
      bundler.append(entry);
      rows += entryRows(entry);
      expect(bundler.rows).toBe(rows);
    }
    const bundles = bundler.take();
    expect(bundles).toHaveLength(1);
    expect(bundles[0].shadows?.slice(0, 3)).toEqual([null, null, entries[2].shadow]);
    expect(received(bundles)).toEqual(sent(entries));
  });

  it('logs the text of a request sent without codes to a version fed codes, as the codes would have', () => {
    const bundles = bundleEntries([request(0, 4), request(0, 4, false)]);
    expect(bundles[0].columns[1]).toBeNull();
    const [withCodes, withoutCodes] = received(bundles) as { features: string }[][];
    expect(withoutCodes.map((record) => record.features)).toEqual(withCodes.map((record) => record.features));
    expect(withoutCodes.map((record) => JSON.parse(record.features).Contract)).toEqual([
      'One year',
      null,
      'Weekly',
      'Two year',
    ]);
  });

  it('posts arrays trimmed to the rows they hold, and starts afresh after take, with or without a version that waited', () => {
    const bundler = new PredictionLogBundler();
    for (let seed = 0; seed < 20; seed++) bundler.append(request(seed, 1));
    const [bundle] = bundler.take();
    const arrays: [ArrayLike<number> & ArrayBufferView, number][] = [
      [bundle.idLengths, 2 * 20],
      [bundle.nameIndexes, 4 * 20],
      [bundle.numbers, 3 * 20],
      [bundle.rowCounts, 20],
      [bundle.codes, 20],
      [bundle.probabilities, 20],
      [bundle.labels, 20],
      [bundle.columns[0] as Float64Array, 20],
    ];
    for (const [array, length] of arrays) {
      expect(array).toHaveLength(length);
      expect(array.buffer.byteLength).toBe(array.byteLength);
    }
    expect(bundler.rows).toBe(0);
    // The version's builder, kept: the next bundle holds only what came after the take.
    bundler.append(request(7, 2));
    expect(received(bundler.take())).toEqual(sent([request(7, 2)]));
    // Nothing came: no bundle, and the builder is let go; a new one starts from nothing.
    expect(bundler.take()).toEqual([]);
    bundler.append(request(8, 2));
    expect(received(bundler.take())).toEqual(sent([request(8, 2)]));
  });
  it('gives each bundle only its own entries and shadows, one bundle after another, after small and large bundles alike', () => {
    const bundler = new PredictionLogBundler();
    // [seed, rows]: seeds 2, 7 and 12 are shadowed; the bundles after the shadowed ones are not.
    const bundles = [
      [
        [2, 1000],
        [3, 3],
      ],
      [
        [5, 1],
        [6, 2],
      ],
      [
        [7, 2],
        [9, 1],
      ],
      [[12, 5000]],
      [
        [4, 2],
        [6, 1],
      ],
      [[1, 1]],
    ];
    for (const sizes of bundles) {
      const entries = sizes.map(([seed, rows], index) => request(seed, rows, index % 2 === 0));
      for (const entry of entries) bundler.append(entry);
      expect(received(bundler.take())).toEqual(sent(entries));
    }
  });

  it('refuses an entry with another number of columns than its version, and keeps the bundle as it was', () => {
    const bundler = new PredictionLogBundler();
    bundler.append(request(1, 2));
    const short = request(2, 1);
    expect(() => bundler.append({ ...short, columns: short.columns.slice(0, 2) })).toThrow(
      'prediction log entry r-2: 2 columns where its version has 3',
    );
    expect(bundler.rows).toBe(2);
    bundler.append(request(3, 1));
    expect(received(bundler.take())).toEqual(sent([request(1, 2), request(3, 1)]));
  });
});

describe('the features JSON bundleRecords writes', () => {
  // Texts JSON must escape or that JSON.stringify writes in a way of its own: quotes, backslash,
  // control characters, a lone surrogate (escaped as \udXXX), and characters beyond the BMP.
  const awkward = ['say "hi"', 'back\\slash', 'tab\tnul\u0000del\u007f', 'lone \ud800 half', 'ré-🙂'];
  const codeTexts = [undefined, ['', ...awkward], undefined];
  const entry = (overrides: Partial<PredictionLogEntry>): PredictionLogEntry => ({
    ...ENTRY,
    shadow: null,
    columnNames: ['n "1"\n', 'ca\u0000t', 'text ✓'],
    columns: [
      new Float64Array([-0, 0.1 + 0.2, 1e21, 5e-7, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]),
      ['', ...awkward],
      ['', ...awkward],
    ],
    probabilities: new Float32Array(6).fill(0.5),
    labels: new Int32Array(6),
    categoryCodes: [undefined, new Int32Array([0, 1, 2, -1, 4, -1]), undefined],
    codeTexts,
    ...overrides,
  });

  it('is JSON.stringify’s text for the same values, whatever the names, texts and numbers', () => {
    for (const one of [entry({}), entry({ categoryCodes: undefined, codeTexts: undefined })]) {
      const bundles = bundleEntries([one]);
      expect(bundles[0].columns[1] === null).toBe(one.categoryCodes !== undefined);
      expect(received(bundles)).toEqual(sent([one]));
    }
  });

  it('writes float32 columns as the numbers the model received, and the empty or an out-of-range code as null', () => {
    const one = entry({
      columnNames: ['tenure', 'Contract', 'Notes'],
      columns: [Float32Array.from([29.85, 0.1]), ['', 'not in the list'], ['', '']],
      probabilities: new Float32Array([0.5, 0.5]),
      labels: new Int32Array([0, 1]),
      // Code 0 is the category '' (missing); a code past the list has no text, so nothing is logged.
      categoryCodes: [undefined, new Int32Array([0, 99]), undefined],
    });
    const texts = structuredClone(bundleEntries([one]))
      .flatMap(bundleRecords)[0]
      .map((record) => (record.features as FeaturesJson).text);
    expect(texts).toEqual([
      JSON.stringify({ tenure: Math.fround(29.85), Contract: null, Notes: null }),
      JSON.stringify({ tenure: Math.fround(0.1), Contract: null, Notes: null }),
    ]);
  });

  it('keeps column order for names that are array indexes, parsing to the same values as the object', () => {
    const one = entry({
      columnNames: ['b', '7', 'a'],
      columns: [new Float64Array([1]), ['x'], ['y']],
      probabilities: new Float32Array([0.5]),
      labels: new Int32Array([1]),
      categoryCodes: undefined,
      codeTexts: undefined,
    });
    const [[record]] = structuredClone(bundleEntries([one])).flatMap(bundleRecords);
    const text = (record.features as FeaturesJson).text;
    expect(text).toBe('{"b":1,"7":"x","a":"y"}');
    expect(JSON.parse(text)).toEqual(recordsOf(one)[0].features);
  });

  it('keeps a column named __proto__ as a feature, in the text and in recordsOf’s object alike', () => {
    const one = entry({
      columnNames: ['__proto__', 'tenure'],
      columns: [['x'], new Float64Array([3])],
      probabilities: new Float32Array([0.5]),
      labels: new Int32Array([1]),
      categoryCodes: undefined,
      codeTexts: undefined,
    });
    const [[record]] = structuredClone(bundleEntries([one])).flatMap(bundleRecords);
    expect((record.features as FeaturesJson).text).toBe('{"__proto__":"x","tenure":3}');
    expect(JSON.stringify(recordsOf(one)[0].features)).toBe('{"__proto__":"x","tenure":3}');
  });

  it('is {} for a version without columns', () => {
    const one = entry({
      columnNames: [],
      columns: [],
      probabilities: new Float32Array([0.5]),
      labels: new Int32Array([1]),
      categoryCodes: undefined,
      codeTexts: undefined,
    });
    expect(received(bundleEntries([one]))).toEqual(sent([one]));
    expect((structuredClone(bundleEntries([one])).flatMap(bundleRecords)[0][0].features as FeaturesJson).text).toBe(
      '{}',
    );
  });
});
