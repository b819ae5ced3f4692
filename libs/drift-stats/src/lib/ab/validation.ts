import { DriftInputError } from '../errors';

/** Throws DriftInputError unless the value is an integer ≥ 0 (a count of labels or of trials). */
export function requireCount(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new DriftInputError(field, `expected an integer ≥ 0, got ${String(value)}`);
  }
  return value;
}

/** Throws DriftInputError unless the value is a probability strictly between 0 and 1. */
export function requireOpenUnitInterval(value: number, field: string): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new DriftInputError(field, `expected a number in (0, 1), got ${String(value)}`);
  }
  return value;
}
