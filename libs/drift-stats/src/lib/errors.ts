/**
 * Bad input to a drift statistic: an empty sample, a non-finite number, a negative count, bins that
 * do not line up, a malformed serialised window. The message names the argument (and the column or
 * index where there is one), so a caller can report it without guessing; `field` carries the same
 * name for programmatic use.
 */
export class DriftInputError extends Error {
  override readonly name = 'DriftInputError';

  constructor(
    /** The argument, column or JSON field that was wrong, e.g. `current[3]` or `columns.tenure`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Throws DriftInputError unless every value is a finite number; returns the values for chaining. */
export function requireFiniteNumbers(values: ReadonlyArray<number>, field: string): ReadonlyArray<number> {
  if (!Array.isArray(values)) {
    throw new DriftInputError(field, 'expected an array of numbers');
  }
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new DriftInputError(`${field}[${i}]`, `expected a finite number, got ${String(value)}`);
    }
  }
  return values;
}

/** Throws DriftInputError unless every value is a finite number ≥ 0 (a count or a frequency). */
export function requireNonNegativeNumbers(values: ReadonlyArray<number>, field: string): ReadonlyArray<number> {
  requireFiniteNumbers(values, field);
  values.forEach((value, i) => {
    if (value < 0) {
      throw new DriftInputError(`${field}[${i}]`, `expected a value ≥ 0, got ${value}`);
    }
  });
  return values;
}

/** Throws DriftInputError unless the array has at least one element. */
export function requireNonEmpty<T>(values: ReadonlyArray<T>, field: string): ReadonlyArray<T> {
  if (values.length === 0) {
    throw new DriftInputError(field, 'must not be empty');
  }
  return values;
}
