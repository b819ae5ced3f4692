/**
 * Model inputs as drift-window values. The drift reference decides each feature's kind: a numeric
 * feature takes numbers (NaN = missing), a categorical one takes text ('' = missing) and numbers as
 * their decimal text, as the wiring table says categorical columns accept them.
 */
import { parseNumericText } from '@churn/churn-pipeline';
import type { LiveColumn, LiveColumns, TrainingStatistics } from '@churn/drift-stats';
import type { ColumnValues, FeatureBatch } from '../model/feature-batch';

/** A cell as a numeric feature's window takes it; null when missing (NaN, an infinity from float32 overflow, blank or non-numeric text). */
export function liveNumber(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  return parseNumericText(value) ?? null;
}

/** A cell as a categorical feature's window takes it; null when missing. */
export function liveText(value: number | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  return value === '' ? null : value;
}

/** A cell as the drift window takes it for `feature` of `reference`; null when missing. */
export function liveCell(reference: TrainingStatistics, feature: string, value: number | string | null | undefined): number | string | null {
  return reference.numeric[feature] !== undefined ? liveNumber(value) : liveText(value);
}

/**
 * A scored batch's columns as the drift window takes them (`DriftWindow.addColumns`), features named
 * by `columnNames` (the batch's column order); columns that are not features of `reference` are left
 * out. The batch's own arrays are passed on whenever they already hold what the window takes (the
 * usual case: number columns for numeric features, text columns for categorical ones, with their
 * category codes when the model is fed codes and `codeTexts` (the builder's) names them, so the
 * window counts codes instead of looking up text); a column of the other kind, or a number column
 * holding an infinity, is converted cell by cell with liveNumber/liveText, the same rules as `liveCell`.
 */
export function liveColumns(reference: TrainingStatistics, columnNames: readonly string[], batch: FeatureBatch, codeTexts: readonly (readonly string[] | undefined)[] = []): LiveColumns {
  const columns: Record<string, LiveColumn> = {};
  for (let index = 0; index < columnNames.length; index++) {
    const name = columnNames[index];
    const values = batch.columns[index];
    if (reference.numeric[name] !== undefined) columns[name] = numericColumn(values);
    else if (reference.categorical[name] !== undefined) columns[name] = textColumn(values, batch.categoryCodes[index], codeTexts[index]);
  }
  return columns;
}

function numericColumn(values: ColumnValues): ArrayLike<number> {
  if (!Array.isArray(values) && !holdsInfinity(values)) return values;
  return Float64Array.from(values as ArrayLike<number | string>, (value) => liveNumber(value) ?? Number.NaN);
}

/** Whether a float column holds an infinity (a number beyond float32's range overflows to one), which the window would refuse and liveNumber counts as missing. */
function holdsInfinity(values: Float32Array | Float64Array): boolean {
  for (let row = 0; row < values.length; row++) if (values[row] === Infinity || values[row] === -Infinity) return true;
  return false;
}

function textColumn(values: ColumnValues, codes: Int32Array | undefined, categories: readonly string[] | undefined): LiveColumn {
  if (Array.isArray(values)) return codes !== undefined && categories !== undefined ? { codes, categories, texts: values } : values;
  return Array.from(values, (value) => liveText(value) ?? '');
}
