/**
 * When to retry and how long to wait, kept apart from the transport so the arithmetic is plain and
 * testable.
 */

/** Statuses worth another try: rate limiting and server-side failures (MLflow restarting, a proxy's 502/503). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Longest server-requested wait the client honours; a longer Retry-After falls back to backoff (as openai-node does). */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The wait a server asked for, in milliseconds, from `retry-after-ms` (a number of milliseconds) or
 * `Retry-After` (delta-seconds or an HTTP-date, RFC 9110 §10.2.3). Undefined when absent, unparsable,
 * negative or longer than {@link MAX_RETRY_AFTER_MS}.
 *
 * @example retryAfterMs(new Headers({ 'retry-after': '2' }), Date.now()) // 2000
 */
export function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const candidates: Array<number | undefined> = [];
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') candidates.push(Number(ms));
  const value = headers.get('retry-after');
  if (value !== null && value.trim() !== '') {
    const seconds = Number(value);
    if (Number.isFinite(seconds)) candidates.push(seconds * 1000);
    else {
      const date = Date.parse(value);
      candidates.push(Number.isNaN(date) ? undefined : date - nowMs);
    }
  }
  for (const candidate of candidates) {
    if (candidate !== undefined && Number.isFinite(candidate) && candidate >= 0 && candidate <= MAX_RETRY_AFTER_MS) {
      return Math.ceil(candidate);
    }
  }
  return undefined;
}

/**
 * Exponential backoff with jitter: the nominal wait doubles per attempt from `baseDelayMs` up to
 * `maxDelayMs`, and each wait is shortened by a random 0–25 % so that many clients failing together
 * do not retry in lockstep (the scheme openai-node uses).
 *
 * @param retryIndex 0 for the first retry, 1 for the second, ...
 * @param random a number in [0, 1), `Math.random()` by default
 * @example backoffDelayMs(2, 500, 8000, 0) // 2000
 */
export function backoffDelayMs(
  retryIndex: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: number = Math.random(),
): number {
  const nominal = Math.min(maxDelayMs, baseDelayMs * 2 ** retryIndex);
  return Math.round(nominal * (1 - 0.25 * random));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
