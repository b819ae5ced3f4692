// Retry, backoff, Retry-After, timeout and auth behaviour with an injected fetch: the one place a
// fake transport stands in for MLflow, because a real server cannot be made to fail on cue.
import { inspect } from 'node:util';

import {
  backoffDelayMs,
  InvalidParameterValueError,
  MlflowClient,
  MlflowConnectionError,
  MlflowServerError,
  MlflowTimeoutError,
  RateLimitedError,
  retryAfterMs,
  UnauthenticatedError,
  type MlflowClientOptions,
} from '../../src';

type Step = Response | Error | 'hang';

/** A fetch that plays `steps` in order and records every call. */
function scriptedFetch(steps: Step[]) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    const step = steps.shift();
    if (step === undefined) throw new Error('the script ran out of steps');
    if (step === 'hang') {
      return new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    }
    if (step instanceof Error) throw step;
    return step;
  }) as typeof fetch;
  return { fetchImpl, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function clientWith(steps: Step[], options: Partial<MlflowClientOptions> = {}) {
  const { fetchImpl, calls } = scriptedFetch(steps);
  const waits: number[] = [];
  const client = new MlflowClient({
    trackingUri: 'http://mlflow.test:5000',
    fetch: fetchImpl,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 1000,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });
  return { client, calls, waits };
}

const experiment = { experiment: { experiment_id: '1', name: 'churn' } };

describe('retries', () => {
  it('retries a GET on 503 and 502 with growing, jittered backoff, then succeeds', async () => {
    const { client, calls, waits } = clientWith([
      json(503, { error_code: 'TEMPORARILY_UNAVAILABLE' }),
      new Response('bad gateway', { status: 502 }),
      json(200, experiment),
    ]);
    expect(await client.experiments.getByName('churn')).toEqual(experiment.experiment);
    expect(calls).toHaveLength(3);
    // Nominal waits 100 then 200 ms, each shortened by at most 25 % of jitter.
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(75);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(150);
    expect(waits[1]).toBeLessThanOrEqual(200);
  });

  it('gives up after maxRetries with the last error', async () => {
    const { client, calls, waits } = clientWith(
      [json(500, {}), json(500, {}), json(500, { error_code: 'INTERNAL_ERROR', message: 'db down' })],
      { maxRetries: 2 },
    );
    await expect(client.experiments.getByName('churn')).rejects.toMatchObject({
      constructor: MlflowServerError,
      status: 500,
      message: expect.stringContaining('db down'),
    });
    expect(calls).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('never retries a non-idempotent call (log-metric would log twice)', async () => {
    const { client, calls } = clientWith([json(503, {})]);
    await expect(client.runs.logMetric({ run_id: 'r', key: 'k', value: 1 })).rejects.toBeInstanceOf(MlflowServerError);
    expect(calls).toHaveLength(1);
    const refused = clientWith([new TypeError('fetch failed')]);
    await expect(refused.client.runs.create({ experiment_id: '1' })).rejects.toBeInstanceOf(MlflowConnectionError);
    expect(refused.calls).toHaveLength(1);
  });

  it('retries POSTs that are idempotent (search, set-tag, alias)', async () => {
    const { client, calls } = clientWith([
      json(503, {}),
      json(200, { runs: [] }),
      json(503, {}),
      json(200, {}),
      json(429, {}),
      json(200, {}),
    ]);
    await client.runs.searchPage({ experiment_ids: ['1'] });
    await client.runs.setTag({ run_id: 'r', key: 'k', value: 'v' });
    await client.registeredModels.setAlias({ name: 'm', alias: 'production', version: '2' });
    expect(calls.map((c) => c.init.method)).toEqual(['POST', 'POST', 'POST', 'POST', 'POST', 'POST']);
  });

  it('does not retry 4xx other than 429', async () => {
    const { client, calls } = clientWith([json(400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad filter' })]);
    await expect(client.modelVersions.searchPage({ filter: '!!' })).rejects.toBeInstanceOf(InvalidParameterValueError);
    expect(calls).toHaveLength(1);
  });

  it('retries connection errors on GETs, then reports MlflowConnectionError with the cause', async () => {
    const cause = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5000') });
    const { client, calls } = clientWith([cause, cause], { maxRetries: 1 });
    const error = await client.runs.get('r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowConnectionError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).cause).toBe(cause);
    expect(calls).toHaveLength(2);
  });
});

describe('Retry-After', () => {
  it('waits as long as the server asks (seconds), on 429 and 503', async () => {
    const { client, waits } = clientWith([
      json(429, { error_code: 'REQUEST_LIMIT_EXCEEDED' }, { 'retry-after': '2' }),
      json(503, {}, { 'retry-after': '1' }),
      json(200, experiment),
    ]);
    await client.experiments.getByName('churn');
    expect(waits).toEqual([2000, 1000]);
  });

  it('understands an HTTP-date and retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it('falls back to backoff when the requested wait is longer than a minute', async () => {
    const { client, waits } = clientWith([json(429, {}, { 'retry-after': '3600' }), json(200, experiment)]);
    await client.experiments.getByName('churn');
    expect(waits[0]).toBeLessThanOrEqual(100);
  });

  it('reports RateLimitedError once retries are spent', async () => {
    const { client } = clientWith([json(429, {}, { 'retry-after': '0' })], { maxRetries: 0 });
    await expect(client.experiments.getByName('churn')).rejects.toMatchObject({
      constructor: RateLimitedError,
      status: 429,
    });
  });

  it('backoff doubles up to the cap and jitter only shortens', () => {
    expect([0, 1, 2, 3, 4, 5].map((i) => backoffDelayMs(i, 500, 8000, 0))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(backoffDelayMs(2, 500, 8000, 0.5)).toBe(1750);
    expect(backoffDelayMs(2, 500, 8000, 0.9996)).toBe(1500);
  });
});

describe('timeouts', () => {
  it('aborts a hanging request after timeoutMs with MlflowTimeoutError, retrying idempotent calls', async () => {
    const { client, calls } = clientWith(['hang', 'hang'], { timeoutMs: 20, maxRetries: 1 });
    const started = Date.now();
    await expect(client.runs.get('r')).rejects.toMatchObject({
      constructor: MlflowTimeoutError,
      timeoutMs: 20,
      request: { method: 'GET', path: '/api/2.0/mlflow/runs/get?run_id=r' },
    });
    expect(calls).toHaveLength(2);
    expect(calls[0].init.signal?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('passes the caller’s abort through unchanged and stops retrying', async () => {
    const { client, calls } = clientWith(['hang', 'hang']);
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 10);
    await expect(
      client.transport.json({ method: 'GET', path: '/api/2.0/mlflow/runs/get', signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(calls).toHaveLength(1);
  });
});

describe('authentication and secrecy', () => {
  const header = (init: RequestInit) => (init.headers as Record<string, string>)['Authorization'];

  it('sends basic and bearer credentials', async () => {
    const basic = clientWith([json(200, experiment)], {
      auth: { type: 'basic', username: 'alice', password: 's3cr3t' },
    });
    await basic.client.experiments.getByName('churn');
    expect(header(basic.calls[0].init)).toBe(`Basic ${Buffer.from('alice:s3cr3t').toString('base64')}`);

    const bearer = clientWith([json(200, experiment)], { auth: { type: 'bearer', token: 'tok-123' } });
    await bearer.client.experiments.getByName('churn');
    expect(header(bearer.calls[0].init)).toBe('Bearer tok-123');
  });

  it('turns credentials in the URL into basic auth and strips them from requests', async () => {
    const { client, calls } = clientWith([json(200, experiment)], { trackingUri: 'https://bob:p%40ss@mlflow.test/' });
    await client.experiments.getByName('churn');
    expect(calls[0].url).toBe('https://mlflow.test/api/2.0/mlflow/experiments/get-by-name?experiment_name=churn');
    expect(header(calls[0].init)).toBe(`Basic ${Buffer.from('bob:p@ss').toString('base64')}`);
  });

  it('never shows credentials in toString, JSON, inspect or errors', async () => {
    const { client } = clientWith([json(401, { error_code: 'UNAUTHENTICATED', message: 'bad credentials' })], {
      trackingUri: 'https://bob:hunter2@mlflow.test',
      maxRetries: 0,
    });
    const tokenClient = new MlflowClient({
      trackingUri: 'http://mlflow.test',
      auth: { type: 'bearer', token: 'tok-secret' },
    });
    for (const shown of [
      String(client),
      JSON.stringify(client),
      inspect(client, { showHidden: true, depth: 10 }),
      JSON.stringify(tokenClient),
      inspect(tokenClient, { showHidden: true, depth: 10 }),
    ]) {
      expect(shown).not.toMatch(/hunter2|bob|tok-secret|Basic |Bearer /);
    }
    expect(String(client)).toBe('MlflowClient(https://mlflow.test, auth: basic)');
    const error = await client.experiments.getByName('churn').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(inspect(error, { depth: 10 })).not.toMatch(/hunter2|Basic /);
  });
});
