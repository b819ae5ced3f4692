import { startHttpRelay, type HttpRelay } from '@churn/service-kit/testing';

import { MLFLOW_ENVIRONMENT } from '../src/app/config/mlflow-environment.module';
import { startApp, waitFor } from './support/app-harness';

// MLflow's client settings are read from the environment the app is built for, like every other
// setting: two apps in one process can talk to MLflow as different users at different addresses, and
// a variable left in process.env never leaks into an app that was not given it. Each app here talks to
// the suites' real MLflow through a relay of its own that records what the app sent.

const TRACKING_URI = process.env['MLFLOW_TRACKING_URI'] as string;
const PROCESS_TOKEN = 'token-in-process-env-only';
/** Never registered: each app keeps asking MLflow for the alias, with start-up back-off (model-slots.service.ts: 250, 500, 1000 ms…). */
const MODEL_NAME = 'iapi_credentials_never_registered';
const ALIAS_PATH = `/api/2.0/mlflow/registered-models/alias?name=${MODEL_NAME}&`;
/** A failed poll waits at least the first back-off (250 ms; timers never fire early) before the next. */
const NEXT_POLL_AFTER_MS = 240;
/** A retry follows at once (MLflow's 503 says retry-after-ms 0): well under the second back-off (500 ms). */
const RETRY_WITHIN_MS = 400;

describe("inference-api's MLflow client", () => {
  const relays: HttpRelay[] = [];
  const relay = async () => {
    const started = await startHttpRelay(Number(new URL(TRACKING_URI).port));
    relays.push(started);
    return started;
  };

  beforeAll(() => {
    process.env['MLFLOW_TRACKING_TOKEN'] = PROCESS_TOKEN;
  });
  afterAll(async () => {
    delete process.env['MLFLOW_TRACKING_TOKEN'];
    await Promise.all(relays.map((started) => started.close()));
  });

  it('sends the credentials of the environment the app is built for, to that environment’s MLflow', async () => {
    const [toBasic, toBearer, toNone] = await Promise.all([relay(), relay(), relay()]);
    const basic = await startApp({
      MODEL_NAME,
      MLFLOW_TRACKING_URI: toBasic.url,
      MLFLOW_TRACKING_USERNAME: 'reader',
      MLFLOW_TRACKING_PASSWORD: 'reader-password',
    });
    const bearer = await startApp({
      MODEL_NAME,
      MLFLOW_TRACKING_URI: toBearer.url,
      MLFLOW_TRACKING_TOKEN: 'token-of-this-app',
    });
    const none = await startApp({ MODEL_NAME, MLFLOW_TRACKING_URI: toNone.url });
    try {
      await waitFor('two calls through every relay', () =>
        [toBasic, toBearer, toNone].every((started) => started.requests.length >= 2) ? true : undefined,
      );
      const sent = (started: HttpRelay) => [
        ...new Set(started.requests.map((request) => request.headers.authorization)),
      ];
      expect(sent(toBasic)).toEqual([`Basic ${Buffer.from('reader:reader-password').toString('base64')}`]);
      expect(sent(toBearer)).toEqual(['Bearer token-of-this-app']);
      expect(sent(toNone)).toEqual([undefined]);
      // Only MLflow's client variables are injectable, not the app's tokens or store URL beside them.
      expect(basic.app.get(MLFLOW_ENVIRONMENT)).toEqual({
        MLFLOW_TRACKING_USERNAME: 'reader',
        MLFLOW_TRACKING_PASSWORD: 'reader-password',
      });
    } finally {
      await Promise.all([basic.close(), bearer.close(), none.close()]);
    }
  });

  it('gives each poll one retry and waits out a slow answer, whatever MLFLOW_HTTP_REQUEST_MAX_RETRIES and _TIMEOUT say', async () => {
    const toMlflow = await relay();
    // The model slot's calls (traffic settings are polled through the same client, apart).
    const aliasCalls = () => toMlflow.requests.filter((request) => request.url.startsWith(ALIAS_PATH));
    const unavailable = {
      status: 503,
      headers: { 'retry-after-ms': '0' },
      body: '{"error_code":"TEMPORARILY_UNAVAILABLE"}',
    };
    // MLflow's first answer to the slot takes 2 s, longer than the environment's 1 s timeout; every answer is a 503.
    toMlflow.intercept(async (request) => {
      if (request === aliasCalls()[0]) await new Promise((resolve) => setTimeout(resolve, 2_000));
      return unavailable;
    });
    const app = await startApp({
      MODEL_NAME,
      MLFLOW_TRACKING_URI: toMlflow.url,
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '5',
      MLFLOW_HTTP_REQUEST_TIMEOUT: '1',
    });
    try {
      await waitFor('four alias calls through the relay', () => (aliasCalls().length >= 4 ? true : undefined));
      const [first, retry, nextPoll, itsRetry] = aliasCalls();
      // Waited out the 2 s answer (the polling client's 10 s timeout, not the environment's 1 s), then retried once...
      expect(first.abandoned).toBe(false);
      expect(retry.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1_900);
      // ...and gave up: the next call is the next poll, after the start-up back-off, with its one retry.
      expect(nextPoll.receivedAt - retry.receivedAt).toBeGreaterThanOrEqual(NEXT_POLL_AFTER_MS);
      expect(itsRetry.receivedAt - nextPoll.receivedAt).toBeLessThan(RETRY_WITHIN_MS);
    } finally {
      await app.close();
    }
  });

  it('refuses to start with half of the basic credentials, naming the missing variable', async () => {
    await expect(startApp({ MODEL_NAME, MLFLOW_TRACKING_USERNAME: 'reader' })).rejects.toThrow(
      'MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not',
    );
  });
});
