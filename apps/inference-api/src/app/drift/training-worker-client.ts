/**
 * The two calls inference-api makes to training-worker when drift persists: find a job by its
 * idempotency key, and start a retraining job (`POST /jobs`, DESIGN.md's wiring table).
 */

/** training-worker answered with an error, or could not be reached; the message says which. */
export class TrainingWorkerError extends Error {
  override readonly name = 'TrainingWorkerError';
}

export interface RetrainingJobRequest {
  data?: string;
  model_name: string;
  idempotency_key: string;
}

export interface StartedJob {
  id: string;
  /** false when training-worker returned an earlier job with the same idempotency key. */
  created: boolean;
}

const TIMEOUT_MS = 10_000;

export class TrainingWorkerClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /**
   * The newest job (among the last 100 of the worker's default experiment) with this idempotency key.
   * @throws {TrainingWorkerError}
   */
  async findJob(idempotencyKey: string): Promise<{ id: string } | undefined> {
    const body = (await this.call('GET', '/jobs?limit=100')) as {
      jobs?: { id: string; options?: { idempotency_key?: string | null } | null }[];
    };
    const job = (body.jobs ?? []).find((candidate) => candidate.options?.idempotency_key === idempotencyKey);
    return job === undefined ? undefined : { id: job.id };
  }

  /** @throws {TrainingWorkerError} */
  async startJob(request: RetrainingJobRequest): Promise<StartedJob> {
    const { status, body } = await this.callWithStatus('POST', '/jobs', request);
    return { id: (body as { id: string }).id, created: status === 202 };
  }

  private async call(method: string, path: string, payload?: unknown): Promise<unknown> {
    return (await this.callWithStatus(method, path, payload)).body;
  }

  private async callWithStatus(
    method: string,
    path: string,
    payload?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new TrainingWorkerError(`training-worker at ${this.baseUrl} is unreachable: ${(error as Error).message}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    if (!response.ok) {
      const message =
        typeof body === 'object' && body !== null && 'message' in body
          ? String((body as { message: unknown }).message)
          : text.slice(0, 200);
      throw new TrainingWorkerError(`training-worker ${method} ${path} answered ${response.status}: ${message}`);
    }
    return { status: response.status, body };
  }
}

/**
 * POSTs `payload` as JSON to a webhook.
 * @returns the HTTP status
 * @throws {Error} when the receiver cannot be reached or answers with an error status
 */
export async function postWebhook(url: string, payload: unknown, fetchImpl: typeof fetch = fetch): Promise<number> {
  const response = await fetchImpl(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
  return response.status;
}
