import { aliasNameProblem } from '@churn/mlflow-client';

import { InvalidFieldError } from '../errors/registry-errors';

/** Longest `reason` kept in an audit record. */
export const MAX_REASON_LENGTH = 500;

/**
 * Checks an alias name by MLflow's own rules ({@link aliasNameProblem}), so the caller learns which
 * field is wrong before anything is written.
 * @throws {InvalidFieldError} naming `alias`
 */
export function assertAliasName(alias: string): string {
  const problem = aliasNameProblem(alias);
  if (problem !== undefined) throw new InvalidFieldError('alias', problem);
  return alias;
}

/**
 * A version number as MLflow writes it (`"3"`), from a JSON number or decimal text.
 * @throws {InvalidFieldError} naming `field` for anything but a positive whole number
 */
export function parseVersionNumber(value: unknown, field: string): string {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[1-9]\d{0,9}$/.test(text.trim())) {
    throw new InvalidFieldError(
      field,
      `must be a positive whole version number such as 3 (got ${JSON.stringify(value)})`,
    );
  }
  return text.trim();
}

/** @throws {InvalidFieldError} naming `reason` when it is too long */
export function checkReason(reason: string | undefined | null): string | null {
  if (reason === undefined || reason === null || reason.trim() === '') return null;
  if (reason.length > MAX_REASON_LENGTH)
    throw new InvalidFieldError('reason', `must have at most ${MAX_REASON_LENGTH} characters (got ${reason.length})`);
  return reason.trim();
}

/**
 * `force` needs a reason: an override nobody can explain later is what the audit exists to prevent.
 * @throws {InvalidFieldError} naming `reason` when `force` is true without one
 */
export function forceWithReason(force: boolean | undefined, reason: string | null): boolean {
  if (force === true && reason === null)
    throw new InvalidFieldError('reason', 'is required when force is true (say why the gates are overridden)');
  return force === true;
}
