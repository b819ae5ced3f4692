import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';

import { readCsvSample } from '../data/csv-reader';
import { SchemaError } from '../errors';
import { defaultChurnSchema, inferSchema, validateSchema } from './feature-schema';

const TELCO_CSV = path.resolve(__dirname, '../../../data/telco-customer-churn.csv');

describe('defaultChurnSchema', () => {
  it('describes the Telco data: Churn/Yes, customerID dropped, three numeric columns, SeniorCitizen categorical', () => {
    const schema = defaultChurnSchema();
    expect(schema).toMatchObject({ target: 'Churn', positiveLabel: 'Yes', identifiers: ['customerID'] });
    expect(schema.numeric).toEqual(['tenure', 'MonthlyCharges', 'TotalCharges']);
    expect(schema.categorical).toContain('SeniorCitizen');
    expect(schema.categorical).toHaveLength(16);
  });

  it('turns the first Telco row into the demo customer the stack and system tests send (telco-first-customer.json)', async () => {
    const { header, rows } = await readCsvSample(createReadStream(TELCO_CSV), 1);
    const schema = defaultChurnSchema();
    const expected = Object.fromEntries(
      header
        .map((column, index) => [column, rows[0][index]] as const)
        .filter(([column]) => column !== schema.target && !schema.identifiers.includes(column))
        .map(([column, text]) => [
          column,
          schema.numeric.includes(column) || column === 'SeniorCitizen' ? Number(text) : text,
        ]),
    );
    const customer = JSON.parse(readFileSync(path.join(path.dirname(TELCO_CSV), 'telco-first-customer.json'), 'utf8'));
    expect(customer).toEqual(expected);
  });

  it('returns a fresh copy each time', () => {
    const first = defaultChurnSchema();
    first.numeric.push('changed');
    expect(defaultChurnSchema().numeric).toHaveLength(3);
  });
});

describe('inferSchema', () => {
  it('infers the default schema from the Telco header and its first 500 rows', async () => {
    const { header, rows } = await readCsvSample(createReadStream(TELCO_CSV), 500);
    expect(inferSchema(header, rows)).toEqual(defaultChurnSchema());
  });

  it('applies overrides: a listed column leaves the list it was inferred into', () => {
    const header = ['id', 'age', 'plan', 'label'];
    const rows = [
      ['1', '30', 'a', 'true'],
      ['2', '41', 'b', 'false'],
      ['3', '52', 'a', 'true'],
    ];
    expect(inferSchema(header, rows)).toEqual({
      target: 'label',
      positiveLabel: 'true',
      identifiers: ['id'],
      numeric: ['age'],
      categorical: ['plan'],
    });
    expect(inferSchema(header, rows, { categorical: ['plan', 'age'], positiveLabel: 'false' })).toEqual({
      target: 'label',
      positiveLabel: 'false',
      identifiers: ['id'],
      numeric: [],
      categorical: ['plan', 'age'],
    });
  });

  it('asks for the positive label when it cannot guess it', () => {
    expect(() =>
      inferSchema(
        ['x', 'churn'],
        [
          ['1', 'left'],
          ['2', 'stayed'],
        ],
      ),
    ).toThrow(SchemaError);
  });
});

describe('validateSchema', () => {
  const valid = { target: 'y', positiveLabel: '1', identifiers: ['id'], numeric: ['a'], categorical: ['b'] };

  it('accepts a valid schema and does not share arrays with the input', () => {
    const schema = validateSchema(valid);
    expect(schema).toEqual(valid);
    expect(schema.numeric).not.toBe(valid.numeric);
  });

  it.each([
    [{ ...valid, numeric: ['a', 'a'] }, 'schema field "numeric" repeats column(s): a'],
    [{ ...valid, categorical: ['a'] }, 'column "a" appears in both "numeric" and "categorical"'],
    [{ ...valid, numeric: ['y'] }, 'column "y" appears in both "target" and "numeric"'],
    [{ ...valid, identifiers: ['b'] }, 'column "b" appears in both "identifiers" and "categorical"'],
    [{ ...valid, target: '' }, 'schema field "target" must be a non-empty string'],
    [{ ...valid, numeric: 'a' }, 'schema field "numeric" must be an array of column names'],
    [
      { ...valid, numeric: [], categorical: [] },
      'the schema names no feature column: both "numeric" and "categorical" are empty',
    ],
    [{ ...valid, extra: 1 }, 'unknown schema field(s): extra'],
    [[], 'a feature schema must be a JSON object'],
  ])('refuses %j', (candidate, message) => {
    expect(() => validateSchema(candidate)).toThrow(new SchemaError(message));
  });

  it('names columns the data does not have', () => {
    expect(() => validateSchema(valid, ['y', 'a', 'b'])).toThrow(
      new SchemaError('the schema names column(s) the data does not have: "id"'),
    );
  });
});
