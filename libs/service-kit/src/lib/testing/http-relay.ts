// A real HTTP relay in front of a real server (MLflow, in the apps' tests): it forwards every request
// as it is and records what each caller sent, so a test can check the credentials and the address an
// app really used. A test can also stop the server at an exact point of a request sequence (a trap:
// once the server has answered the named request, its action runs before the answer is passed on, or
// instead of passing it on), or answer in the server's place (an outage, a slow answer).
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RelayTrap {
  method: string;
  /** The request's path without its query, e.g. `/api/2.0/mlflow/registered-models/alias`. */
  path: string;
  /** Runs once, after the server has answered that request. */
  then: () => Promise<void>;
  /** `relay`: the server's answer reaches the caller; `drop`: the caller's connection breaks instead. */
  answer: 'relay' | 'drop';
}

/** A request as the relay received it. */
export interface RelayedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** When it arrived (Date.now()). */
  receivedAt: number;
  /** Set once the caller hung up before the relay answered (a client-side timeout, say); not when the relay cut the connection itself. */
  abandoned: boolean;
}

/** What the relay answers in the server's place. */
export interface RelayAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Decides a request's answer: undefined forwards it to the server. May wait first (a slow server). */
export type RelayInterceptor = (request: RelayedRequest) => Promise<RelayAnswer | undefined> | RelayAnswer | undefined;

export interface HttpRelay {
  url: string;
  /** Every request received so far, in order of arrival. */
  readonly requests: readonly RelayedRequest[];
  /** Sets a trap; it springs on the next matching request. */
  trap(trap: RelayTrap): void;
  /** Answers requests in the server's place while set; undefined goes back to forwarding all. */
  intercept(interceptor: RelayInterceptor | undefined): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host'];

/** Starts a relay on a free port of 127.0.0.1 to the server on `upstreamPort` of 127.0.0.1. */
export async function startHttpRelay(upstreamPort: number): Promise<HttpRelay> {
  let armed: RelayTrap | undefined;
  let interceptor: RelayInterceptor | undefined;
  let closing = false;
  const requests: RelayedRequest[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    // Set when the relay itself breaks the connection (a drop trap, the server down, close()).
    let cutByRelay = false;
    const cut = () => {
      cutByRelay = true;
      incoming.socket.destroy();
    };
    const record: RelayedRequest = {
      method: incoming.method ?? '',
      url: incoming.url ?? '',
      headers: incoming.headers,
      receivedAt: Date.now(),
      abandoned: false,
    };
    requests.push(record);
    outgoing.on('close', () => {
      if (!outgoing.writableFinished && !cutByRelay && !closing) record.abandoned = true;
    });
    const body: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => body.push(chunk));
    incoming.on('end', async () => {
      let instead: RelayAnswer | undefined;
      try {
        instead = await interceptor?.(record);
      } catch (error) {
        // A broken interceptor must not leave the caller waiting for its own timeout.
        instead = { status: 500, body: `relay interceptor failed: ${String(error)}` };
      }
      if (instead !== undefined) {
        if (!outgoing.destroyed) outgoing.writeHead(instead.status, instead.headers).end(instead.body ?? '');
        return;
      }
      forward(upstreamPort, record, Buffer.concat(body), {
        answered: async (status, headers, payload) => {
          const trap = armed;
          if (trap !== undefined && trap.method === record.method && trap.path === record.url.split('?')[0]) {
            armed = undefined;
            await trap.then();
            if (trap.answer === 'drop') return cut();
          }
          outgoing.writeHead(status, { ...without(headers), 'content-length': payload.length }).end(payload);
        },
        // The server is down: the caller sees the connection break, as it would without the relay.
        failed: cut,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    trap: (trap) => {
      armed = trap;
    },
    intercept: (next) => {
      interceptor = next;
    },
    close: () =>
      new Promise((resolve) => {
        closing = true;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends one request to the server and reads its whole answer. */
function forward(
  port: number,
  { method, url: path, headers }: RelayedRequest,
  sent: Buffer,
  on: {
    answered: (status: number, headers: IncomingHttpHeaders, payload: Buffer) => Promise<void>;
    failed: () => void;
  },
): void {
  const upstream = httpRequest(
    {
      host: '127.0.0.1',
      port,
      method,
      path,
      headers: { ...without(headers), host: `127.0.0.1:${port}`, 'content-length': sent.length },
      agent: false,
    },
    (answer) => {
      const received: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => received.push(chunk));
      answer.on('end', () => void on.answered(answer.statusCode ?? 502, answer.headers, Buffer.concat(received)));
    },
  );
  upstream.on('error', on.failed);
  upstream.end(sent);
}

function without(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.includes(name)));
}
