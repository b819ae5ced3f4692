/**
 * A closed-loop HTTP/1.1 load generator on raw keep-alive sockets, run in a process of its own:
 * `node --require bench/support/register-typescript.cjs load-generator.ts '<LoadConfig as JSON>'`.
 *
 * Each of `connections` sockets sends one request, waits for the whole response, and sends the
 * next (no pipelining), so at most `connections` requests are outstanding, as with
 * `http.Agent({ keepAlive: true, maxSockets: 32 })` but without Node's HTTP client on the hot path:
 * on a 2-core machine every cycle the generator spends is taken from the server it measures. The
 * request bytes are serialised once, at start; a response is parsed only as far as its status, its
 * length and the `x-model-version` and `x-model-variant` headers, and one body in `checkEvery` is
 * parsed as JSON and checked.
 *
 * Bodies: `bodyFile` holds one body that every request repeats; `bodiesFile` holds one body per line,
 * handed out in turn across the connections, so that consecutive requests can belong to different
 * users (a champion/challenger split routes by `user_id`: one repeated body would reach one arm only).
 *
 * Phases: `warmupMs` (latencies not recorded), then the measured window of `durationMs`, or, when
 * `durationMs` is 0, until a line `stop` arrives on stdin (the orchestrator moves aliases meanwhile),
 * then a drain of the requests still running. Throughput, latency and the per-version and
 * per-variant counts cover the window only; `answered` counts the 200 answers of every phase, since
 * a server that logs its predictions logged all of them.
 * With `timelineFile`, every response received (warm-up included) is also written there as Float64
 * triples [received at (epoch ms), version (0 when none), status (0 for a broken connection)], so the
 * orchestrator can line responses up with the moments it moved an alias.
 *
 * Prints one JSON object ({@link LoadSummary}) on stdout.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

export interface LoadConfig {
  host: string;
  port: number;
  path: string;
  contentType: string;
  /** File holding the one body every request carries (a 1000-row body is too large for a command-line argument). Exactly one of `bodyFile` and `bodiesFile`. */
  bodyFile?: string;
  /** File of bodies, one per line (JSON lines), sent in turn across the connections. */
  bodiesFile?: string;
  connections: number;
  warmupMs: number;
  /** Measured window; 0 means "until `stop` on stdin". */
  durationMs: number;
  /** Rows each answer must hold (`predictions` length); 1 for single-row answers. */
  expectRows: number;
  /** Every n-th successful body is parsed and checked. */
  checkEvery: number;
  timelineFile?: string;
}

export interface LoadSummary {
  connections: number;
  measuredSeconds: number;
  /** Successful (200, body checked when sampled) responses received in the measured window. */
  responses: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Non-200 answers, bad bodies and broken connections in the measured window. */
  errors: number;
  errorsByKind: Record<string, number>;
  /** The same failures during the warm-up and the drain (not in `errors`). */
  errorsOutsideWindow: number;
  /** The first few failures of any phase, each prefixed with its phase. */
  sampleErrors: string[];
  checkedBodies: number;
  /** Measured-window successes by the `x-model-version` header (`none` when absent). */
  responsesByVersion: Record<string, number>;
  /** Measured-window successes by the `x-model-variant` header (answers without it are not counted here). */
  responsesByVariant: Record<string, number>;
  /** 200 answers in every phase (warm-up, window, drain), whatever their body: each is a prediction the server made. */
  answered: number;
  /** Requests written whose answer never arrived (connection closed, or still running when the drain gave up). */
  unanswered: number;
  /** CPU the generator itself used during the measured window (user + system), in ms. */
  generatorCpuMs: number;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one host. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n');
const SAMPLE_ERRORS = 5;
const DRAIN_TIMEOUT_MS = 5_000;

type Phase = 'warm-up' | 'window' | 'drain';

/** What a response's head names: the `x-model-version` and `x-model-variant` headers, when sent. */
interface ServedBy {
  version: string | undefined;
  variant: string | undefined;
}

class Recorder {
  phase: Phase = 'warm-up';
  windowStart = 0;
  windowEnd = 0;
  readonly latencies: number[] = [];
  readonly errorsByKind: Record<string, number> = {};
  errorsOutsideWindow = 0;
  readonly sampleErrors: string[] = [];
  readonly byVersion: Record<string, number> = {};
  readonly byVariant: Record<string, number> = {};
  timeline: Float64Array = new Float64Array(3 * 65536);
  timelineLength = 0;
  checked = 0;
  answered = 0;

  constructor(readonly config: LoadConfig) {}

