/**
 * A closed-loop `/predict` load generator that cycles through many request bodies (one per user),
 * run in a process of its own:
 * `node --require bench/support/register-typescript.cjs user-load-generator.ts '<UserLoadConfig as JSON>'`.
 *
 * Why not inference/load-generator.ts: that one repeats a single body, so every request would carry
 * the same `user_id` and the champion/challenger split would send all traffic to one arm. This one
 * serialises every body's request bytes once at start and hands them out in turn across the
 * connections, so consecutive requests belong to different users and both arms serve. The rest
 * follows the inference generator: raw keep-alive sockets, one request outstanding per connection,
 * a response parsed only as far as its status, length and `x-model-variant` header, and one body in
 * `checkEvery` parsed and checked.
 *
 * Phases: `warmupMs` (not measured), the measured window of `durationMs`, then a drain of the
 * requests still in flight. Every 200 answer of every phase is counted in `answered`, because the
 * server logs all of them: the suite compares that count with the rows the store received.
 *
 * Prints one JSON object ({@link UserLoadSummary}) on stdout.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

export interface UserLoadConfig {
  host: string;
  port: number;
  /** JSON lines, one `/predict` body per line. */
  bodiesFile: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
  /** Every n-th successful body is parsed and checked. */
  checkEvery: number;
}

export interface UserLoadSummary {
  connections: number;
  measuredSeconds: number;
  /** 200 answers received in the measured window. */
  responses: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-200 answers, bad bodies and broken connections in every phase (warm-up and drain included). */
  errors: number;
  errorsByKind: Record<string, number>;
  sampleErrors: string[];
  /** Measured-window answers by the `x-model-variant` header. */
  responsesByVariant: Record<string, number>;
  /** 200 answers in every phase (warm-up, window, drain): each one is a logged prediction. */
  answered: number;
  /** Requests written whose answer never arrived (connection closed or the drain timed out). */
  unanswered: number;
  checkedBodies: number;
  /** CPU the generator itself used during the measured window (user + system), in ms. */
  generatorCpuMs: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const SAMPLE_ERRORS = 5;
const DRAIN_TIMEOUT_MS = 5_000;

const nowMs = () => performance.timeOrigin + performance.now();

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A `/predict` answer for one customer: a 0/1 prediction and the variant the header names. */
function checkBody(text: string, variant: string | undefined): string | undefined {
  let body: { prediction?: unknown; variant?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return 'body is not JSON';
  }
  if (body.prediction !== 0 && body.prediction !== 1) return `prediction is ${JSON.stringify(body.prediction)}`;
  if (body.variant !== variant) return `body names variant ${String(body.variant)}, header ${String(variant)}`;
  return undefined;
}

class Recorder {
  measuring = false;
  answered = 0;
  successes = 0;
  checked = 0;
  readonly latencies: number[] = [];
  readonly errorsByKind: Record<string, number> = {};
  readonly sampleErrors: string[] = [];
  readonly byVariant: Record<string, number> = {};

  constructor(private readonly checkEvery: number) {}

  response(latencyMs: number, status: number, variant: string | undefined, body: () => string): void {
    if (status !== 200) {
      this.error(`status ${status}`, body());
      return;
    }
    this.answered++;
    this.successes++;
    if (this.successes % this.checkEvery === 0) {
      this.checked++;
      const problem = checkBody(body(), variant);
      if (problem) {
        this.error('bad body', problem);
        return;
      }
    }
    if (!this.measuring) return;
    this.latencies.push(latencyMs);
    const key = variant ?? 'none';
    this.byVariant[key] = (this.byVariant[key] ?? 0) + 1;
  }

  error(kind: string, detail: string): void {
    this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
    if (this.sampleErrors.length < SAMPLE_ERRORS) this.sampleErrors.push(`${kind}: ${detail.slice(0, 300)}`);
  }
}

/** One keep-alive connection sending the next user's request each time its previous answer is complete. */
class Connection {
  private socket: Socket | undefined;
  private pending: Buffer | undefined;
  private sentAt = 0;
  inFlight = false;
  unanswered = 0;

  constructor(
    private readonly config: UserLoadConfig,
    private readonly nextRequest: () => Buffer,
    private readonly recorder: Recorder,
    private readonly running: () => boolean,
    private readonly settled: () => void,
  ) {}

