import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  buildTrainingStatistics,
  CategoricalFeatureWindow,
  DriftInputError,
  driftReport,
  DriftWindow,
  NumericFeatureWindow,
  ReservoirSample,
  type LiveColumns,
  type LiveRow,
  type TrainingStatistics,
} from '../src';

/**
 * The columnar intake (`addColumns`, `addValues`) against the row-by-row one (`add`) on the real
 * Telco data: both must leave windows whose JSON is identical, bit for bit (counts, samples and the
 * sampler's random state), so every drift report computed from them is identical too. No tolerance:
 * the two paths make the same additions and the same random draws in the same order.
 */
const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');
const TELCO_CSV = path.resolve(WORKSPACE_ROOT, 'libs/churn-pipeline/data/telco-customer-churn.csv');
const NUMERIC = ['SeniorCitizen', 'tenure', 'MonthlyCharges', 'TotalCharges'];
const CATEGORICAL = [
  'gender',
  'Partner',
  'Dependents',
  'PhoneService',
  'MultipleLines',
  'InternetService',
  'Contract',
  'PaymentMethod',
];

interface TelcoColumns {
  rowCount: number;
  /** As a scorer holds them: NaN for a missing number (TotalCharges is blank for new customers). */
  numeric: Record<string, Float32Array>;
  categorical: Record<string, string[]>;
}

function readTelco(): TelcoColumns {
  const [headerLine, ...lines] = readFileSync(TELCO_CSV, 'utf8').trim().split(/\r?\n/);
  const header = headerLine.split(',');
  const records = lines.map((line) => line.split(','));
  const numeric: Record<string, Float32Array> = {};
  for (const name of NUMERIC) {
    const at = header.indexOf(name);
    numeric[name] = Float32Array.from(records, (record) =>
      record[at].trim() === '' ? Number.NaN : Number(record[at]),
    );
  }
  const categorical: Record<string, string[]> = {};
  for (const name of CATEGORICAL) {
    const at = header.indexOf(name);
    categorical[name] = records.map((record) => record[at]);
  }
  return { rowCount: records.length, numeric, categorical };
}

/** Live data unlike the training data in places: unknown categories, blanks, values outside the training range. */
function liveColumnsOf(telco: TelcoColumns): { rowCount: number; columns: Record<string, Float32Array | string[]> } {
  const tenure = telco.numeric['tenure'].map((value, row) =>
    row % 97 === 0 ? Number.NaN : row % 89 === 0 ? value + 500 : value,
  );
  const contract = telco.categorical['Contract'].map((value, row) =>
    row % 53 === 0 ? '' : row % 61 === 0 ? 'Three year' : value,
  );
  return { rowCount: telco.rowCount, columns: { ...telco.numeric, ...telco.categorical, tenure, Contract: contract } };
}

/** Row `row` of the columns as `add` takes it: null where the column holds NaN or ''. */
function rowOf(columns: Readonly<Record<string, Float32Array | string[]>>, row: number): LiveRow {
  const live: Record<string, number | string | null> = {};
  for (const [name, column] of Object.entries(columns)) {
    const value = column[row];
    live[name] = value === '' || (typeof value === 'number' && Number.isNaN(value)) ? null : value;
  }
  return live;
}

/** Both windows' JSON, and a message naming the first feature where they differ. */
function expectSameWindows(actual: DriftWindow, expected: DriftWindow): void {
  const actualJson = actual.toJSON();
  const expectedJson = expected.toJSON();
  for (const name of Object.keys(expectedJson.features)) {
    const same = JSON.stringify(actualJson.features[name]) === JSON.stringify(expectedJson.features[name]);
    if (!same)
      throw new Error(
        `feature ${name}: columnar window ${JSON.stringify(actualJson.features[name]).slice(0, 300)} differs from the row-by-row window ${JSON.stringify(expectedJson.features[name]).slice(0, 300)}`,
      );
  }
  expect(JSON.stringify(actualJson)).toBe(JSON.stringify(expectedJson));
}

