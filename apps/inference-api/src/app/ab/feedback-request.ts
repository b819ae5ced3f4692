import { InputError } from '../model/model-errors';
import type { FeedbackLabel } from '../prediction-log';

/** Most labels one `POST /feedback` may carry; send more in several requests. */
export const MAX_FEEDBACK_LABELS = 10_000;
/** Longest request id a label may name, in characters (code points, as JSON Schema counts). */
const MAX_REQUEST_ID_CHARACTERS = 200;
/** Largest row index: the store's INTEGER column. */
const MAX_ROW = 2_147_483_647;
/** A request id must hold something besides spaces, tabs and line breaks. */
const NOT_BLANK = /[^ \t\r\n]/;

const LABEL_SCHEMA = {
  type: 'object',
  required: ['request_id', 'actual'],
  properties: {
    request_id: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_REQUEST_ID_CHARACTERS,
      pattern: NOT_BLANK.source,
      description: 'The id /predict answered with.',
    },
    actual: { enum: [0, 1, false, true], description: 'The observed outcome.' },
    row: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_ROW,
      description: "The row's 0-based index in a batch; 0 when absent.",
    },
  },
  // An object with `labels` is the list form, whatever else it holds.
  not: { required: ['labels'] },
};
const LABELS_SCHEMA = { type: 'array', minItems: 1, maxItems: MAX_FEEDBACK_LABELS, items: LABEL_SCHEMA };

/** What {@link parseFeedbackRequest} takes, as the OpenAPI document states it. */
export const FEEDBACK_BODY_SCHEMA = {
  anyOf: [LABEL_SCHEMA, LABELS_SCHEMA, { type: 'object', required: ['labels'], properties: { labels: LABELS_SCHEMA } }],
};

/**
 * Reads a feedback body: one `{ request_id, actual, row? }`, an array of them, or `{ labels: [...] }`.
 * `actual` is the observed outcome, 0/1 or false/true; `row` picks a row of a batch `/predict`
 * (default 0). Request ids are the ones `/predict` answered with (sent or generated).
 * @throws {InputError} naming the first bad field, e.g. `labels[3].actual`
 */
export function parseFeedbackRequest(body: unknown): FeedbackLabel[] {
  const { entries, path } = labelEntries(body);
  if (entries.length === 0) throw new InputError(path, 'expected at least one label');
  if (entries.length > MAX_FEEDBACK_LABELS)
    throw new InputError(path, `at most ${MAX_FEEDBACK_LABELS} labels per request, got ${entries.length}`, 413);
  return entries.map((entry, index) =>
    parseLabel(entry, Array.isArray(body) || path === 'labels' ? `${path}[${index}]` : ''),
  );
}

function labelEntries(body: unknown): { entries: unknown[]; path: string } {
  if (Array.isArray(body)) return { entries: body, path: '' };
  if (typeof body === 'object' && body !== null && 'labels' in body) {
    const labels = (body as { labels: unknown }).labels;
    if (!Array.isArray(labels))
      throw new InputError('labels', `expected an array of { request_id, actual }, got ${typeName(labels)}`);
    return { entries: labels, path: 'labels' };
  }
  if (typeof body === 'object' && body !== null) return { entries: [body], path: '' };
  throw new InputError(
    '',
    `expected { "request_id", "actual" }, an array of them or { "labels": [...] }, got ${typeName(body)}`,
  );
}

function parseLabel(entry: unknown, at: string): FeedbackLabel {
  const field = (name: string) => (at ? `${at}.${name}` : name);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new InputError(at, `expected an object { "request_id", "actual" }, got ${typeName(entry)}`);
  const { request_id: requestId, actual, row } = entry as Record<string, unknown>;
  if (
    typeof requestId !== 'string' ||
    !NOT_BLANK.test(requestId) ||
    [...requestId].length > MAX_REQUEST_ID_CHARACTERS
  ) {
    throw new InputError(
      field('request_id'),
      `expected the request id /predict answered with (1 to ${MAX_REQUEST_ID_CHARACTERS} characters, not all blank), got ${typeName(requestId)}`,
    );
  }
  let label: 0 | 1;
  if (actual === 0 || actual === false) label = 0;
  else if (actual === 1 || actual === true) label = 1;
  else
    throw new InputError(
      field('actual'),
      `expected the observed outcome 0 or 1 (or false/true), got ${typeName(actual)}`,
    );
  if (row !== undefined && (typeof row !== 'number' || !Number.isInteger(row) || row < 0 || row > MAX_ROW)) {
    throw new InputError(field('row'), `expected the row's 0-based index in the batch, got ${typeName(row)}`);
  }
  return { requestId, row: (row as number | undefined) ?? 0, actual: label };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
