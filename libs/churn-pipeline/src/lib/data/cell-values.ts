/**
 * How one cell's text or JSON value becomes a number or a category. CSV loading, in-process scoring
 * and (by design) the ONNX graph's inputs all follow these rules, so one function decides each rule.
 */
import type { RawValue } from '../pipeline-contract';

/**
 * Plain decimal notation with an optional exponent: `12`, `-0.5`, `.5`, `1e3`. Deliberately narrower
 * than `Number()`, which also takes `0x1F`, `Infinity` and the empty string (as 0).
 */
const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** True for an empty or whitespace-only cell (Telco's `TotalCharges` holds a single space). */
export function isBlankText(text: string): boolean {
  return text.trim().length === 0;
}

/**
 * Parses a numeric cell. Surrounding whitespace is ignored.
 *
 * @returns the number; `null` when the cell is blank; `undefined` when it is text that is not a
 *   finite decimal number (the caller reports it with its location).
 * @example parseNumericText(' 29.85 ') // 29.85
 * @example parseNumericText(' ')       // null
 * @example parseNumericText('abc')     // undefined
 */
export function parseNumericText(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (trimmed.length === 0) return null;
  if (!DECIMAL_NUMBER.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * A raw value of a numeric column as a number: numbers as they are, numeric strings parsed, blank
 * strings, `null`, `undefined` and `NaN` as missing (`null`).
 *
 * @returns the number, `null` when missing, `undefined` when the value is not numeric (text,
 *   infinities, booleans, objects).
 */
export function numericFromRaw(value: RawValue | unknown): number | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return null;
    return Number.isFinite(value) ? value : undefined;
  }
  if (typeof value === 'string') return parseNumericText(value);
  return undefined;
}

/**
 * A raw value of a categorical column as its category text: strings as they are (blank = missing),
 * finite numbers as their shortest decimal text (`0` → `"0"`, `1.5` → `"1.5"`), `null`/`undefined` as
 * missing (`null`).
 *
 * @returns the category, `null` when missing, `undefined` when the value cannot be a category.
 */
export function categoryFromRaw(value: RawValue | unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return isBlankText(value) ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  return undefined;
}

/** A short quotation of a bad value for an error message. */
export function quoteForMessage(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