describe('columnar drift-window intake', () => {
  const telco = readTelco();
  const training = Object.fromEntries(
    NUMERIC.map((name) => [name, Array.from(telco.numeric[name], (value) => (Number.isNaN(value) ? null : value))]),
  );
  const reference: TrainingStatistics = buildTrainingStatistics(
    { ...training, ...telco.categorical },
    { numeric: NUMERIC, categorical: CATEGORICAL },
  );
  const live = liveColumnsOf(telco);

  // A capacity below the row count, so both paths go through the reservoir's random replacements.
  it.each([
    ['one call for all rows', [live.rowCount]],
    ['uneven chunks, as a rolling window splits batches across buckets', [1, 416, 1000, 1000, 2626, 0, 2000]],
  ])('records the same counts, samples and random state as add row by row (%s)', (_label, chunks) => {
    const byRow = DriftWindow.forReference(reference, 1500, 7);
    for (let row = 0; row < live.rowCount; row++) byRow.add(rowOf(live.columns, row));
    const byColumn = DriftWindow.forReference(reference, 1500, 7);
    let start = 0;
    for (const length of chunks) {
      byColumn.addColumns(live.columns, start, start + length);
      start += length;
    }
    expect(start).toBe(live.rowCount);
    expectSameWindows(byColumn, byRow);
    expect(byColumn.size).toBe(live.rowCount);
    expect(driftReport(reference, byColumn)).toEqual(driftReport(reference, byRow));
  });

  it('counts a feature without a column as missing in every row and ignores columns that are not features', () => {
    const { Contract: _dropped, ...withoutContract } = live.columns;
    const columns: LiveColumns = { ...withoutContract, customerID: live.columns['gender'] };
    const byRow = DriftWindow.forReference(reference, 500, 3);
    for (let row = 100; row < 700; row++) byRow.add(rowOf(columns as Record<string, Float32Array | string[]>, row));
    const byColumn = DriftWindow.forReference(reference, 500, 3);
    byColumn.addColumns(columns, 100, 700);
    expectSameWindows(byColumn, byRow);
    expect((byColumn.features.get('Contract') as CategoricalFeatureWindow).missing).toBe(600);
  });

  it('takes plain number arrays and float64 columns as well as float32 ones, and leaves every column unchanged', () => {
    const values = [3, Number.NaN, 70.5, -2, 1e6, 0];
    const copy = [...values];
    const edges = reference.numeric['tenure'].bin_edges;
    const oneByOne = new NumericFeatureWindow(edges, new ReservoirSample(4, 9));
    values.forEach((value) => oneByOne.add(Number.isNaN(value) ? null : value));
    for (const column of [values, Float64Array.from(values)]) {
      const together = new NumericFeatureWindow(edges, new ReservoirSample(4, 9));
      together.addValues(column);
      expect(together.toJSON()).toEqual(oneByOne.toJSON());
    }
    expect(values).toEqual(copy);
    const text = ['Yes', '', 'No', 'maybe'];
    const categorical = new CategoricalFeatureWindow(['No', 'Yes']);
    categorical.addValues(text, 1);
    expect(categorical.toJSON()).toEqual({ kind: 'categorical', levels: ['No', 'Yes'], counts: [1, 0, 1], missing: 1 });
    expect(text).toEqual(['Yes', '', 'No', 'maybe']);
  });

  it('counts coded text columns exactly as their text, codes or not, with categories the reference lacks', () => {
    // Codes as a scorer's encoder assigns them: its own category list, here missing one training level
    // ('Two year' rows have no code and are read from the text) and holding one the reference lacks.
    const categories = ['Month-to-month', 'One year', 'Three year', ''];
    const codeOf = new Map(categories.map((category, code) => [category, code]));
    const coded = (texts: string[], row: number) => codeOf.get(texts[row]) ?? (row % 2 === 0 ? -1 : -7);
    const contract = live.columns['Contract'] as string[];
    const columns: LiveColumns = {
      ...live.columns,
      Contract: { codes: Int32Array.from(contract, (_text, row) => coded(contract, row)), categories, texts: contract },
    };
    expect(contract.filter((text) => text === 'Two year').length).toBeGreaterThan(1000);
    for (const chunks of [[live.rowCount], [1, 416, 1000, 1000, 2626, 0, 2000]]) {
      const byText = DriftWindow.forReference(reference, 1500, 7);
      const byCode = DriftWindow.forReference(reference, 1500, 7);
      let start = 0;
      for (const length of chunks) {
        byText.addColumns(live.columns, start, start + length);
        byCode.addColumns(columns, start, start + length);
        start += length;
      }
      expectSameWindows(byCode, byText);
    }
    const window = new CategoricalFeatureWindow(['No', 'Yes']);
    window.addCodedValues(
      { codes: [1, -1, 0, 2, -1], categories: ['Yes', 'No', ''], texts: ['', 'maybe', '', '', ''] },
      0,
      5,
    );
    expect(window.toJSON()).toEqual({ kind: 'categorical', levels: ['No', 'Yes'], counts: [1, 1, 1], missing: 2 });
    // Another list (another scorer's encoder) on the same window: its own codes, not the last list's.
    window.addCodedValues({ codes: [0, 1], categories: ['No', 'Yes'], texts: ['', ''] }, 0, 2);
    expect(window.toJSON()).toEqual({ kind: 'categorical', levels: ['No', 'Yes'], counts: [2, 2, 1], missing: 2 });
  });

  describe('bad input: a typed error naming the column and row, and nothing recorded', () => {
    const bad: [string, LiveColumns, number, RegExp][] = [
      [
        'an infinite number',
        { tenure: Float64Array.from([1, Infinity, 3]) },
        3,
        /^columns\.tenure\[1\]: expected a finite number or NaN \(missing\), got Infinity$/,
      ],
      [
        'text in a numeric column',
        { MonthlyCharges: ['1', '2'] as never },
        2,
        /^columns\.MonthlyCharges\[0\]: expected a finite number or NaN \(missing\), got "1"$/,
      ],
      [
        'a number in a categorical column',
        { Contract: ['One year', 2] as never },
        2,
        /^columns\.Contract\[1\]: expected a string \('' when missing\), got 2$/,
      ],
      [
        'a column shorter than the rows',
        { gender: ['Male'] },
        2,
        /^columns\.gender: holds 1 values; rows 0 to 2 do not fit$/,
      ],
      ['a column that is not an array', { gender: 5 as never }, 1, /^columns\.gender: expected an array of values$/],
      [
        'a code past the categories',
        { gender: { codes: [0, 2], categories: ['Male', 'Female'], texts: ['', ''] } },
        2,
        /^columns\.gender\.codes\[1\]: expected an integer below 2 \(negative: read texts\[1\]\), got 2$/,
      ],
      [
        'a fractional code',
        { gender: { codes: [0.5], categories: ['Male'], texts: [''] } },
        1,
        /^columns\.gender\.codes\[0\]: expected an integer below 1/,
      ],
      [
        'no text for a row without a code',
        { gender: { codes: [0, -1], categories: ['Male'], texts: ['Male', null as never] } },
        2,
        /^columns\.gender\.texts\[1\]: expected a string \('' when missing\) for a row without a code, got null$/,
      ],
      [
        'texts shorter than the rows',
        { gender: { codes: [0, 0], categories: ['Male'], texts: ['Male'] } },
        2,
        /^columns\.gender\.texts: holds 1 values; rows 0 to 2 do not fit$/,
      ],
      [
        'categories that are not text',
        { gender: { codes: [0], categories: [1 as never], texts: [''] } },
        1,
        /^columns\.gender\.categories\[0\]: expected a string/,
      ],
      [
        'a coded column for a numeric feature',
        { tenure: { codes: [0], categories: ['1'], texts: [''] } as never },
        1,
        /^columns\.tenure: is a coded text column; this feature is numeric$/,
      ],
    ];
    it.each(bad)('%s', (_label, columns, end, message) => {
      const window = DriftWindow.forReference(reference, 100, 1);
      window.addColumns({ tenure: Float32Array.from([1, 2]), Contract: ['One year', ''] }, 0, 2);
      const before = JSON.stringify(window);
      // A good column beside the bad one: it must not be recorded either.
      const call = () => window.addColumns({ SeniorCitizen: new Float64Array(end), ...columns }, 0, end);
      expect(call).toThrow(DriftInputError);
      expect(call).toThrow(message);
      expect(JSON.stringify(window)).toBe(before);
    });

    it('a row range that is not 0 ≤ start ≤ end', () => {
      const window = DriftWindow.forReference(reference, 100, 1);
      expect(() => window.addColumns({}, 3, 2)).toThrow(/^end: is 2, before start 3$/);
      expect(() => window.addColumns({}, -1, 2)).toThrow(/^start: expected an integer ≥ 0, got -1$/);
      expect(() => window.addColumns({}, 0, 1.5)).toThrow(/^end: expected an integer ≥ 0, got 1.5$/);
      expect(() => window.addColumns(null as never, 0, 1)).toThrow(
        /^columns: expected an object of columns by feature name$/,
      );
      expect(() => new CategoricalFeatureWindow(['a']).addMissing(-1)).toThrow(
        /^count: expected an integer ≥ 0, got -1$/,
      );
      expect(window.size).toBe(0);
    });
  });
});