  response(sentAt: number, receivedAt: number, status: number, servedBy: ServedBy, body: () => string): void {
    if (this.config.timelineFile)
      this.appendTimeline(receivedAt, servedBy.version === undefined ? 0 : Number(servedBy.version), status);
    if (status !== 200) {
      this.error(`status ${status}`, body());
      return;
    }
    this.answered++;
    let problem: string | undefined;
    if (this.answered % this.config.checkEvery === 0) {
      this.checked++;
      problem = checkBody(body(), servedBy, this.config.expectRows);
    }
    if (problem) {
      this.error('bad body', problem);
      return;
    }
    if (this.phase !== 'window') return;
    this.latencies.push(receivedAt - sentAt);
    const version = servedBy.version ?? 'none';
    this.byVersion[version] = (this.byVersion[version] ?? 0) + 1;
    if (servedBy.variant !== undefined) this.byVariant[servedBy.variant] = (this.byVariant[servedBy.variant] ?? 0) + 1;
  }

  error(kind: string, detail: string): void {
    if (this.config.timelineFile && kind.startsWith('socket')) this.appendTimeline(nowMs(), 0, 0);
    if (this.phase === 'window') this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
    else this.errorsOutsideWindow++;
    if (this.sampleErrors.length < SAMPLE_ERRORS)
      this.sampleErrors.push(`${this.phase}, ${kind}: ${detail.slice(0, 300)}`);
  }

  private appendTimeline(receivedAt: number, version: number, status: number): void {
    if (this.timelineLength + 3 > this.timeline.length) {
      const grown = new Float64Array(this.timeline.length * 2);
      grown.set(this.timeline);
      this.timeline = grown;
    }
    this.timeline[this.timelineLength++] = receivedAt;
    this.timeline[this.timelineLength++] = version;
    this.timeline[this.timelineLength++] = status;
  }
}

/**
 * Checks an answer's shape: `/predict` (prediction, and model.version and variant equal to the
 * headers that name them) or `/invocations` (predictions of the expected length).
 */
function checkBody(text: string, servedBy: ServedBy, expectRows: number): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'body is not JSON';
  }
  if (Array.isArray(body['predictions'])) {
    return body['predictions'].length === expectRows
      ? undefined
      : `expected ${expectRows} predictions, got ${body['predictions'].length}`;
  }
  if (body['prediction'] !== 0 && body['prediction'] !== 1)
    return `prediction is ${JSON.stringify(body['prediction'])}`;
  const model = body['model'] as { version?: string } | undefined;
  if (servedBy.version !== undefined && model?.version !== servedBy.version)
    return `body names version ${model?.version}, header ${servedBy.version}`;
  if (servedBy.variant !== undefined && body['variant'] !== servedBy.variant)
    return `body names variant ${String(body['variant'])}, header ${servedBy.variant}`;
  return undefined;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** One keep-alive connection sending the next request each time its previous answer is complete, until told to stop. */
class Connection {
  private socket: Socket | undefined;
  private pending: Buffer | undefined;
  private sentAt = 0;
  private inFlight = false;
  unanswered = 0;

  constructor(
    private readonly nextRequest: () => Buffer,
    private readonly config: LoadConfig,
    private readonly recorder: Recorder,
    private readonly running: () => boolean,
    private readonly idle: () => void,
  ) {}

  start(): void {
    const socket = connect({ host: this.config.host, port: this.config.port, noDelay: true });
    let failure: Error | undefined;
    this.socket = socket;
    this.pending = undefined;
    socket.on('connect', () => this.send());
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => {
      failure = error;
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      const wasInFlight = this.inFlight;
      this.inFlight = false;
      if (wasInFlight) this.unanswered++;
      if (wasInFlight || failure) {
        const code = (failure as NodeJS.ErrnoException | undefined)?.code;
        this.recorder.error(
          `socket ${code ?? 'closed mid-request'}`,
          failure?.message ?? 'connection closed before the response was complete',
        );
      }
      if (!this.running()) {
        this.idle();
        return;
      }
      // A refused or reset connection is retried after a pause, not in a tight loop.
      setTimeout(() => (this.running() ? this.start() : this.idle()), failure ? 10 : 0);
    });
  }

  stopIfIdle(): boolean {
    if (this.inFlight || this.socket === undefined) return false;
    this.close();
    return true;
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
      this.idle();
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
    let responseEnd: number;
    if (lengthAt >= 0) {
      responseEnd =
        bodyStart + Number.parseInt(head.slice(lengthAt + 17, head.indexOf('\r\n', lengthAt + 2) >>> 0), 10);
    } else if (head.includes('transfer-encoding: chunked')) {
      const end = data.indexOf(CHUNKED_END, bodyStart - 2);
      responseEnd = end < 0 ? Number.POSITIVE_INFINITY : end + CHUNKED_END.length;
    } else {
      responseEnd = bodyStart;
    }
    if (data.length < responseEnd) {
      this.pending = data;
      return;
    }
    this.pending = data.length > responseEnd ? data.subarray(responseEnd) : undefined;
    const receivedAt = nowMs();
    const status = Number.parseInt(head.slice(9, 12), 10);
    this.inFlight = false;
    const servedBy = { version: headerValue(head, 'x-model-version'), variant: headerValue(head, 'x-model-variant') };
    this.recorder.response(this.sentAt, receivedAt, status, servedBy, () =>
      data.toString('utf8', bodyStart, responseEnd),
    );
    this.send();
  }
}

