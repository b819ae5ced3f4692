/**
 * The feature schema as data: the default for IBM Telco, validation of a schema read from JSON,
 * and inference from a CSV header plus sample rows (then overridden by the user).
 */
import { isBlankText, parseNumericText } from '../data/cell-values';
import { SchemaError } from '../errors';
import type { FeatureSchema } from '../pipeline-contract';
import defaultSchemaJson from './default-schema.json';

/**
 * Columns of a schema in the order a CSV needs them: features (numeric, then categorical), then the
 * target. Identifiers are not required in the data and are not listed.
 */
export function requiredColumns(schema: FeatureSchema): string[] {
  return [...schema.numeric, ...schema.categorical, schema.target];
}

/**
 * Checks that a value (typically parsed JSON) is a usable feature schema and returns a fresh copy.
 *
 * Rules: `target` and `positiveLabel` are non-empty strings; `identifiers`, `numeric` and
 * `categorical` are arrays of non-empty strings; no column appears twice in one list or in two roles
 * (the target is not a feature, a feature is not an identifier); at least one feature. With `header`,
 * every named column must be in it (identifiers included).
 *
 * @throws SchemaError naming the field and the offending columns.
 * @example validateSchema({ target: 'y', positiveLabel: '1', identifiers: [], numeric: ['x'], categorical: [] })
 *   // → the same schema, copied
 */
export function validateSchema(value: unknown, header?: readonly string[]): FeatureSchema {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SchemaError('a feature schema must be a JSON object');
  }
  const candidate = value as Record<string, unknown>;
  const knownFields = new Set(['target', 'positiveLabel', 'identifiers', 'numeric', 'categorical']);
  const unknownFields = Object.keys(candidate).filter((key) => !knownFields.has(key));
  if (unknownFields.length > 0) {
    throw new SchemaError(`unknown schema field(s): ${unknownFields.join(', ')}`);
  }
  const schema: FeatureSchema = {
    target: requireName(candidate['target'], 'target'),
    positiveLabel: requireName(candidate['positiveLabel'], 'positiveLabel'),
    identifiers: requireNames(candidate['identifiers'], 'identifiers'),
    numeric: requireNames(candidate['numeric'], 'numeric'),
    categorical: requireNames(candidate['categorical'], 'categorical'),
  };
  if (schema.numeric.length + schema.categorical.length === 0) {
    throw new SchemaError('the schema names no feature column: both "numeric" and "categorical" are empty');
  }
  const roleOf = new Map<string, string>([[schema.target, 'target']]);
  for (const role of ['identifiers', 'numeric', 'categorical'] as const) {
    for (const column of schema[role]) {
      const earlier = roleOf.get(column);
      if (earlier !== undefined) {
        throw new SchemaError(`column "${column}" appears in both "${earlier}" and "${role}"`);
      }
      roleOf.set(column, role);
    }
  }
  if (header !== undefined) {
    const present = new Set(header);
    const unknown = [...roleOf.keys()].filter((column) => !present.has(column));
    if (unknown.length > 0) {
      throw new SchemaError(
        `the schema names column(s) the data does not have: ${unknown.map((c) => `"${c}"`).join(', ')}`,
      );
    }
  }
  return schema;
}

/** The schema for the IBM Telco customer churn data (`default-schema.json`), as a fresh copy. */
export function defaultChurnSchema(): FeatureSchema {
  return validateSchema(defaultSchemaJson);
}

/** Target values taken as the positive class when inference has to guess, in order of preference. */
const LIKELY_POSITIVE_LABELS = ['Yes', 'yes', 'YES', 'True', 'true', '1', 'Y', 'y'];

/**
 * A numeric-looking column with at most this many distinct values is a coded category (`SeniorCitizen`
 * 0/1), not a measurement.
 */
const MAX_DISTINCT_FOR_CODED_CATEGORY = 2;

