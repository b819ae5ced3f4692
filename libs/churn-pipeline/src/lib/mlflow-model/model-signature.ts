/**
 * The MLflow model signature and input example of an exported churn pipeline, in the exact shapes
 * MLflow 3 writes them (`mlflow.models.ModelSignature.to_dict()` and `_save_example` with pandas'
 * split orient), so MLflow's schema enforcement and `load_input_example` read them unchanged.
 */
import { ONNX_LABEL_OUTPUT, ONNX_PROBABILITY_OUTPUT } from '../onnx';
import type { CustomerRecord, FittedPipeline, RawValue } from '../pipeline-contract';
import { pythonJsonDumps } from './python-json';

/** One `ColSpec` as MLflow serialises it (a type alias, so it is a plain JSON value). */
export type MlflowColumnSpec = {
  type: 'double' | 'string' | 'long' | 'float';
  name: string;
  required: boolean;
};

/** `signature` of the MLmodel file: column lists as JSON text, as MLflow stores them. */
export interface MlflowSignature {
  inputs: string;
  outputs: string;
  params: null;
}

/** A pandas DataFrame in split orient: `{ columns, data }`, one row per record (a plain JSON value). */
export type PandasSplitFrame = {
  columns: string[];
  data: (number | string | null)[][];
};

/** A raw value in the input example that the model could not take for its column. */
export class InputExampleError extends Error {
  override readonly name = 'InputExampleError';

  constructor(
    readonly row: number,
    readonly column: string,
    message: string,
  ) {
    super(`input example row ${row}, column "${column}": ${message}`);
  }
}

/**
 * Input columns in graph input order: numeric ones as `double` (MLflow's onnx pyfunc casts float64
 * columns to the graph's float), categorical ones as `string`. Every column is required because the
 * onnx pyfunc feeds each graph input from the DataFrame column of that name; a missing value inside
 * a column is still accepted (NaN for numeric, '' for categorical).
 */
export function signatureInputColumns(fitted: FittedPipeline): MlflowColumnSpec[] {
  return [
    ...fitted.numeric.map((column): MlflowColumnSpec => ({ type: 'double', name: column.name, required: true })),
    ...fitted.categorical.map((column): MlflowColumnSpec => ({ type: 'string', name: column.name, required: true })),
  ];
}

/** Output columns of the onnx pyfunc's DataFrame, as `mlflow.models.infer_signature` records them. */
export function signatureOutputColumns(): MlflowColumnSpec[] {
  return [
    { type: 'long', name: ONNX_LABEL_OUTPUT, required: true },
    { type: 'float', name: ONNX_PROBABILITY_OUTPUT, required: true },
  ];
}

/** The MLmodel `signature` entry. */
export function mlflowSignature(fitted: FittedPipeline): MlflowSignature {
  return {
    inputs: pythonJsonDumps(signatureInputColumns(fitted)),
    outputs: pythonJsonDumps(signatureOutputColumns()),
    params: null,
  };
}

/**
 * Turns raw customer records into the typed DataFrame the model takes: numeric columns as numbers
 * (numeric text parsed; blank, null, undefined or NaN → null, which pandas reads as NaN), categorical
 * columns as text (numbers as their decimal text; blank, null or undefined → ''). Fields outside the
 * signature are left out. The records are not modified.
 *
 * @throws {InputExampleError} for non-numeric text or an infinite number in a numeric
 *   column, or a value of another type, naming the row (0-based) and column.
 * @example inputExampleFrame(fitted, [{ tenure: '5', Contract: 'One year' }])
 *   // { columns: ['tenure', 'Contract'], data: [[5, 'One year']] } for one numeric and one categorical column
 */
export function inputExampleFrame(fitted: FittedPipeline, records: readonly CustomerRecord[]): PandasSplitFrame {
  const numeric = fitted.numeric.map((column) => column.name);
  const categorical = fitted.categorical.map((column) => column.name);
  return {
    columns: [...numeric, ...categorical],
    data: records.map((record, row) => [
      ...numeric.map((column) => numericCell(record[column], row, column)),
      ...categorical.map((column) => categoricalCell(record[column], row, column)),
    ]),
  };
}

/** A finite decimal number, optionally signed, with an optional exponent (as the CSV loader accepts). */
const NUMERIC_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function numericCell(value: RawValue | unknown, row: number, column: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return null;
    if (!Number.isFinite(value)) throw new InputExampleError(row, column, `${value} is not a finite number`);
    return value;
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    if (!NUMERIC_TEXT.test(text)) throw new InputExampleError(row, column, `${JSON.stringify(value)} is not a number`);
    return Number(text);
  }
  throw new InputExampleError(row, column, `expected a number or numeric text, got ${typeof value}`);
}

function categoricalCell(value: RawValue | unknown, row: number, column: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim() === '' ? '' : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new InputExampleError(row, column, `expected text or a finite number, got ${String(value)}`);
}
