/**
 * The `/predict` body: one customer object, `{ "customers": [...] }`, or a bare array, with optional
 * `user_id` and `request_id` beside the customer's fields (or beside `customers`).
 */
import { controlCharacterIn, type Locator } from '../model/feature-batch';
import { InputError } from '../model/model-errors';
import { timeOrderedUuid } from './request-id';

export interface PredictRequest {
  records: readonly unknown[];
  /** One customer object: the answer is one prediction, not a list. */
  single: boolean;
  requestId: string;
  userId: string | undefined;
  locate: Locator;
}

/** Letters, digits and a few separators only: no control characters, nothing a log or CSV export must escape. */
const REQUEST_ID = /^[\w.:@/-]{1,128}$/;
const MAX_USER_ID_LENGTH = 256;

/** @throws {InputError} naming the field at fault; 413 when there are more than `maxRows` customers */
export function parsePredictRequest(body: unknown, maxRows: number): PredictRequest {
  if (Array.isArray(body)) return batch(body, 'body', maxRows, undefined, undefined);
  if (typeof body !== 'object' || body === null) {
    throw new InputError(
      'body',
      'expected a JSON object (one customer), { "customers": [...] } or an array of customers',
    );
  }
  const fields = body as Record<string, unknown>;
  const requestId = parseRequestId(fields['request_id']);
  const userId = parseUserId(fields['user_id']);
  if ('customers' in fields) {
    if (!Array.isArray(fields['customers'])) throw new InputError('customers', 'expected an array of customer objects');
    return batch(fields['customers'], 'customers', maxRows, requestId, userId);
  }
  return {
    records: [fields],
    single: true,
    requestId: requestId ?? timeOrderedUuid(),
    userId,
    locate: (_row, column) => column,
  };
}

function batch(
  records: unknown[],
  where: string,
  maxRows: number,
  requestId: string | undefined,
  userId: string | undefined,
): PredictRequest {
  if (records.length === 0) throw new InputError(where, 'expected at least one customer');
  if (records.length > maxRows) {
    throw new InputError(
      where,
      `${records.length} customers exceed the limit of ${maxRows} per request (MAX_BATCH_ROWS); split the batch`,
      413,
    );
  }
  const prefix = where === 'body' ? '' : where;
  return {
    records,
    single: false,
    requestId: requestId ?? timeOrderedUuid(),
    userId,
    locate: (row, column) => `${prefix}[${row}]${column ? `.${column}` : ''}`,
  };
}

function parseRequestId(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !REQUEST_ID.test(value)) {
    throw new InputError('request_id', 'expected 1 to 128 characters of letters, digits and . _ : @ / -');
  }
  return value;
}

function parseUserId(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_USER_ID_LENGTH) {
    const control = controlCharacterIn(value);
    if (control !== undefined) throw new InputError('user_id', `holds the control character ${control}`);
    return value;
  }
  throw new InputError(
    'user_id',
    `expected a non-empty string of at most ${MAX_USER_ID_LENGTH} characters, or an integer`,
  );
}
