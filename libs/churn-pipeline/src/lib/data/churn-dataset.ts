/**
 * Loading data against a feature schema into a column store: numeric columns as `Float64Array`
 * (missing = NaN), categorical columns as integer codes into a level list (missing = -1), the target
 * as 0/1. Every value is checked as it arrives and a bad one stops the load with its line and column.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

import { DatasetError, type DatasetErrorLocation } from '../errors';
import type { CustomerRecord, FeatureSchema } from '../pipeline-contract';
import { requiredColumns, validateSchema } from '../schema/feature-schema';
import { categoryFromRaw, numericFromRaw, parseNumericText, quoteForMessage } from './cell-values';
import { readCsv, type CsvSource } from './csv-reader';
import { GrowableArray } from './growable-array';

/** A numeric column of a {@link ChurnDataset}; `NaN` marks a missing value. */
export interface NumericColumnData {
  name: string;
  values: Float64Array;
}

/** A categorical column of a {@link ChurnDataset}: `codes[i]` indexes `levels`; -1 marks a missing value. */
export interface CategoricalColumnData {
  name: string;
  codes: Int32Array;
  /** Distinct values in order of first appearance. */
  levels: string[];
}

/** Rows loaded against a schema, stored by column. Columns follow the schema's order. */
export interface ChurnDataset {
  schema: FeatureSchema;
  rowCount: number;
  numeric: NumericColumnData[];
  categorical: CategoricalColumnData[];
  /** 1 where the target equals the schema's positive label, else 0. */
  target: Uint8Array;
  positiveCount: number;
  /**
   * SHA-256 (hex) of the input: of the file's bytes for CSV input; for records, of one JSON array per
   * record (the schema's required columns in {@link requiredColumns} order) joined by newlines.
   */
  sha256: string;
  /** Columns of the input that the schema does not use (CSV input only). */
  ignoredColumns: string[];
}

/**
 * Collects rows into columns, checking each value. Shared by CSV and in-memory loading so that both
 * apply exactly the same rules. Each value comes with its row's position (a CSV line or a record
 * number, as `positionKind` says); a location object is made only for an error, not for every cell.
 */
class DatasetBuilder {
  private readonly numeric: GrowableArray<Float64Array>[];
  private readonly codes: GrowableArray<Int32Array>[];
  private readonly levelIndex: Map<string, number>[];
  private readonly levels: string[][];
  private readonly target = new GrowableArray((capacity) => new Uint8Array(capacity));
  private readonly targetLabels = new Set<string>();
  private positiveCount = 0;

  constructor(
    readonly schema: FeatureSchema,
    private readonly positionKind: 'line' | 'record',
  ) {
    this.numeric = schema.numeric.map(() => new GrowableArray((capacity) => new Float64Array(capacity)));
    this.codes = schema.categorical.map(() => new GrowableArray((capacity) => new Int32Array(capacity)));
    this.levelIndex = schema.categorical.map(() => new Map());
    this.levels = schema.categorical.map(() => []);
  }

  /** Where the cell of `column` at `position` is, for an error message. */
  private where(position: number, column: string): DatasetErrorLocation {
    return { [this.positionKind]: position, column };
  }

  /** Adds a numeric cell; `undefined` from the parser means text that is not a number. */
  addNumeric(columnIndex: number, value: number | null | undefined, raw: unknown, position: number): void {
    if (value === undefined) {
      throw new DatasetError(
        `${quoteForMessage(raw)} is not a number (numeric column; blank means missing)`,
        this.where(position, this.schema.numeric[columnIndex]),
      );
    }
    this.numeric[columnIndex].push(value === null ? Number.NaN : value);
  }

  addCategory(columnIndex: number, value: string | null | undefined, raw: unknown, position: number): void {
    if (value === undefined) {
      throw new DatasetError(
        `${quoteForMessage(raw)} cannot be a category (expected text or a number)`,
        this.where(position, this.schema.categorical[columnIndex]),
      );
    }
    if (value === null) {
      this.codes[columnIndex].push(-1);
      return;
    }
    const index = this.levelIndex[columnIndex];
    let code = index.get(value);
    if (code === undefined) {
      code = this.levels[columnIndex].length;
      index.set(value, code);
      this.levels[columnIndex].push(value);
    }
    this.codes[columnIndex].push(code);
  }

  addTarget(label: string | null | undefined, raw: unknown, position: number): void {
    if (label === null || label === undefined) {
      throw new DatasetError(
        `the target is ${label === null ? 'missing' : `not a label: ${quoteForMessage(raw)}`}`,
        this.where(position, this.schema.target),
      );
    }
    if (!this.targetLabels.has(label)) {
      if (this.targetLabels.size === 2) {
        const known = [...this.targetLabels].map((l) => JSON.stringify(l)).join(' and ');
        throw new DatasetError(
          `a third target label ${JSON.stringify(label)} beside ${known}: the target must be binary`,
          this.where(position, this.schema.target),
        );
      }
      this.targetLabels.add(label);
    }
    const positive = label === this.schema.positiveLabel ? 1 : 0;
    this.positiveCount += positive;
    this.target.push(positive);
  }