  start(): void {
    const socket = connect({ host: this.config.host, port: this.config.port, noDelay: true });
    this.socket = socket;
    this.pending = undefined;
    let failure: NodeJS.ErrnoException | undefined;
    socket.on('connect', () => this.send());
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => {
      failure = error;
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.inFlight || failure) {
        this.inFlight = false;
        this.unanswered++;
        this.recorder.error(`socket ${failure?.code ?? 'closed mid-request'}`, failure?.message ?? 'connection closed before the response was complete');
      }
      if (this.running()) setTimeout(() => (this.running() ? this.start() : this.settled()), failure ? 10 : 0);
      else this.settled();
    });
  }

  close(): void {
    if (this.inFlight) this.unanswered++;
    this.inFlight = false;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }

  private send(): void {
    if (!this.running()) {
      this.close();
      this.settled();
      return;
    }
    this.inFlight = true;
    this.sentAt = nowMs();
    this.socket?.write(this.nextRequest());
  }

  private receive(chunk: Buffer): void {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const headerEnd = data.indexOf(HEADER_END);
    if (headerEnd < 0) {
      this.pending = data;
      return;
    }
    const head = data.toString('latin1', 0, headerEnd).toLowerCase();
    const bodyStart = headerEnd + 4;
    const lengthAt = head.indexOf('\r\ncontent-length:');
    if (lengthAt < 0) {
      // Fastify sends a length with every JSON answer; anything else is reported, not guessed at.
      this.recorder.error('no content-length', head.slice(0, 200));
      this.close();
      return;
    }
    const responseEnd = bodyStart + Number.parseInt(head.slice(lengthAt + 17, head.indexOf('\r\n', lengthAt + 2) >>> 0), 10);
    if (data.length < responseEnd) {
      this.pending = data;
      return;
    }
    this.pending = data.length > responseEnd ? data.subarray(responseEnd) : undefined;
    const latencyMs = nowMs() - this.sentAt;
    const status = Number.parseInt(head.slice(9, 12), 10);
    const variantAt = head.indexOf('\r\nx-model-variant:');
    const variant = variantAt < 0 ? undefined : head.slice(variantAt + 18, head.indexOf('\r\n', variantAt + 2) >>> 0).trim();
    this.inFlight = false;
    this.recorder.response(latencyMs, status, variant, () => data.toString('utf8', bodyStart, responseEnd));
    this.send();
  }
}

function requestsOf(config: UserLoadConfig): Buffer[] {
  const lines = readFileSync(config.bodiesFile, 'utf8').split('\n').filter((line) => line.length > 0);
  if (lines.length === 0) throw new Error(`${config.bodiesFile} holds no request body`);
  return lines.map((line) => {
    const body = Buffer.from(line, 'utf8');
    const head = `POST /predict HTTP/1.1\r\nHost: ${config.host}:${config.port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]) as UserLoadConfig;
  const requests = requestsOf(config);
  let next = 0;
  const nextRequest = () => requests[next++ % requests.length];
  const recorder = new Recorder(config.checkEvery);
  let running = true;
  let settledCount = 0;
  let allSettled: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const connections: Connection[] = [];
  const settled = () => {
    settledCount++;
    if (settledCount === connections.length) allSettled();
  };
  for (let index = 0; index < config.connections; index++) connections.push(new Connection(config, nextRequest, recorder, () => running, settled));
  connections.forEach((connection) => connection.start());

  await new Promise((resolve) => setTimeout(resolve, config.warmupMs));
  recorder.measuring = true;
  const windowStart = nowMs();
  const cpuBefore = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, config.durationMs));
  recorder.measuring = false;
  const windowEnd = nowMs();
  const cpu = process.cpuUsage(cpuBefore);
  running = false;
  // Idle connections settle at once; busy ones when their answer arrives (it still counts in `answered`).
  for (const connection of connections) {
    if (!connection.inFlight) {
      connection.close();
      settled();
    }
  }
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS))]);
  connections.forEach((connection) => connection.close());

  const sorted = Float64Array.from(recorder.latencies).sort();
  const measuredSeconds = (windowEnd - windowStart) / 1000;
  const summary: UserLoadSummary = {
    connections: config.connections,
    measuredSeconds,
    responses: sorted.length,
    requestsPerSecond: sorted.length / measuredSeconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors: Object.values(recorder.errorsByKind).reduce((sum, count) => sum + count, 0),
    errorsByKind: recorder.errorsByKind,
    sampleErrors: recorder.sampleErrors,
    responsesByVariant: recorder.byVariant,
    answered: recorder.answered,
    unanswered: connections.reduce((sum, connection) => sum + connection.unanswered, 0),
    checkedBodies: recorder.checked,
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
