// Every app's HTTP server, as a real process probed over raw sockets: a client that sends its headers
// too slowly, never finishes its body or sits idle on a kept-alive connection is cut off, connections
// beyond the cap are refused, and ordinary requests on the same server are answered throughout.
import { connect } from 'node:net';
import { join } from 'node:path';

import { answers, freePort, startProcess, workspaceRoot, type TestProcess } from './support/processes';

/** How long a probe waits for the server to act before the test fails (a bound, not a measurement). */
const SERVER_ACTS_WITHIN_MS = 60_000;

interface AppUnderTest {
  name: 'inference-api' | 'registry-admin' | 'training-worker';
  /** The listener under test: an app's only one, or one of inference-api's two. */
  listener: string;
  env: Record<string, string>;
  /** POST routes whose body is read: the framework's, and inference-api's fast path ahead of it. */
  bodyRoutes: string[];
  /** A GET route this listener answers 200 without a token. */
  probe: string;
}

const INFERENCE_ENV = { PREDICTION_LOG_ENABLED: 'false', POLL_INTERVAL_MS: '0' };
const APPS: AppUnderTest[] = [
  { name: 'inference-api', listener: 'public', env: INFERENCE_ENV, bodyRoutes: ['/predict'], probe: '/health' },
  // The internal listener is a server of its own, created with the same limits.
  {
    name: 'inference-api',
    listener: 'internal',
    env: INFERENCE_ENV,
    bodyRoutes: ['/admin/reload', '/feedback'],
    probe: '/metrics',
  },
  {
    name: 'registry-admin',
    listener: 'public',
    env: { API_TOKENS: 'ci:deployer:deployer-token-1' },
    bodyRoutes: ['/models/m/promote'],
    probe: '/health',
  },
  {
    name: 'training-worker',
    listener: 'public',
    env: { API_TOKENS: 'ci:trainer:trainer-token-0001', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
    bodyRoutes: ['/jobs'],
    probe: '/health',
  },
];

/** What the server sent on a raw connection until it closed it. */
interface Exchange {
  text: string;
  /** Responses in `text`, by their status line. */
  statuses: number[];
}

/** Opens a connection, writes `bytes` (nothing if empty) and collects what arrives until the server closes it. */
function exchange(port: number, bytes: string): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${SERVER_ACTS_WITHIN_MS} ms; got ${text}`));
    }, SERVER_ACTS_WITHIN_MS);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    // A reset after the server's answer is still the server closing the connection.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1])) });
    });
    if (bytes !== '') socket.write(bytes);
  });
}

/** A JSON POST; `declaredLength` beyond the body's makes a body that never ends. Closes the connection after the answer. */
function post(route: string, body: string, declaredLength = Buffer.byteLength(body)): string {
  return `POST ${route} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${declaredLength}\r\n\r\n${body}`;
}

const get = (route: string) => `GET ${route} HTTP/1.1\r\nHost: test\r\n\r\n`;
const getAndClose = (route: string) => `GET ${route} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`;

async function startApp(
  app: AppUnderTest,
  limits: Record<string, string>,
): Promise<{ url: string; process: TestProcess; port: number }> {
  const [publicPort, internalPort] = [await freePort(), await freePort()];
  const process = startProcess('node', [join(workspaceRoot, 'dist/apps', app.name, 'main.js')], {
    PORT: String(publicPort),
    ...(app.name === 'inference-api' ? { INTERNAL_PORT: String(internalPort) } : {}),
    HOST: '127.0.0.1',
    // Nothing listens there: these checks need no MLflow, and every app still starts and answers.
    MLFLOW_TRACKING_URI: `http://127.0.0.1:${await freePort()}`,
    ...app.env,
    ...limits,
  });
  const deadline = Date.now() + 120_000;
  while (!(await answers(`http://127.0.0.1:${publicPort}`))) {
    if (process.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${app.name} did not answer /health:\n${process.output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const port = app.listener === 'internal' ? internalPort : publicPort;
  return { url: `http://127.0.0.1:${port}`, process, port };
}

async function stop(started: { process: TestProcess } | undefined): Promise<void> {
  if (started === undefined) return;
  started.process.signalGroup('SIGKILL');
  await started.process.exited;
}

describe.each(APPS)('$name ($listener listener): HTTP timeouts and connection cap', (app) => {
  describe('with small timeouts', () => {
    let started: Awaited<ReturnType<typeof startApp>> | undefined;

    beforeAll(async () => {
      started = await startApp(app, {
        HTTP_HEADERS_TIMEOUT_MS: '1000',
        HTTP_REQUEST_TIMEOUT_MS: '2000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '1500',
      });
    }, 150_000);

    afterAll(() => stop(started));

    it('answers 408 and closes a connection whose headers never end, or that sends nothing', async () => {
      const port = started?.port as number;
      const [slowHeaders, silent] = await Promise.all([
        exchange(port, `GET ${app.probe} HTTP/1.1\r\nHost: test\r\nX-Slow: `),
        exchange(port, ''),
      ]);
      expect(slowHeaders.statuses).toEqual([408]);
      expect(silent.statuses).toEqual([408]);
    });

    it('answers 408 and closes a connection whose body never ends, on every body-reading path', async () => {
      const port = started?.port as number;
      for (const route of app.bodyRoutes) {
        const cutOff = await exchange(port, post(route, '{"data": ', 4096));
        expect({ route, statuses: cutOff.statuses }).toEqual({ route, statuses: [408] });
      }
    });

    it('answers requests sent in time, two on one kept-alive connection, then closes it once idle', async () => {
      const port = started?.port as number;
      const kept = await exchange(port, get(app.probe) + get(app.probe));
      expect(kept.statuses).toEqual([200, 200]);
      expect(kept.text).toMatch(/^keep-alive: timeout=1$/im);
      for (const route of app.bodyRoutes) {
        // Complete bodies get the route's own answer (401 without a token, 503 without a model), never a 408.
        const answered = await exchange(port, post(route, '{}'));
        expect({ route, statuses: answered.statuses }).toEqual({ route, statuses: [expect.any(Number)] });
        expect(answered.statuses[0]).not.toBe(408);
      }
    });

    it('keeps serving after the cut-offs, without logging them as server errors', async () => {
      expect((await fetch(`${started?.url}${app.probe}`)).status).toBe(200);
      expect(started?.process.output).not.toMatch(/aborted|ERROR/);
    });
  });

  describe('with a cap of two connections', () => {
    let started: Awaited<ReturnType<typeof startApp>> | undefined;

    beforeAll(async () => {
      // Long timeouts, so the held connections stay open for as long as the check needs.
      started = await startApp(app, {
        HTTP_MAX_CONNECTIONS: '2',
        HTTP_HEADERS_TIMEOUT_MS: '120000',
        HTTP_REQUEST_TIMEOUT_MS: '120000',
      });
    }, 150_000);

    afterAll(() => stop(started));

    it('closes a third connection at once, unanswered, and serves again when one is released', async () => {
      const port = started?.port as number;
      const held = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
      await Promise.all(held.map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
      try {
        const refused = await exchange(port, getAndClose(app.probe));
        expect(refused.text).toBe('');
      } finally {
        for (const socket of held) socket.destroy();
      }
      const deadline = Date.now() + SERVER_ACTS_WITHIN_MS;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) {
        status = (await exchange(port, getAndClose(app.probe))).statuses[0] ?? 0;
      }
      expect(status).toBe(200);
    });
  });
});
