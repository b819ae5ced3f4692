import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import { DatasetError } from '../errors';
import type { FeatureSchema } from '../pipeline-contract';
import { loadCsvDataset, loadRecordsDataset } from './churn-dataset';

const schema: FeatureSchema = {
  target: 'Churn',
  positiveLabel: 'Yes',
  identifiers: ['id'],
  numeric: ['tenure', 'charges'],
  categorical: ['plan'],
};

const csv = (text: string): Readable => Readable.from([text]);

async function loadError(text: string, against: FeatureSchema = schema): Promise<DatasetError> {
  try {
    await loadCsvDataset(csv(text), against);
  } catch (error) {
    if (error instanceof DatasetError) return error;
    throw error;
  }
  throw new Error('expected a DatasetError');
}

describe('loadCsvDataset', () => {
  it('stores columns by type, with blank and whitespace-only cells as missing', async () => {
    const text =
      'id,tenure,charges,plan,extra,Churn\r\n' + 'a,1,29.85,basic,x,No\r\n' + 'b,0, ,pro,y,Yes\r\n' + 'c,3,5,,z,No\r\n';
    const dataset = await loadCsvDataset(csv(text), schema);
    expect(dataset.rowCount).toBe(3);
    expect(Array.from(dataset.numeric[0].values)).toEqual([1, 0, 3]);
    expect(Array.from(dataset.numeric[1].values)).toEqual([29.85, Number.NaN, 5]);
    expect(dataset.categorical[0]).toEqual({ name: 'plan', codes: Int32Array.of(0, 1, -1), levels: ['basic', 'pro'] });
    expect(Array.from(dataset.target)).toEqual([0, 1, 0]);
    expect(dataset.positiveCount).toBe(1);
    expect(dataset.ignoredColumns).toEqual(['extra']);
    expect(dataset.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('names the line and column of text in a numeric column', async () => {
    const error = await loadError('tenure,charges,plan,Churn\n1,2,a,No\n3,lots,b,Yes\n');
    expect(error.message).toBe(
      'line 3, column "charges": "lots" is not a number (numeric column; blank means missing)',
    );
  });

  it('lists the columns the header lacks', async () => {
    const error = await loadError('tenure,plan\n1,a\n');
    expect(error.message).toBe(
      'line 1, column "charges": the header lacks column(s) the schema needs: "charges", "Churn"',
    );
  });

  it('refuses a single class, a missing positive label, a third label and a missing target', async () => {
    expect((await loadError('tenure,charges,plan,Churn\n1,2,a,No\n3,4,b,No\n')).message).toBe(
      'column "Churn": a single class: all 2 rows have target "No"; training needs two',
    );
    expect((await loadError('tenure,charges,plan,Churn\n1,2,a,0\n3,4,b,1\n')).message).toBe(
      'column "Churn": the positive label "Yes" never occurs; the target\'s values are "0" and "1"',
    );
    expect((await loadError('tenure,charges,plan,Churn\n1,2,a,No\n3,4,b,Yes\n5,6,c,Maybe\n')).message).toBe(
      'line 4, column "Churn": a third target label "Maybe" beside "No" and "Yes": the target must be binary',
    );
    expect((await loadError('tenure,charges,plan,Churn\n1,2,a, \n')).message).toBe(
      'line 2, column "Churn": the target is missing',
    );
  });

  it('refuses an empty file and a header without rows', async () => {
    expect((await loadError('')).message).toBe('line 1: the file is empty: no header row');
    expect((await loadError('tenure,charges,plan,Churn\n')).message).toBe(
      'line 2: no data rows: the input holds a header only',
    );
  });
});

describe('loadRecordsDataset', () => {
  it('applies the CSV rules to JSON-like records and leaves them unchanged', async () => {
    const records = [
      { id: 'a', tenure: 1, charges: '29.85', plan: 'basic', Churn: 'No' },
      { id: 'b', tenure: '2', charges: null, plan: 3, Churn: 'Yes' },
    ];
    const copy = structuredClone(records);
    const dataset = await loadRecordsDataset(records, schema);
    expect(records).toEqual(copy);
    expect(Array.from(dataset.numeric[1].values)).toEqual([29.85, Number.NaN]);
    expect(dataset.categorical[0].levels).toEqual(['basic', '3']);
  });

  it('names the record and column of a bad value', async () => {
    await expect(
      loadRecordsDataset(
        [
          { tenure: 1, charges: 2, plan: 'a', Churn: 'No' },
          { tenure: 'x', charges: 2, plan: 'a', Churn: 'Yes' },
        ],
        schema,
      ),
    ).rejects.toThrow(
      new DatasetError('"x" is not a number (numeric column; blank means missing)', { record: 2, column: 'tenure' }),
    );
  });
});
