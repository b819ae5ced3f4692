/**
 * The pipeline contract's semantics evaluated directly in float64, as the yardstick for the ONNX
 * graph: numeric text parsed, missing → median, (x − mean) / scale; one-hot in `categories` order
 * with unseen or missing → all zeros (numbers compared as their decimal text);
 * p = 1 / (1 + e^−(w·x + b)); label = p ≥ threshold.
 */
import type { CustomerRecord, FittedPipeline, RawValue } from '../../src/lib/pipeline-contract';

export interface ReferenceScore {
  probability: number;
  label: 0 | 1;
}

export function referenceScore(fitted: FittedPipeline, record: CustomerRecord): ReferenceScore {
  const features: number[] = [];
  for (const column of fitted.numeric) {
    const value = parseNumber(record[column.name]);
    features.push(((value ?? column.median) - column.mean) / column.scale);
  }
  for (const column of fitted.categorical) {
    const raw = record[column.name];
    const text = typeof raw === 'number' ? String(raw) : raw;
    for (const category of column.categories) features.push(text === category ? 1 : 0);
  }
  const logit = features.reduce((sum, x, index) => sum + fitted.coefficients[index] * x, fitted.intercept);
  const probability = 1 / (1 + Math.exp(-logit));
  return { probability, label: probability >= fitted.threshold ? 1 : 0 };
}

/**
 * The graph's feeds for some records, one array per raw column: numbers (null = missing, fed as NaN)
 * for numeric columns, text ('' = missing, numbers as decimal text) for categorical ones.
 */
export function onnxFeedColumns(
  fitted: FittedPipeline,
  records: readonly CustomerRecord[],
): Record<string, (number | null)[] | string[]> {
  const columns: Record<string, (number | null)[] | string[]> = {};
  for (const column of fitted.numeric) {
    columns[column.name] = records.map((record) => parseNumber(record[column.name]));
  }
  for (const column of fitted.categorical) {
    columns[column.name] = records.map((record) => {
      const raw = record[column.name];
      return raw === null || raw === undefined ? '' : String(raw);
    });
  }
  return columns;
}

function parseNumber(value: RawValue): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  return value.trim() === '' ? null : Number(value);
}
