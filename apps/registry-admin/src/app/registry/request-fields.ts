import { InvalidFieldError } from '../errors/registry-errors';

/** MLflow's alias length limit (mlflow/utils/validation.py: MAX_REGISTERED_MODEL_ALIAS_LENGTH). */
const MAX_ALIAS_LENGTH = 255;
/** Longest `reason` kept in an audit record. */
export const MAX_REASON_LENGTH = 500;

/**
 * Checks an alias name by MLflow's own rules (`_validate_model_alias_name` and
 * `_validate_model_alias_name_reserved` in mlflow/utils/validation.py): word characters and dashes
 * only, at most 255 of them, not `latest` (any case) and not a version reference like `v3`. Checked
 * here so the caller learns which field is wrong before anything is written.
 * @throws {InvalidFieldError} naming `alias`
 */
export function assertAliasName(alias: string): string {
  if (alias === '') throw new InvalidFieldError('alias', 'must not be empty');
  if (alias.length > MAX_ALIAS_LENGTH)
    throw new InvalidFieldError('alias', `must have at most ${MAX_ALIAS_LENGTH} characters`);
  if (!/^[\p{L}\p{N}_-]+$/u.test(alias)) {
    throw new InvalidFieldError('alias', `'${alias}' may only contain letters, digits, underscores (_) and dashes (-)`);
  }
  if (alias.toLowerCase() === 'latest') throw new InvalidFieldError('alias', `'${alias}' is reserved by MLflow`);
  if (/^[vV]\d+$/.test(alias))
    throw new InvalidFieldError('alias', `'${alias}' is reserved by MLflow for version references`);
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
