/**
 * A tiny YAML emitter for the fixed, small documents of an MLflow Model directory (`MLmodel`,
 * `conda.yaml`, `python_env.yaml`): block-style maps and lists of strings, numbers, booleans and
 * nulls. It quotes every string that a YAML 1.1 or 1.2 reader (PyYAML's `safe_load`, which MLflow
 * uses) could read as anything other than that same string, so the output round-trips exactly.
 * Reference: https://yaml.org/spec/1.2.2/ (plain, single- and double-quoted scalars).
 */

export type YamlScalar = string | number | boolean | null;
export type YamlValue = YamlScalar | readonly YamlValue[] | { readonly [key: string]: YamlValue };

/** A value the emitter cannot write faithfully (a non-finite number). */
export class YamlEmitError extends Error {
  override readonly name = 'YamlEmitError';
}

/**
 * Plain (unquoted) strings are limited to ones that start with a letter and hold only characters
 * with no YAML meaning, and that no YAML 1.1 reader takes for a boolean or null.
 */
const PLAIN_STRING = /^[A-Za-z][A-Za-z0-9_.\-/=<>+]*$/;
const YAML_1_1_KEYWORDS = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null']);
const INDENT = '  ';

/**
 * Serialises a document as block-style YAML, map keys in the order given, ending with a newline.
 *
 * @throws {YamlEmitError} when a number is NaN or infinite.
 * @example toYaml({ env: { conda: 'conda.yaml' }, providers: ['CPUExecutionProvider'], code: null })
 *   // 'env:\n  conda: conda.yaml\nproviders:\n  - CPUExecutionProvider\ncode: null\n'
 */
export function toYaml(document: YamlValue): string {
  return `${blockLines(document, '').join('\n')}\n`;
}

function blockLines(value: YamlValue, indent: string): string[] {
  if (isList(value)) {
    if (value.length === 0) return [`${indent}[]`];
    return value.flatMap((item) => {
      if (isScalarOrEmpty(item)) return [`${indent}- ${inlineValue(item)}`];
      const [first, ...rest] = blockLines(item, indent + INDENT);
      return [`${indent}- ${first.slice(indent.length + INDENT.length)}`, ...rest];
    });
  }
  if (isMap(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [`${indent}{}`];
    return entries.flatMap(([key, item]) =>
      isScalarOrEmpty(item)
        ? [`${indent}${scalar(key)}: ${inlineValue(item)}`]
        : [`${indent}${scalar(key)}:`, ...blockLines(item, indent + INDENT)],
    );
  }
  return [`${indent}${scalar(value)}`];
}

function inlineValue(value: YamlValue): string {
  if (isList(value)) return '[]';
  if (isMap(value)) return '{}';
  return scalar(value);
}

function scalar(value: YamlScalar): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new YamlEmitError(`cannot write the number ${value}`);
    return numberText(value);
  }
  if (PLAIN_STRING.test(value) && !YAML_1_1_KEYWORDS.has(value.toLowerCase())) return value;
  // Single quotes need no escapes but cannot carry line breaks or control characters; JSON's
  // double-quoted form is also a valid YAML double-quoted scalar and carries anything.
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value)
    ? JSON.stringify(value)
    : `'${value.replaceAll("'", "''")}'`;
}

/**
 * JavaScript writes 1e-7 and 1e+21 without a decimal point, which YAML 1.1 (PyYAML) reads as text;
 * `1.0e-7` and `1.0e+21` are floats to YAML 1.1 and 1.2 alike.
 */
function numberText(value: number): string {
  const [mantissa, exponent] = String(value).split('e');
  if (exponent === undefined) return mantissa;
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${exponent}`;
}

function isList(value: YamlValue): value is readonly YamlValue[] {
  return Array.isArray(value);
}

function isMap(value: YamlValue): value is { readonly [key: string]: YamlValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalarOrEmpty(value: YamlValue): boolean {
  if (isList(value)) return value.length === 0;
  if (isMap(value)) return Object.keys(value).length === 0;
  return true;
}
