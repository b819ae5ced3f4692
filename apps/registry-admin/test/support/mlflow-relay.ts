// A real HTTP relay in front of a real MLflow server, so that a test can stop MLflow at an exact point
// of registry-admin's request sequence: once MLflow has answered the request a trap names, the trap's
// action runs (it kills the server) before the answer is passed on, or instead of passing it on.
// Everything else is forwarded as it is; when MLflow is down, the caller's connection is dropped.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RelayTrap {
  method: string;
  /** The request's path without its query, e.g. `/api/2.0/mlflow/registered-models/alias`. */
  path: string;
  /** Runs once, after MLflow has answered that request. */
  then: () => Promise<void>;
  /** `relay`: MLflow's answer reaches the caller; `drop`: the caller's connection breaks instead. */
  answer: 'relay' | 'drop';
}

export interface MlflowRelay {
  url: string;
  /** Sets a trap; it springs on the next matching request. */
  trap(trap: RelayTrap): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host'];

export async function startMlflowRelay(upstreamPort: number): Promise<MlflowRelay> {
  let armed: RelayTrap | undefined;
  const server: Server = createServer((incoming, outgoing) => {
    const body: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => body.push(chunk));
    incoming.on('end', () => {
      const sent = Buffer.concat(body);
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          method: incoming.method,
          path: incoming.url,
          headers: { ...without(incoming.headers), host: `127.0.0.1:${upstreamPort}`, 'content-length': sent.length },
          agent: false,
        },
        (answer) => {
          const received: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => received.push(chunk));
          answer.on('end', async () => {
            const trap = armed;
            if (trap !== undefined && trap.method === incoming.method && trap.path === incoming.url?.split('?')[0]) {
              armed = undefined;
              await trap.then();
              if (trap.answer === 'drop') {
                incoming.socket.destroy();
                return;
              }
            }
            const payload = Buffer.concat(received);
            outgoing
              .writeHead(answer.statusCode ?? 502, { ...without(answer.headers), 'content-length': payload.length })
              .end(payload);
          });
        },
      );
      // MLflow is down: the caller sees the connection break, as it would without the relay.
      upstream.on('error', () => incoming.socket.destroy());
      upstream.end(sent);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    trap: (trap) => {
      armed = trap;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function without(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.includes(name)));
}
