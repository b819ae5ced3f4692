/**
 * JSON text laid out as Python's `json.dumps` lays it out, which is how MLflow writes the signature
 * columns and the input example files: `", "` and `": "` separators on one line, or `indent` spaces
 * per level with `","` line ends. Numbers are written as Python floats (`1.0`, not `1`), because
 * every number in these documents is a float64 value and pandas reads a column of integral JSON
 * numbers as int64, which MLflow's schema enforcement would refuse for a `double` column.
 */

export type PythonJsonValue =
  string | number | boolean | null | readonly PythonJsonValue[] | { readonly [key: string]: PythonJsonValue };

/** Python writes integral floats below 1e16 with a trailing `.0`; beyond that both use exponent form. */
const LARGEST_PLAIN_INTEGRAL_FLOAT = 1e16;

/**
 * Serialises a value as `json.dumps(value)` (or `json.dumps(value, indent=indent)`) would for the
 * float64 equivalent of each number.
 *
 * @throws {RangeError} when a number is NaN or infinite, which strict JSON cannot carry.
 * @example pythonJsonDumps({ columns: ['tenure'], data: [[1, null]] })
 *   // '{"columns": ["tenure"], "data": [[1.0, null]]}'
 */
export function pythonJsonDumps(value: PythonJsonValue, indent?: number): string {
  return write(value, indent, 0);
}

function write(value: PythonJsonValue, indent: number | undefined, depth: number): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return floatText(value);
  const items: string[] = Array.isArray(value)
    ? (value as readonly PythonJsonValue[]).map((item) => write(item, indent, depth + 1))
    : Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${write(item, indent, depth + 1)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return `${open}${close}`;
  if (indent === undefined) return `${open}${items.join(', ')}${close}`;
  const inner = ' '.repeat(indent * (depth + 1));
  const outer = ' '.repeat(indent * depth);
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${outer}${close}`;
}

function floatText(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`JSON cannot carry the number ${value}`);
  return Number.isInteger(value) && Math.abs(value) < LARGEST_PLAIN_INTEGRAL_FLOAT ? value.toFixed(1) : String(value);
}