/** A header's value from a lower-cased response head, or undefined when the header is absent. */
function headerValue(head: string, name: string): string | undefined {
  const at = head.indexOf(`\r\n${name}:`);
  return at < 0 ? undefined : head.slice(at + name.length + 3, head.indexOf('\r\n', at + 2) >>> 0).trim();
}

/** The bodies to send: the one of `bodyFile`, or every non-empty line of `bodiesFile`. */
function bodiesOf(config: LoadConfig): Buffer[] {
  if ((config.bodyFile === undefined) === (config.bodiesFile === undefined)) {
    throw new Error(
      `LoadConfig needs exactly one of bodyFile and bodiesFile (got bodyFile ${config.bodyFile}, bodiesFile ${config.bodiesFile})`,
    );
  }
  if (config.bodyFile !== undefined) return [readFileSync(config.bodyFile)];
  const lines = readFileSync(config.bodiesFile as string, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  if (lines.length === 0) throw new Error(`bodiesFile ${config.bodiesFile} holds no request body`);
  return lines.map((line) => Buffer.from(line, 'utf8'));
}

/** A whole keep-alive POST of `body`, serialised once so the hot path only writes bytes. */
function requestBytes(config: LoadConfig, body: Buffer): Buffer {
  const head =
    `POST ${config.path} HTTP/1.1\r\nHost: ${config.host}:${config.port}\r\nContent-Type: ${config.contentType}\r\n` +
    `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]) as LoadConfig;
  const requests = bodiesOf(config).map((body) => requestBytes(config, body));
  let sent = 0;
  // One counter shared by every connection, so consecutive requests carry consecutive bodies.
  const nextRequest = () => requests[sent++ % requests.length];
  const recorder = new Recorder(config);
  let running = true;
  let idleConnections = 0;
  let allIdle: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    allIdle = resolve;
  });
  const connections: Connection[] = [];
  const onIdle = () => {
    idleConnections++;
    if (idleConnections === connections.length) allIdle();
  };
  for (let index = 0; index < config.connections; index++) {
    connections.push(new Connection(nextRequest, config, recorder, () => running, onIdle));
  }
  connections.forEach((connection) => connection.start());

  await new Promise((resolve) => setTimeout(resolve, config.warmupMs));
  recorder.phase = 'window';
  recorder.windowStart = nowMs();
  const cpuBefore = process.cpuUsage();
  if (config.durationMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, config.durationMs));
  } else {
    await new Promise<void>((resolve) => {
      let text = '';
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('stop')) resolve();
      });
      process.stdin.on('end', () => resolve());
    });
  }
  recorder.phase = 'drain';
  recorder.windowEnd = nowMs();
  const cpu = process.cpuUsage(cpuBefore);
  running = false;
  for (const connection of connections) if (connection.stopIfIdle()) onIdle();
  // Requests still running get a few seconds to finish: counted in `answered` only, the window is closed.
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS))]);
  connections.forEach((connection) => connection.close());

  if (config.timelineFile) {
    const bytes = recorder.timeline.subarray(0, recorder.timelineLength);
    writeFileSync(config.timelineFile, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  const sorted = Float64Array.from(recorder.latencies).sort();
  const measuredSeconds = (recorder.windowEnd - recorder.windowStart) / 1000;
  const errors = Object.values(recorder.errorsByKind).reduce((sum, count) => sum + count, 0);
  const summary: LoadSummary = {
    connections: config.connections,
    measuredSeconds,
    responses: sorted.length,
    requestsPerSecond: sorted.length / measuredSeconds,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
    errors,
    errorsByKind: recorder.errorsByKind,
    errorsOutsideWindow: recorder.errorsOutsideWindow,
    sampleErrors: recorder.sampleErrors,
    checkedBodies: recorder.checked,
    responsesByVersion: recorder.byVersion,
    responsesByVariant: recorder.byVariant,
    answered: recorder.answered,
    unanswered: connections.reduce((sum, connection) => sum + connection.unanswered, 0),
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
