/**
 * MLflow's scoring protocol, as `mlflow models serve` reads it (mlflow/pyfunc/scoring_server):
 * - `application/json` with exactly one of `dataframe_split` (`{ columns, data }`),
 *   `dataframe_records` (`[{ column: value }]`), `instances` or `inputs` (a list of records, or a
 *   dictionary of column lists); `params` is accepted and ignored (these models take none);
 * - `text/csv`: a header row of column names, then one row per record (blank cells are missing).
 * Anything else is 415, with MLflow's wording.
 */
import { CsvTokenizer, type CsvRow } from '@churn/churn-pipeline';

import type { FeatureBatch, FeatureBatchBuilder } from '../model/feature-batch';
import { InputError } from '../model/model-errors';

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
const REQUIRED_INPUT_FORMAT = `The input must be a JSON dictionary with exactly one of the input fields {${FORMATS.map((format) => `'${format}'`).join(', ')}}`;

/** @throws {InputError} 400 for a bad body, 413 for too many rows, 415 for another content type */
export function invocationsBatch(
  contentType: string | undefined,
  body: unknown,
  builder: FeatureBatchBuilder,
  maxRows: number,
): FeatureBatch {
  const [mime, ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((parameter) => parameter.startsWith('charset='));
  if (charset && charset !== 'charset=utf-8')
    throw new InputError('content-type', 'The scoring server only supports UTF-8', 415);
  if (mime === 'text/csv') return csvBatch(typeof body === 'string' ? body : '', builder, maxRows);
  if (mime !== 'application/json') {
    throw new InputError(
      'content-type',
      `This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got '${contentType ?? ''}'.`,
      415,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError('body', `${REQUIRED_INPUT_FORMAT}. Received ${Array.isArray(body) ? 'a list' : typeof body}.`);
  }
  const fields = body as Record<string, unknown>;
  const given = FORMATS.filter((format) => format in fields);
  if (given.length !== 1)
    throw new InputError(
      'body',
      `${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: ${JSON.stringify(Object.keys(fields))}.`,
    );
  const format = given[0];
  const data = fields[format];
  if (format === 'dataframe_split') return splitBatch(data, builder, maxRows);
  if (format === 'dataframe_records') {
    if (!Array.isArray(data)) throw new InputError(format, 'expected a list of records');
    checkRows(format, data.length, maxRows);
    return builder.fromRecords(data, (row, column) => `${format}[${row}]${column ? `.${column}` : ''}`);
  }
  return tensorInputBatch(format, data, builder, maxRows);
}

function checkRows(where: string, rows: number, maxRows: number): void {
  if (rows === 0) throw new InputError(where, 'expected at least one row');
  if (rows > maxRows)
    throw new InputError(
      where,
      `${rows} rows exceed the limit of ${maxRows} per request (MAX_BATCH_ROWS); split the batch`,
      413,
    );
}

function splitBatch(frame: unknown, builder: FeatureBatchBuilder, maxRows: number): FeatureBatch {
  const where = 'dataframe_split';
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame))
    throw new InputError(where, 'expected { "columns": [...], "data": [[...], ...] }');
  const { columns, data } = frame as { columns?: unknown; data?: unknown };
  if (!Array.isArray(columns) || !columns.every((column) => typeof column === 'string'))
    throw new InputError(`${where}.columns`, 'expected a list of column names');
  if (!Array.isArray(data)) throw new InputError(`${where}.data`, 'expected a list of rows');
  checkRows(`${where}.data`, data.length, maxRows);
  data.forEach((row, index) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw new InputError(`${where}.data[${index}]`, `expected a list of ${columns.length} values, one per column`);
    }
  });
  const rows = data as unknown[][];
  return builder.fromColumns(
    columns,
    rows.length,
    (row, column) => rows[row][column],
    (row, column) => `${where}.data[${row}] (${column})`,
    `${where}.columns`,
  );
}

/** `instances` / `inputs`: a list of records, a dictionary of column lists, or one record of scalars. */
function tensorInputBatch(where: string, data: unknown, builder: FeatureBatchBuilder, maxRows: number): FeatureBatch {
  if (Array.isArray(data)) {
    checkRows(where, data.length, maxRows);
    return builder.fromRecords(data, (row, column) => `${where}[${row}]${column ? `.${column}` : ''}`);
  }
  if (typeof data !== 'object' || data === null)
    throw new InputError(where, 'expected a list of records or a dictionary of column lists');
  const entries = Object.entries(data as Record<string, unknown>);
  const lists = entries.filter(([, value]) => Array.isArray(value));
  if (lists.length === 0) return builder.fromRecords([data], (_row, column) => `${where}.${column}`);
  if (lists.length !== entries.length)
    throw new InputError(where, 'mixes column lists and single values; send every column as a list of the same length');
  const rows = (lists[0][1] as unknown[]).length;
  for (const [name, values] of lists) {
    if ((values as unknown[]).length !== rows)
      throw new InputError(
        `${where}.${name}`,
        `has ${(values as unknown[]).length} values; ${lists[0][0]} has ${rows}`,
      );
  }
  checkRows(where, rows, maxRows);
  const header = lists.map(([name]) => name);
  const columns = lists.map(([, values]) => values as unknown[]);
  return builder.fromColumns(
    header,
    rows,
    (row, column) => columns[column][row],
    (row, column) => `${where}.${column}[${row}]`,
    where,
  );
}

function csvBatch(text: string, builder: FeatureBatchBuilder, maxRows: number): FeatureBatch {
  const tokenizer = new CsvTokenizer();
  const rows: CsvRow[] = [];
  try {
    tokenizer.push(text, rows);
    tokenizer.finish(rows);
  } catch (error) {
    throw new InputError('body', `Failed to parse input as a Pandas DataFrame: ${(error as Error).message}`);
  }
  const [header, ...records] = rows;
  if (!header)
    throw new InputError('body', 'the CSV is empty; send a header row of column names, then one row per record');
  checkRows('body', records.length, maxRows);
  records.forEach((record) => {
    if (record.fields.length !== header.fields.length) {
      throw new InputError(
        `line ${record.line}`,
        `has ${record.fields.length} fields; the header has ${header.fields.length}`,
      );
    }
  });
  return builder.fromColumns(
    header.fields,
    records.length,
    (row, column) => records[row].fields[column],
    (row, column) => `line ${records[row].line}, column ${column}`,
    'CSV header',
  );
}
