import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';

import { defaultChurnSchema, readCsvSample } from '@churn/churn-pipeline';

import { readJsonNumber } from '../model/dataframe-split-scanner';
import { FeatureBatchBuilder, type FeatureBatch } from '../model/feature-batch';
import type { InputColumnPlan } from '../model/model-contract';
import { invocationsBatch } from './invocations-request';

const telcoCsv = resolve(__dirname, '../../../../../libs/churn-pipeline/data/telco-customer-churn.csv');
const MAX_ROWS = 5000;

/** A deterministic generator (mulberry32), so a failure names a body that can be made again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Everything a consumer of a batch reads, with numbers as their exact bits (so -0, NaN and float32 rounding count). */
function comparable(batch: FeatureBatch): unknown {
  return {
    rowCount: batch.rowCount,
    columns: batch.columns.map((column) =>
      Array.isArray(column)
        ? Array.from(column)
        : Buffer.from(column.buffer, column.byteOffset, column.byteLength).toString('hex'),
    ),
    lengths: batch.columns.map((column) => column.length),
    categoryCodes: batch.categoryCodes.map((codes) => (codes ? Array.from(codes) : undefined)),
    rowWarnings: batch.rowWarnings ? Array.from(batch.rowWarnings) : undefined,
    batchWarnings: batch.batchWarnings,
  };
}

/** The general way: JSON.parse, then the protocol's reader and the builder (what the scanner must equal). */
function generalBatch(builder: FeatureBatchBuilder, text: string): FeatureBatch {
  return invocationsBatch('application/json', JSON.parse(text), builder, MAX_ROWS);
}

function scanned(builder: FeatureBatchBuilder, text: string, maxRows = MAX_ROWS): FeatureBatch | undefined {
  return builder.fromDataframeSplitJson(Buffer.from(text, 'utf8'), maxRows);
}

function expectSameAsGeneral(builder: FeatureBatchBuilder, text: string): void {
  const batch = scanned(builder, text);
  expect(batch).toBeDefined();
  expect(comparable(batch as FeatureBatch)).toEqual(comparable(generalBatch(builder, text)));
}

const split = (columns: string[], data: unknown[][]) => JSON.stringify({ dataframe_split: { columns, data } });

