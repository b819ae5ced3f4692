import { FeatureBatchBuilder, FLOAT32_OVERFLOW, int64Codes, joinedColumn } from './feature-batch';
import type { InputColumnPlan } from './model-contract';
import { InputError } from './model-errors';

const columns: InputColumnPlan[] = [
  {
    name: 'tenure',
    kind: 'numeric',
    tensorType: 'float32',
    columnVector: false,
    required: true,
    categories: undefined,
  },
  {
    name: 'charges',
    kind: 'numeric',
    tensorType: 'float64',
    columnVector: false,
    required: false,
    categories: undefined,
  },
  {
    name: 'contract',
    kind: 'categorical',
    tensorType: 'string',
    columnVector: true,
    required: true,
    categories: new Set(['Month-to-month', 'One year', '0']),
  },
];
const builder = new FeatureBatchBuilder(columns);
const at = (row: number, column: string) => `rows[${row}].${column}`;

function inputError(work: () => unknown): InputError {
  try {
    work();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('FeatureBatchBuilder', () => {
  it('fills one typed column per model input, NaN and empty text for missing values', () => {
    const batch = builder.fromRecords(
      [
        { tenure: 5, charges: '12.5', contract: 'One year' },
        { tenure: ' 7 ', charges: null, contract: 0 },
        { tenure: null, contract: '  ' },
      ],
      at,
    );
    expect(batch.rowCount).toBe(3);
    expect(Array.from(batch.columns[0] as Float32Array)).toEqual([5, 7, Number.NaN]);
    expect(batch.columns[0]).toBeInstanceOf(Float32Array);
    expect(Array.from(batch.columns[1] as Float64Array)).toEqual([12.5, Number.NaN, Number.NaN]);
    expect(batch.columns[2]).toEqual(['One year', '0', '']);
    expect(batch.rowWarnings).toBeUndefined();
  });

  it('does not modify the records it reads', () => {
    const record = Object.freeze({ tenure: '3', contract: 'One year', extra: 1 });
    builder.fromRecords([record], at);
    expect(record).toEqual({ tenure: '3', contract: 'One year', extra: 1 });
  });

  it('warns about unknown categories and fields outside the model, per row, but not about user_id or request_id', () => {
    const batch = builder.fromRecords(
      [
        { tenure: 1, contract: 'One year', user_id: 'u', request_id: 'r' },
        { tenure: 1, contract: 'Two weeks', colour: 'red' },
      ],
      at,
    );
    expect(batch.rowWarnings?.[0]).toBeUndefined();
    expect(batch.rowWarnings?.[1]).toEqual([
      'contract: unknown category "Two weeks" scored as none of the known categories',
      'field "colour" is not a model input; ignored',
    ]);
  });

  it.each([
    [{ tenure: 'ten', contract: 'x' }, 'rows[0].tenure', /text "ten"/],
    [{ tenure: 'Infinity', contract: 'x' }, 'rows[0].tenure', /"Infinity"/],
    [{ tenure: Number.POSITIVE_INFINITY, contract: 'x' }, 'rows[0].tenure', /Infinity/],
    [{ tenure: true, contract: 'x' }, 'rows[0].tenure', /boolean true/],
    [{ tenure: 1, contract: ['a'] }, 'rows[0].contract', /an array/],
    [{ tenure: 1, contract: { a: 1 } }, 'rows[0].contract', /an object/],
    [{ contract: 'x' }, 'rows[0].tenure', /required feature is missing/],
  ])('refuses %j naming %s', (record, field, message) => {
    const error = inputError(() => builder.fromRecords([record], at));
    expect(error.field).toBe(field);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('takes an optional column as missing when it is absent', () => {
    expect(Number.isNaN((builder.fromRecords([{ tenure: 1, contract: 'x' }], at).columns[1] as Float64Array)[0])).toBe(
      true,
    );
  });

  it('refuses, naming the field, a number a float32 input cannot hold, and takes the largest it can', () => {
    for (const value of [1e39, -1e39, '1e39', FLOAT32_OVERFLOW, -FLOAT32_OVERFLOW]) {
      const error = inputError(() => builder.fromRecords([{ tenure: value, contract: 'One year' }], at));
      expect(error.field).toBe('rows[0].tenure');
      expect(error.status).toBe(400);
      expect(error.problem).toMatch(
        /beyond what this input's type \(float32, at most ±3\.4028234663852886e38\) can hold/,
      );
    }
    // Just below the overflow point float32 rounds to its largest finite value, so these are stored.
    const largest = 3.4028234663852886e38;
    const below = FLOAT32_OVERFLOW - 2 ** 80;
    const batch = builder.fromRecords(
      [
        { tenure: largest, charges: 1e39, contract: 'One year' },
        { tenure: -below, charges: -1e300, contract: 'One year' },
      ],
      at,
    );
    expect(Array.from(batch.columns[0] as Float32Array)).toEqual([largest, -largest]);
    // A float64 input holds what float32 cannot.
    expect(Array.from(batch.columns[1] as Float64Array)).toEqual([1e39, -1e300]);
    expect(Math.fround(FLOAT32_OVERFLOW)).toBe(Number.POSITIVE_INFINITY);
    expect(Math.fround(below)).toBe(largest);
  });

  it.each([
    ['NUL', '\u0000', 'U+0000'],
    ['a tab', 'One\tyear', 'U+0009'],
    ['a newline', 'One year\n', 'U+000A'],
    ['escape', '\u001b[31mred', 'U+001B'],
    ['DEL', 'One\u007fyear', 'U+007F'],
  ])('refuses text holding %s in a text feature, naming the field and the character', (_name, text, code) => {
    const error = inputError(() => builder.fromRecords([{ tenure: 1, contract: text }], at));
    expect(error.field).toBe('rows[0].contract');
    expect(error.problem).toBe(`text holds the control character ${code}; send plain text`);
    const columnar = inputError(() =>
      builder.fromColumns(['tenure', 'contract'], 1, (_row, column) => [1, text][column], at, 'header'),
    );
    expect(columnar.field).toBe('rows[0].contract');
  });

  it('refuses a control character even in a category the model knows', () => {
    const withControl = new FeatureBatchBuilder([
      { ...columns[2], categories: new Set(['One\u0007year', 'One year']) },
    ]);
    expect(inputError(() => withControl.fromRecords([{ contract: 'One\u0007year' }], at)).field).toBe(
      'rows[0].contract',
    );
    expect(withControl.fromRecords([{ contract: 'One year' }], at).columns[0]).toEqual(['One year']);
  });

  it('refuses a row that is not an object', () => {
    expect(inputError(() => builder.fromRecords([{ tenure: 1, contract: 'x' }, 'oops'], at)).message).toBe(
      'rows[1].: expected an object of feature values, got string',
    );
  });

  it('builds the same columns from a header and cells, warning once about unknown columns', () => {
    const rows = [
      ['One year', 5, 'x'],
      ['0', '', 'y'],
    ];
    const batch = builder.fromColumns(
      ['contract', 'tenure', 'colour'],
      2,
      (row, column) => rows[row][column],
      at,
      'header',
    );
    expect(Array.from(batch.columns[0] as Float32Array)).toEqual([5, Number.NaN]);
    expect(batch.columns[2]).toEqual(['One year', '0']);
    expect(batch.batchWarnings).toEqual(['column "colour" is not a model input; ignored']);
    expect(inputError(() => builder.fromColumns(['contract'], 1, () => 'x', at, 'header')).message).toBe(
      'header: required column "tenure" is missing',
    );
  });
});

describe('FeatureBatchBuilder with integer-coded categories', () => {
  const coded: InputColumnPlan[] = [
    columns[0],
    {
      ...columns[2],
      columnVector: false,
      categoryCodes: new Map([
        ['Month-to-month', 0],
        ['One year', 1],
        ['0', 2],
      ]),
    },
  ];
  const codedBuilder = new FeatureBatchBuilder(coded);

  it('feeds each category as its code and anything else (missing, unknown) as -1, keeping the text for observers', () => {
    const batch = codedBuilder.fromRecords(
      [
        { tenure: 1, contract: 'One year' },
        { tenure: 2, contract: 0 },
        { tenure: 3, contract: null },
        { tenure: 4, contract: 'Two weeks' },
        { tenure: 5, contract: ' ' },
        { tenure: 6, contract: 'Month-to-month' },
      ],
      at,
    );
    expect(batch.categoryCodes[0]).toBeUndefined();
    expect(Array.from(batch.categoryCodes[1] ?? [])).toEqual([1, 2, -1, -1, -1, 0]);
    expect(batch.columns[1]).toEqual(['One year', '0', '', 'Two weeks', '', 'Month-to-month']);
    expect(batch.rowWarnings?.[3]).toEqual([
      'contract: unknown category "Two weeks" scored as none of the known categories',
    ]);
  });

  it('fills the same codes from a header and cells', () => {
    const rows = [['0'], ['x'], ['One year']];
    const batch = codedBuilder.fromColumns(
      ['contract', 'tenure'],
      3,
      (row, column) => (column === 0 ? rows[row][0] : 1),
      at,
      'header',
    );
    expect(Array.from(batch.categoryCodes[1] ?? [])).toEqual([2, -1, 1]);
  });
});

describe('int64Codes', () => {
  it('widens 32-bit codes to int64 with their sign, across the whole 32-bit range', () => {
    const codes = Int32Array.from([0, 1, -1, 7, 2_147_483_647, -2_147_483_648]);
    expect(Array.from(int64Codes([codes], codes.length))).toEqual([0n, 1n, -1n, 7n, 2_147_483_647n, -2_147_483_648n]);
    expect(int64Codes([new Int32Array(0)], 0).length).toBe(0);
    // Parts are joined in order as they are widened.
    expect(Array.from(int64Codes([codes.subarray(0, 2), new Int32Array(0), codes.subarray(2)], codes.length))).toEqual([
      0n,
      1n,
      -1n,
      7n,
      2_147_483_647n,
      -2_147_483_648n,
    ]);
  });
});

describe('joinedColumn', () => {
  const part = (tenure: number[], contract: string[]) => ({
    rowCount: tenure.length,
    columns: [Float32Array.from(tenure), Float64Array.from(tenure), contract],
    categoryCodes: [undefined, undefined, undefined],
    rowWarnings: undefined,
    batchWarnings: [],
  });

  it('joins one column of several batches in order, keeping its kind', () => {
    const parts = [part([1], ['One year']), part([2, 3], ['', 'x']), part([], []), part([4], ['Two year'])];
    const floats = joinedColumn(parts, 0, 4);
    expect(floats).toBeInstanceOf(Float32Array);
    expect(Array.from(floats as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(joinedColumn(parts, 1, 4)).toBeInstanceOf(Float64Array);
    expect(joinedColumn(parts, 2, 4)).toEqual(['One year', '', 'x', 'Two year']);
  });

  it("hands back the batch's own column when there is one batch", () => {
    const only = part([5, 6], ['a', 'b']);
    expect(joinedColumn([only], 2, 2)).toBe(only.columns[2]);
  });
});
