import { InputError } from '../model/model-errors';

/** What `GET /ab/report` was asked for. */
export interface AbReportQuery {
  /** Predictions received at or after this time (ms since the epoch); all when undefined. */
  since: number | undefined;
  /** Predictions received before this time; all when undefined. */
  until: number | undefined;
  /** Two-sided confidence of the intervals. */
  confidence: number;
  /** Labelled predictions each arm needs before a verdict. */
  minLabels: number;
  /** Histogram bins of each arm's probabilities in the report; no histograms when undefined. */
  scoreBins: number | undefined;
}

export const AB_REPORT_DEFAULTS = { confidence: 0.95, minLabels: 30 } as const;

/** Milliseconds since the epoch, or an ISO 8601 UTC or offset time (a date alone is midnight UTC). */
export const REPORT_TIME_PATTERN =
  /^(?:[0-9]{1,15}|[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,3})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))?)$/;
const WHOLE_NUMBER = /^[0-9]{1,10}$/;
const DECIMAL = /^[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?$/;

/**
 * Reads the report's query string: `since`/`until` as ISO 8601 times or milliseconds since the
 * epoch ({@link REPORT_TIME_PATTERN}), `confidence` in (0.5, 1), `min_labels` a whole number;
 * exactly what the OpenAPI document states (ab.controller.ts), so an empty value is refused too.
 * @throws {InputError} naming the parameter and the problem
 */
export function parseAbReportQuery(query: Record<string, unknown>): AbReportQuery {
  const since = time(query, 'since');
  const until = time(query, 'until');
  if (since !== undefined && until !== undefined && until <= since)
    throw new InputError('until', 'must be after since');
  const confidence = number(query, 'confidence', AB_REPORT_DEFAULTS.confidence);
  if (!(confidence > 0.5 && confidence < 1))
    throw new InputError(
      'confidence',
      `expected a number between 0.5 and 1 (e.g. 0.95), got ${String(query['confidence'])}`,
    );
  const minLabels = number(query, 'min_labels', AB_REPORT_DEFAULTS.minLabels, WHOLE_NUMBER);
  if (!Number.isInteger(minLabels) || minLabels < 1 || minLabels > 1e9)
    throw new InputError('min_labels', `expected a whole number of at least 1, got ${String(query['min_labels'])}`);
  const bins = single(query, 'score_bins');
  if (bins !== undefined && !WHOLE_NUMBER.test(bins))
    throw new InputError('score_bins', `expected a whole number, got ${JSON.stringify(bins)}`);
  return { since, until, confidence, minLabels, scoreBins: bins === undefined ? undefined : Number(bins) };
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InputError(name, 'give the parameter once');
  return value;
}

function time(query: Record<string, unknown>, name: string): number | undefined {
  const text = single(query, name);
  if (text === undefined) return undefined;
  const parsed = !REPORT_TIME_PATTERN.test(text) ? Number.NaN : /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(parsed))
    throw new InputError(
      name,
      `expected an ISO 8601 time (2026-11-27T12:00:00Z) or milliseconds since the epoch, got ${JSON.stringify(text)}`,
    );
  return parsed;
}

function number(query: Record<string, unknown>, name: string, fallback: number, form = DECIMAL): number {
  const text = single(query, name);
  if (text === undefined) return fallback;
  const parsed = form.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(parsed)) throw new InputError(name, `expected a number, got ${JSON.stringify(text)}`);
  return parsed;
}