describe('readJsonNumber', () => {
  /** Reads `text` followed by a delimiter, as cells are. */
  const read = (text: string) => readJsonNumber(Buffer.from(`${text}]`, 'latin1'), 0, { end: 0 });

  it.each([
    '0',
    '-0',
    '0.0',
    '-0.0',
    '1',
    '-1',
    '29.85',
    '1889.5',
    '0.1',
    '0.3',
    '1e22',
    '1e23',
    '1E+2',
    '1e-2',
    '-2.5E-3',
    '9007199254740992',
    '9007199254740993',
    '123456789012345',
    '1234567890123456',
    '123456789012345.6',
    '0.000001234',
    '2.2250738585072014e-308',
    '5e-324',
    '2e-324',
    '1.7976931348623157e308',
    '1e309',
    '-1e309',
    '1e-400',
    '100000000000000000000000',
    '0.1e1',
    '10e-1',
    '3.0000000000000004',
  ])('reads %s exactly as JSON.parse does', (text) => {
    expect(Object.is(read(text), JSON.parse(text))).toBe(true);
  });

  it('reads 200,000 generated numbers bit for bit as JSON.parse does', () => {
    const next = random(20261127);
    const mismatches: string[] = [];
    for (let index = 0; index < 200_000; index++) {
      const text = generatedNumber(next, index % 5);
      if (!Object.is(read(text), JSON.parse(text))) mismatches.push(text);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  /** Numbers of every form: shortest text of random doubles, fixed and exponent forms, random digit strings. */
  function generatedNumber(next: () => number, form: number): string {
    const sign = next() < 0.3 ? '-' : '';
    const magnitude = Math.pow(10, Math.floor(next() * 40) - 20) * next();
    if (form === 0) return `${sign}${magnitude}`.replace('--', '-');
    if (form === 1) return sign + magnitude.toFixed(Math.floor(next() * 12));
    if (form === 2) return sign + magnitude.toExponential(Math.floor(next() * 20));
    const digits = (count: number) => Array.from({ length: count }, () => Math.floor(next() * 10)).join('');
    const integer = next() < 0.3 ? '0' : `${1 + Math.floor(next() * 9)}${digits(Math.floor(next() * 20))}`;
    const fraction = next() < 0.5 ? '' : `.${digits(1 + Math.floor(next() * 20))}`;
    const exponent = form === 4 ? `e${next() < 0.5 ? '-' : ''}${Math.floor(next() * 340)}` : '';
    return sign + integer + fraction + exponent;
  }
});

describe('DataframeSplitScanner', () => {
  let telco: FeatureBatchBuilder;
  let telcoFloat64: FeatureBatchBuilder;
  let columns: string[];
  let rows: (string | number | null)[][];

  beforeAll(async () => {
    const schema = defaultChurnSchema();
    const sample = await readCsvSample(createReadStream(telcoCsv), 3000);
    columns = [...schema.numeric, ...schema.categorical];
    const positions = columns.map((name) => sample.header.indexOf(name));
    const numeric = new Set<string>(schema.numeric);
    // As clients send them (and as the bench does): numbers for numeric columns, text otherwise.
    rows = sample.rows.map((row) =>
      columns.map((name, index) =>
        numeric.has(name)
          ? row[positions[index]].trim() === ''
            ? null
            : Number(row[positions[index]])
          : row[positions[index]],
      ),
    );
    const plans = (tensorType: 'float32' | 'float64'): InputColumnPlan[] =>
      columns.map((name, index) => {
        if (numeric.has(name))
          return { name, kind: 'numeric', tensorType, columnVector: true, required: true, categories: undefined };
        const categories = [...new Set(sample.rows.map((row) => row[positions[index]]))].sort();
        // Every other column fed as codes and the rest as text, so both kinds of categorical column are read.
        const categoryCodes =
          index % 2 === 0 ? new Map(categories.map((category, code): [string, number] => [category, code])) : undefined;
        return {
          name,
          kind: 'categorical',
          tensorType: 'string',
          columnVector: true,
          required: true,
          categories: new Set(categories),
          categoryCodes,
        };
      });
    telco = new FeatureBatchBuilder(plans('float32'));
    telcoFloat64 = new FeatureBatchBuilder(plans('float64'));
  });

  it('reads real Telco batches into the same batch as the general way, for float32 and float64 inputs', () => {
    for (const count of [1, 63, 64, 65, 1000, 3000]) {
      expectSameAsGeneral(telco, split(columns, rows.slice(0, count)));
      expectSameAsGeneral(telcoFloat64, split(columns, rows.slice(0, count)));
    }
  });

  it('reads pretty-printed bodies, reordered and extra columns, and every kind of cell the builder takes', () => {
    const header = [...columns].reverse().concat('note', 'user_id');
    const data = rows.slice(0, 300).map((row, index) => {
      const cells: unknown[] = [...row]
        .reverse()
        .concat(index % 3 === 0 ? null : index % 3 === 1 ? `note ${index}` : -index * 1.5e-3, `user-${index}`);
      const at = (name: string) => header.indexOf(name);
      if (index % 5 === 0) cells[at('tenure')] = ` ${index} `; // numeric text
      if (index % 7 === 0) cells[at('MonthlyCharges')] = null;
      if (index % 9 === 0) cells[at('TotalCharges')] = '  '; // blank text: missing
      if (index % 11 === 0) cells[at('Contract')] = 'Two weeks'; // unknown: scored and warned
      if (index % 13 === 0) cells[at('PaymentMethod')] = 'Chèque postal'; // unknown, not ASCII
      if (index % 17 === 0) cells[at('SeniorCitizen')] = index % 2; // a number as category text
      if (index % 19 === 0) cells[at('gender')] = null;
      if (index % 23 === 0) cells[at('tenure')] = -1.25e-7;
      return cells;
    });
    // One row with two unknown categories, so row warnings keep their order too (the header is not in model order).
    data[1][header.indexOf('Contract')] = 'Two weeks';
    data[1][header.indexOf('PaymentMethod')] = 'Barter';
    const compact = split(header, data);
    const general = generalBatch(telco, compact);
    expect(general.rowWarnings?.[1]).toHaveLength(2);
    // Reordered headers with several warnings in a row go the general way; in model order the scanner reads them.
    expect(scanned(telco, compact)).toBeUndefined();
    const inOrder = columns.concat('note', 'user_id');
    const ordered = split(
      inOrder,
      data.map((cells) => inOrder.map((name) => cells[header.indexOf(name)])),
    );
    expectSameAsGeneral(telco, ordered);
    expectSameAsGeneral(telco, JSON.stringify(JSON.parse(ordered), null, 2).replace(/\n/g, '\r\n\t'));
    // Without rows of two warnings, a reordered header is read directly.
    data.forEach(
      (cells, index) => (cells[header.indexOf('PaymentMethod')] = rows[index][columns.indexOf('PaymentMethod')]),
    );
    expectSameAsGeneral(telco, split(header, data));
  });

  it('recognises known categories that are not ASCII, and fills an optional column the header lacks', () => {
    const plans: InputColumnPlan[] = [
      {
        name: 'ville',
        kind: 'categorical',
        tensorType: 'string',
        columnVector: true,
        required: true,
        categories: new Set(['Montréal', '東京', 'Zürich']),
        categoryCodes: new Map([
          ['Montréal', 0],
          ['東京', 1],
          ['Zürich', 2],
        ]),
      },
      {
        name: 'âge',
        kind: 'numeric',
        tensorType: 'float64',
        columnVector: true,
        required: false,
        categories: undefined,
      },
    ];
    const builder = new FeatureBatchBuilder(plans);
    const body = split(['ville'], [['東京'], ['Zürich'], ['Zurich'], [null]]);
    expectSameAsGeneral(builder, body);
    expect(Array.from((scanned(builder, body) as FeatureBatch).categoryCodes[0] as Int32Array)).toEqual([1, 2, -1, -1]);
    expectSameAsGeneral(builder, split(['âge', 'ville'], [[3, 'Montréal']]));
  });

  it('takes for a float64 input the numbers float32 cannot hold, as the general way does', () => {
    const body = split(columns, rows.slice(0, 2)).replace('[1,29.85', '[1e39,29.85');
    expectSameAsGeneral(telcoFloat64, body);
    expect(() => generalBatch(telco, body)).toThrow(/data\[0\] \(tenure\): 1e\+39 is beyond what this input's type/);
  });

  it('takes exactly the row limit and leaves a larger batch to the general way (which answers 413)', () => {
    expect(scanned(telco, split(columns, rows.slice(0, 100)), 100)?.rowCount).toBe(100);
    expect(scanned(telco, split(columns, rows.slice(0, 101)), 100)).toBeUndefined();
  });

  it.each([
    ['an escaped string', (body: string) => body.replace('"Female"', '"Fem\\u0061le"')],
    ['an escaped quote in a category', (body: string) => body.replace('"Female"', '"Fe\\"male"')],
    ['an escaped quote in an unknown category', (body: string) => body.replace('"Female"', '"x\\",1,\\"y"')],
    ['a raw tab in a string', (body: string) => body.replace('"Female"', '"Fe\tmale"')],
    ['an escaped column name', (body: string) => body.replace('"tenure"', '"ten\\u0075re"')],
    ['a boolean cell', (body: string) => body.replace('"Female"', 'true')],
    ['a list as a cell', (body: string) => body.replace('"Female"', '["Female"]')],
    ['an index key', (body: string) => body.replace('"data"', '"index":[0,1],"data"')],
    ['params beside the frame', (body: string) => body.replace(/}$/, ',"params":{}}')],
    ['keys in the other order', () => JSON.stringify({ dataframe_split: { data: rows.slice(0, 2), columns } })],
    ['another protocol shape', () => JSON.stringify({ dataframe_records: [{ tenure: 1 }] })],
    ['no rows', () => split(columns, [])],
    ['a short row', (body: string) => body.replace(',"Electronic check"]', ']')],
    ['a value the builder refuses', (body: string) => body.replace('[1,29.85', '["one",29.85')],
    ['infinity', (body: string) => body.replace('[1,29.85', '[1e999,29.85')],
    ['a number float32 cannot hold', (body: string) => body.replace('[1,29.85', '[1e39,29.85')],
    ['a negative number float32 cannot hold', (body: string) => body.replace('[1,29.85', '[-1e39,29.85')],
    ['DEL in a known category', (body: string) => body.replace('"Female"', '"Fem\u007fale"')],
    ['DEL in an unknown category', (body: string) => body.replace('"Female"', '"\u007f"')],
    [
      'a required column missing',
      () =>
        split(
          columns.slice(1),
          rows.slice(0, 2).map((row) => row.slice(1)),
        ),
    ],
    ['a leading zero', (body: string) => body.replace('[1,29.85', '[01,29.85')],
    ['a bare fraction', (body: string) => body.replace('[1,29.85', '[1,.85')],
    ['a trailing comma', (body: string) => body.replace(']]}}', '],]}}')],
    ['text after the body', (body: string) => `${body} x`],
    ['a byte order mark', (body: string) => `\ufeff${body}`],
    ['a truncated body', (body: string) => body.slice(0, -3)],
  ])('leaves %s to the general way', (_case, change) => {
    const body = change(split(columns, rows.slice(0, 2)));
    expect(scanned(telco, body)).toBeUndefined();
  });
});
