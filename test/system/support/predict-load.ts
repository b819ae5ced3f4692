import { performance } from 'node:perf_hooks';

/** One `/predict` call as the load generator saw it; times are `performance.now()` milliseconds. */
export interface PredictSample {
  replica: string;
  sentAt: number;
  receivedAt: number;
  /** HTTP status, or 0 when no answer came (connection refused, reset, timed out). */
  status: number;
  /** `model.version` of a 200 answer. */
  version?: string;
  error?: string;
}

export interface PredictLoadOptions {
  /** Requests in flight at once against each replica. */
  concurrencyPerReplica: number;
  /** Pause of each worker between its answer and its next request: keeps the load light and bounded. */
  pauseMs: number;
  /** Hard cap on the requests sent in all; the workers stop when it is reached. */
  maxRequests: number;
  /** Time limit of one request. */
  timeoutMs: number;
}

/**
 * Keeps sending one customer to `POST /predict` on every replica from a few workers each, until
 * {@link stop}, recording every answer. Bounded by `maxRequests`, so a forgotten stop cannot flood
 * a shared machine.
 */
export class PredictLoad {
  readonly samples: PredictSample[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private sent = 0;

  constructor(
    private readonly replicas: readonly string[],
    private readonly customer: Record<string, unknown>,
    private readonly options: PredictLoadOptions,
  ) {}

  /** True when the cap stopped the workers before {@link stop} did. */
  get capped(): boolean {
    return this.sent >= this.options.maxRequests;
  }

  start(): void {
    this.running = true;
    this.workers = this.replicas.flatMap((replica) =>
      Array.from({ length: this.options.concurrencyPerReplica }, () => this.work(replica)),
    );
  }

  /** Stops sending, waits for the requests in flight, and returns every sample. */
  async stop(): Promise<PredictSample[]> {
    this.running = false;
    await Promise.all(this.workers);
    return this.samples;
  }

  /** Samples of one replica, in the order they were sent. */
  of(replica: string): PredictSample[] {
    return this.samples.filter((sample) => sample.replica === replica).sort((a, b) => a.sentAt - b.sentAt);
  }

  private async work(replica: string): Promise<void> {
    const body = JSON.stringify(this.customer);
    while (this.running && this.sent < this.options.maxRequests) {
      this.sent++;
      const sentAt = performance.now();
      try {
        const response = await fetch(`${replica}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        const text = await response.text();
        const receivedAt = performance.now();
        const sample: PredictSample = { replica, sentAt, receivedAt, status: response.status };
        if (response.status === 200)
          sample.version = (JSON.parse(text) as { model: { version: string } }).model.version;
        else sample.error = text.slice(0, 300);
        this.samples.push(sample);
      } catch (error) {
        this.samples.push({
          replica,
          sentAt,
          receivedAt: performance.now(),
          status: 0,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
      await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
  }
}
