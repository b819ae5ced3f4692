import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { startHttpRelay, type HttpRelay } from './http-relay';
import { waitFor } from './wait-for';

describe('startHttpRelay', () => {
  let upstream: Server;
  let relay: HttpRelay;

  beforeEach(async () => {
    // A server that echoes what reached it, so the test sees what the relay passed on.
    upstream = createServer((request, response) => {
      const body: Buffer[] = [];
      request.on('data', (chunk: Buffer) => body.push(chunk));
      request.on('end', () =>
        response.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' }).end(
          JSON.stringify({
            url: request.url,
            authorization: request.headers.authorization,
            body: String(Buffer.concat(body)),
          }),
        ),
      );
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    relay = await startHttpRelay((upstream.address() as AddressInfo).port);
  });

  afterEach(async () => {
    await relay.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('forwards requests and answers as they are, and records what each caller sent', async () => {
    const response = await fetch(`${relay.url}/api/thing?x=1`, {
      method: 'POST',
      headers: { authorization: 'Bearer abc' },
      body: 'payload',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-upstream')).toBe('yes');
    expect(await response.json()).toEqual({ url: '/api/thing?x=1', authorization: 'Bearer abc', body: 'payload' });
    expect(relay.requests).toHaveLength(1);
    expect(relay.requests[0]).toMatchObject({ method: 'POST', url: '/api/thing?x=1', abandoned: false });
    expect(relay.requests[0].headers.authorization).toBe('Bearer abc');
  });

  it("answers in the server's place while intercepting, and forwards again once cleared", async () => {
    relay.intercept((request) => (request.url === '/down' ? { status: 503, body: 'unavailable' } : undefined));
    const down = await fetch(`${relay.url}/down`);
    expect([down.status, await down.text()]).toEqual([503, 'unavailable']);
    expect((await fetch(`${relay.url}/up`)).status).toBe(201);
    relay.intercept(undefined);
    expect((await fetch(`${relay.url}/down`)).status).toBe(201);
  });

  it('marks a request abandoned when its caller hangs up before the answer', async () => {
    relay.intercept(() => new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 300)));
    const caller = new AbortController();
    const sent = fetch(`${relay.url}/slow`, { signal: caller.signal });
    // Hang up only once the relay holds the request.
    await waitFor('the request to reach the relay', () => (relay.requests.length === 1 ? true : undefined), 5_000, 5);
    caller.abort();
    await expect(sent).rejects.toThrow();
    await waitFor('the hang-up to be seen', () => (relay.requests[0].abandoned ? true : undefined), 5_000, 10);
  });

  it('answers 500 naming the error when an interceptor throws, instead of leaving the caller waiting', async () => {
    relay.intercept(() => {
      throw new Error('bad test double');
    });
    const response = await fetch(`${relay.url}/any`);
    expect([response.status, await response.text()]).toEqual([500, 'relay interceptor failed: Error: bad test double']);
  });

  it("springs a trap once the server has answered, dropping the caller's connection when asked", async () => {
    let sprung = 0;
    relay.trap({ method: 'GET', path: '/trapped', answer: 'drop', then: async () => void sprung++ });
    await expect(fetch(`${relay.url}/trapped?q=1`)).rejects.toThrow();
    expect(sprung).toBe(1);
    // The relay broke that connection, the caller did not hang up.
    expect(relay.requests[0].abandoned).toBe(false);
    // A trap springs once.
    expect((await fetch(`${relay.url}/trapped`)).status).toBe(201);
    expect(sprung).toBe(1);
  });
});