/**
 * Infers a schema from a header and some rows, then applies overrides.
 *
 * Rules: the target is `overrides.target`, else the column named `churn` (any case), else the last
 * column. The positive label is `overrides.positiveLabel`, else the first of `Yes`, `True`, `1`, … found
 * among the sample's target values. An identifier is a column whose name ends in `id` (any case) and
 * whose sample values are all distinct. A feature is numeric when every non-blank sample value is a
 * decimal number and it has more than two distinct values; otherwise categorical. An override of
 * `identifiers`, `numeric` or `categorical` replaces that list, and the columns it names leave the
 * other inferred lists.
 *
 * @throws SchemaError when the header is empty or has duplicate names, no positive label can be
 *   guessed, or the result is invalid (see {@link validateSchema}).
 */
export function inferSchema(
  header: readonly string[],
  sampleRows: readonly (readonly string[])[],
  overrides: Partial<FeatureSchema> = {},
): FeatureSchema {
  if (header.length === 0) throw new SchemaError('cannot infer a schema from an empty header');
  const duplicates = header.filter((name, index) => header.indexOf(name) !== index);
  if (duplicates.length > 0) {
    throw new SchemaError(`the header repeats column(s): ${[...new Set(duplicates)].join(', ')}`);
  }
  const columnValues = (index: number): string[] => sampleRows.map((row) => row[index] ?? '');
  const target = overrides.target ?? header.find((name) => name.toLowerCase() === 'churn') ?? header[header.length - 1];
  const targetIndex = header.indexOf(target);
  const positiveLabel =
    overrides.positiveLabel ?? guessPositiveLabel(target, targetIndex < 0 ? [] : columnValues(targetIndex));

  const identifiers: string[] = [];
  const numeric: string[] = [];
  const categorical: string[] = [];
  header.forEach((name, index) => {
    if (name === target) return;
    const values = columnValues(index);
    if (looksLikeIdentifier(name, values)) identifiers.push(name);
    else if (looksNumeric(values)) numeric.push(name);
    else categorical.push(name);
  });

  const inferred = { identifiers, numeric, categorical };
  const overridden = new Set<string>();
  for (const role of ['identifiers', 'numeric', 'categorical'] as const) {
    for (const column of overrides[role] ?? []) overridden.add(column);
  }
  const listFor = (role: 'identifiers' | 'numeric' | 'categorical'): string[] =>
    overrides[role] !== undefined
      ? [...(overrides[role] as string[])]
      : inferred[role].filter((column) => !overridden.has(column));

  return validateSchema(
    {
      target,
      positiveLabel,
      identifiers: listFor('identifiers'),
      numeric: listFor('numeric'),
      categorical: listFor('categorical'),
    },
    header,
  );
}

function guessPositiveLabel(target: string, values: readonly string[]): string {
  const seen = new Set(values);
  const label = LIKELY_POSITIVE_LABELS.find((candidate) => seen.has(candidate));
  if (label === undefined) {
    const examples = [...seen].slice(0, 5).map((v) => JSON.stringify(v));
    throw new SchemaError(
      `cannot guess the positive label of target "${target}" from values ${examples.join(', ')}; give "positiveLabel"`,
    );
  }
  return label;
}

function looksLikeIdentifier(name: string, values: readonly string[]): boolean {
  return name.toLowerCase().endsWith('id') && values.length > 0 && new Set(values).size === values.length;
}

function looksNumeric(values: readonly string[]): boolean {
  const present = values.filter((value) => !isBlankText(value));
  if (present.length === 0) return false;
  if (!present.every((value) => parseNumericText(value) !== undefined)) return false;
  const distinct = new Set(present.map((value) => parseNumericText(value)));
  return distinct.size > MAX_DISTINCT_FOR_CODED_CATEGORY;
}

function requireName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new SchemaError(`schema field "${field}" must be a non-empty string`);
  }
  return value;
}

function requireNames(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw new SchemaError(`schema field "${field}" must be an array of column names`);
  const names = value.map((item, index) => requireName(item, `${field}[${index}]`));
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length > 0) {
    throw new SchemaError(`schema field "${field}" repeats column(s): ${[...new Set(repeated)].join(', ')}`);
  }
  return names;
}