  finish(sha256: string, ignoredColumns: string[], emptyWhere: DatasetErrorLocation): ChurnDataset {
    const rowCount = this.target.length;
    const { target, positiveLabel } = this.schema;
    if (rowCount === 0) throw new DatasetError('no data rows: the input holds a header only', emptyWhere);
    const labels = [...this.targetLabels].map((l) => JSON.stringify(l));
    if (this.targetLabels.size < 2) {
      throw new DatasetError(`a single class: all ${rowCount} rows have target ${labels[0]}; training needs two`, {
        column: target,
      });
    }
    if (!this.targetLabels.has(positiveLabel)) {
      throw new DatasetError(
        `the positive label ${JSON.stringify(positiveLabel)} never occurs; the target's values are ${labels.join(' and ')}`,
        { column: target },
      );
    }
    return {
      schema: this.schema,
      rowCount,
      numeric: this.schema.numeric.map((name, i) => ({ name, values: this.numeric[i].toArray() })),
      categorical: this.schema.categorical.map((name, i) => ({
        name,
        codes: this.codes[i].toArray(),
        levels: [...this.levels[i]],
      })),
      target: this.target.toArray(),
      positiveCount: this.positiveCount,
      sha256,
      ignoredColumns,
    };
  }
}

/**
 * Loads a CSV stream against a schema. Blank and whitespace-only cells are missing (Telco's
 * `TotalCharges` of `" "`); numeric cells must be decimal numbers; the target must be present and take
 * exactly two values, one of them the positive label. Identifier and unknown columns are skipped.
 *
 * @throws SchemaError for an invalid schema.
 * @throws DatasetError for an empty file, missing columns in the header, a malformed row, text in a
 *   numeric column, a missing target, more than two or a single class; the message names the line
 *   and column.
 */
export async function loadCsvDataset(source: CsvSource, schemaInput: FeatureSchema): Promise<ChurnDataset> {
  const schema = validateSchema(schemaInput);
  const hash = createHash('sha256');
  const { header, headerLine, batches } = await readCsv(hashWhileReading(source, hash));
  const columnIndex = new Map(header.map((name, index) => [name, index]));
  const missing = requiredColumns(schema).filter((name) => !columnIndex.has(name));
  if (missing.length > 0) {
    await batches.return(undefined);
    throw new DatasetError(
      `the header lacks column(s) the schema needs: ${missing.map((name) => `"${name}"`).join(', ')}`,
      { line: headerLine, column: missing[0] },
    );
  }
  const used = new Set([...requiredColumns(schema), ...schema.identifiers]);
  const numericAt = schema.numeric.map((name) => columnIndex.get(name) as number);
  const categoricalAt = schema.categorical.map((name) => columnIndex.get(name) as number);
  const targetAt = columnIndex.get(schema.target) as number;
  const builder = new DatasetBuilder(schema, 'line');

  for await (const batch of batches) {
    for (const { fields, line } of batch) {
      for (let i = 0; i < numericAt.length; i += 1) {
        const text = fields[numericAt[i]];
        builder.addNumeric(i, parseNumericText(text), text, line);
      }
      for (let i = 0; i < categoricalAt.length; i += 1) {
        const text = fields[categoricalAt[i]];
        builder.addCategory(i, categoryFromRaw(text), text, line);
      }
      const label = fields[targetAt].trim();
      builder.addTarget(label.length === 0 ? null : label, label, line);
    }
  }
  return builder.finish(
    hash.digest('hex'),
    header.filter((name) => !used.has(name)),
    { line: headerLine + 1 },
  );
}

/** Loads a CSV file against a schema, streaming it from disk (see {@link loadCsvDataset}). */
export async function loadCsvFile(path: string, schema: FeatureSchema): Promise<ChurnDataset> {
  // Node's default 64 KiB chunks: readCsv tokenizes at most that much per batch anyway.
  return loadCsvDataset(createReadStream(path), schema);
}

/**
 * Loads in-memory records (JSON bodies, test data) against a schema, with the same rules as CSV:
 * numeric values are numbers or numeric strings (blank, null or absent = missing); categorical values
 * are strings or numbers (numbers become their decimal text). Records are not modified.
 *
 * @throws DatasetError naming the record (1-based) and the column.
 */
export async function loadRecordsDataset(
  records: Iterable<CustomerRecord> | AsyncIterable<CustomerRecord>,
  schemaInput: FeatureSchema,
): Promise<ChurnDataset> {
  const schema = validateSchema(schemaInput);
  const hash = createHash('sha256');
  const builder = new DatasetBuilder(schema, 'record');
  const columns = requiredColumns(schema);
  let recordNumber = 0;
  for await (const record of records) {
    recordNumber += 1;
    if (typeof record !== 'object' || record === null) {
      throw new DatasetError('a record must be an object of column values', { record: recordNumber });
    }
    schema.numeric.forEach((column, i) => {
      const raw = record[column];
      builder.addNumeric(i, numericFromRaw(raw), raw, recordNumber);
    });
    schema.categorical.forEach((column, i) => {
      const raw = record[column];
      builder.addCategory(i, categoryFromRaw(raw), raw, recordNumber);
    });
    const rawTarget = record[schema.target];
    const label = categoryFromRaw(rawTarget);
    builder.addTarget(typeof label === 'string' ? label.trim() : label, rawTarget, recordNumber);
    hash.update(`${JSON.stringify(columns.map((column) => record[column] ?? null))}\n`);
  }
  return builder.finish(hash.digest('hex'), [], { record: 1 });
}

async function* hashWhileReading(source: CsvSource, hash: Hash): AsyncGenerator<Buffer | Uint8Array | string> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}
