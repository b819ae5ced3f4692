/**
 * RFC 9457 problem details: the one shape every 4xx and 5xx of every app leaves in, plus the typed
 * error the apps throw to choose a status, the field at fault and extra members.
 */
import { STATUS_CODES } from 'node:http';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** The body of an error answer (RFC 9457 §3), with the project's `field` when input is at fault. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The request field, path parameter, header or flag at fault. */
  field?: string;
  [extension: string]: unknown;
}

/** How an error is answered: the problem body, and Retry-After when trying again is worth it. */
export interface ProblemAnswer {
  problem: ProblemDetails;
  retryAfterSeconds?: number;
}

/**
 * An error that knows its answer. Services throw subclasses; the exception filter and the command
 * line turn them into a problem or an exit line with the same sentence.
 */
export abstract class ProblemError extends Error {
  abstract readonly status: number;
  /** The input at fault, when there is one. */
  readonly field?: string;
  readonly retryAfterSeconds?: number;

  /** Members added to the problem body (snake_case, as the rest of the API). */
  get extensions(): Record<string, unknown> {
    return {};
  }
}

/**
 * A problem with `type` `about:blank`, whose `title` is the status's reason phrase (RFC 9457 §4.2.1).
 * @example problemOf(404, "registered model 'm' does not exist") // { type: 'about:blank', title: 'Not Found', status: 404, detail: … }
 */
export function problemOf(
  status: number,
  detail: string,
  field?: string,
  extensions: Record<string, unknown> = {},
): ProblemDetails {
  return {
    ...extensions,
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(field === undefined ? {} : { field }),
  };
}
