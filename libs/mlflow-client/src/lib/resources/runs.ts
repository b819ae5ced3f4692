import { randomUUID } from 'node:crypto';

import { MlflowArgumentError, MlflowConnectionError, MlflowTimeoutError } from '../core/errors';
import { Paginated, type Page } from '../core/pagination';
import { API } from '../core/paths';
import { tagList, type Tag, type TagsInput } from '../core/tags';
import type { MlflowTransport } from '../core/transport';

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** MLflow's RunInfo message. `artifact_uri` is `mlflow-artifacts:/<experiment>/<run>/artifacts` on a proxying server. */
export interface RunInfo {
  run_id: string;
  run_uuid?: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: RunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage?: 'active' | 'deleted';
}

/** A metric value at a step; `timestamp` in milliseconds since the epoch. */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface Param {
  key: string;
  value: string;
}

/** MLflow's Run message. `data.metrics` holds the latest value of each metric. */
export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: Param[]; tags?: Tag[] };
  inputs?: unknown;
  outputs?: unknown;
}

export interface CreateRunParams {
  experiment_id: string;
  run_name?: string;
  /** Milliseconds since the epoch; now by default. */
  start_time?: number;
  tags?: TagsInput;
}

export interface UpdateRunParams {
  run_id: string;
  status?: RunStatus;
  end_time?: number;
  run_name?: string;
}

export interface SearchRunsParams {
  experiment_ids: string[];
  filter?: string;
  order_by?: string[];
  run_view_type?: ViewType;
  /** Page size. */
  max_results?: number;
}

/** A metric to log; `timestamp` defaults to now and `step` to 0. */
export interface MetricInput {
  key: string;
  value: number;
  timestamp?: number;
  step?: number;
}

export interface LogBatchParams {
  run_id: string;
  metrics?: readonly MetricInput[];
  params?: readonly Param[] | Record<string, string>;
  tags?: TagsInput;
}

/**
 * MLflow's limits for one `runs/log-batch` call (mlflow/utils/validation.py:
 * MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH, MAX_ENTITIES_PER_BATCH).
 */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, entities: 1000 } as const;

/** The tag by which `Runs.create` with `retrySafely` recognises a run whose answer was lost. */
export const CREATE_KEY_TAG = 'mlflow_client.create_key';

/** `/api/2.0/mlflow/runs/*` */
export class Runs {
  constructor(private readonly transport: MlflowTransport) {}

  /**
   * Creates a run. MLflow's `runs/create` is not idempotent, so by default a lost answer is not
   * retried. With `retrySafely`, the run carries a fresh {@link CREATE_KEY_TAG}; after a broken
   * connection the client waits its backoff and looks for a run with that key (the server may have
   * made it before the connection broke), and sends the create again only when there is none and
   * retries remain. A timed-out attempt is never repeated: the server may still be making that run.
   * @throws MlflowConnectionError when the last attempt's answer was lost and no run has its key, or
   *   when the search for it failed, whatever its error (its cause; nothing is sent again, since the
   *   run may exist)
   */
  async create(params: CreateRunParams, options: { retrySafely?: boolean } = {}): Promise<Run> {
    if (!options.retrySafely) return this.createOnce(params);
    const key = randomUUID();
    const keyed: CreateRunParams = {
      ...params,
      start_time: params.start_time ?? Date.now(),
      tags: [...tagList(params.tags), { key: CREATE_KEY_TAG, value: key }],
    };
    for (let attempt = 0; ; attempt++) {
      let lost: MlflowConnectionError;
      try {
        return await this.createOnce(keyed);
      } catch (error) {
        if (!(error instanceof MlflowConnectionError) || error instanceof MlflowTimeoutError) throw error;
        lost = error;
      }
      await this.transport.waitBeforeRetry(attempt);
      const made = await this.findByCreateKey(params.experiment_id, key, lost);
      if (made) return made;
      if (attempt >= this.transport.maxRetries) throw lost;
    }
  }

  /** The run created with `key`, if any; a failed search is reported as part of the `lost` create. */
  private async findByCreateKey(
    experimentId: string,
    key: string,
    lost: MlflowConnectionError,
  ): Promise<Run | undefined> {
    try {
      const page = await this.searchPage({
        experiment_ids: [experimentId],
        filter: `tags.\`${CREATE_KEY_TAG}\` = '${key}'`,
        max_results: 1,
      });
      return page.items[0];
    } catch (searchError) {
      throw new MlflowConnectionError(
        `${lost.message}; the search for the run it may have made failed too, so it was not sent again: ${(searchError as Error).message}`,
        { request: lost.request, cause: searchError },
      );
    }
  }

  private async createOnce(params: CreateRunParams): Promise<Run> {
    const body = await this.transport.json<{ run: Run }>({
      method: 'POST',
      path: `${API}/runs/create`,
      json: {
        experiment_id: params.experiment_id,
        run_name: params.run_name,
        start_time: params.start_time ?? Date.now(),
        tags: tagList(params.tags),
      },
    });
    return body.run;
  }

  /** Sets status, end time or name; e.g. `{ run_id, status: 'FINISHED', end_time: Date.now() }`. */
  async update(params: UpdateRunParams): Promise<RunInfo> {
    const body = await this.transport.json<{ run_info: RunInfo }>({
      method: 'POST',
      path: `${API}/runs/update`,
      json: params,
      idempotent: true,
    });
    return body.run_info;
  }

  /** @throws ResourceDoesNotExistError when no run has this id */
  async get(runId: string): Promise<Run> {
    const body = await this.transport.json<{ run: Run }>({
      method: 'GET',
      path: `${API}/runs/get`,
      query: { run_id: runId },
    });
    return body.run;
  }

  /** All runs matching the search, fetched page by page as iterated. */
  search(params: SearchRunsParams): Paginated<Run> {
    return new Paginated((page_token) => this.searchPage({ ...params, page_token }));
  }

  /** One page of a run search; pass the previous page's `next_page_token` to continue. */
  async searchPage(params: SearchRunsParams & { page_token?: string }): Promise<Page<Run>> {
    const body = await this.transport.json<{ runs?: Run[]; next_page_token?: string }>({
      method: 'POST',
      path: `${API}/runs/search`,
      json: params,
      // A search reads only; MLflow uses POST for the long filter strings.
      idempotent: true,
    });
    return { items: body.runs ?? [], next_page_token: body.next_page_token };
  }

  /**
   * Logs metrics, params and tags, split into as many `log-batch` calls as MLflow's limits need
   * ({@link LOG_BATCH_LIMITS}). Calls go one after another; a failure stops the rest.
   * @throws MlflowArgumentError naming the metric when a value is not a finite number (JSON cannot carry NaN or ±Infinity)
   */
  async logBatch(params: LogBatchParams): Promise<void> {
    const now = Date.now();
    const metrics = (params.metrics ?? []).map((metric, index) => {
      if (typeof metric.value !== 'number' || !Number.isFinite(metric.value)) {
        throw new MlflowArgumentError(
          `metrics[${index}] '${metric.key}': value must be a finite number; got ${metric.value}`,
        );
      }
      return { key: metric.key, value: metric.value, timestamp: metric.timestamp ?? now, step: metric.step ?? 0 };
    });
    const batches = splitLogBatch(metrics, tagList(params.params as TagsInput | undefined), tagList(params.tags));
    for (const batch of batches) {
      await this.transport.json({
        method: 'POST',
        path: `${API}/runs/log-batch`,
        json: { run_id: params.run_id, ...batch },
      });
    }
  }

  /** Logs one metric value. `timestamp` defaults to now and `step` to 0. */
  async logMetric(params: { run_id: string } & MetricInput): Promise<void> {
    if (!Number.isFinite(params.value))
      throw new MlflowArgumentError(`metric '${params.key}': value must be a finite number; got ${params.value}`);
    await this.transport.json({
      method: 'POST',
      path: `${API}/runs/log-metric`,
      json: {
        run_id: params.run_id,
        key: params.key,
        value: params.value,
        timestamp: params.timestamp ?? Date.now(),
        step: params.step ?? 0,
      },
    });
  }

  /** Logs one parameter. MLflow refuses to change a logged value (InvalidParameterValueError). */
  async logParameter(params: { run_id: string; key: string; value: string }): Promise<void> {
    await this.transport.json({ method: 'POST', path: `${API}/runs/log-parameter`, json: params, idempotent: true });
  }

  async setTag(params: { run_id: string; key: string; value: string }): Promise<void> {
    await this.transport.json({ method: 'POST', path: `${API}/runs/set-tag`, json: params, idempotent: true });
  }
}

export interface LogBatchChunk {
  metrics: Array<Required<MetricInput>>;
  params: Param[];
  tags: Tag[];
}

/**
 * Packs metrics, params and tags into as few `log-batch` bodies as MLflow's limits allow: per body
 * at most 100 params, 100 tags, 1000 metrics and 1000 entities in all. Params and tags go first so
 * that a run's configuration lands in the earliest calls. Inputs are not modified.
 */
export function splitLogBatch(
  metrics: ReadonlyArray<Required<MetricInput>>,
  params: readonly Param[],
  tags: readonly Tag[],
): LogBatchChunk[] {
  const chunks: LogBatchChunk[] = [];
  let m = 0;
  let p = 0;
  let t = 0;
  while (m < metrics.length || p < params.length || t < tags.length) {
    const chunkParams = params.slice(p, p + LOG_BATCH_LIMITS.params);
    const chunkTags = tags.slice(t, t + LOG_BATCH_LIMITS.tags);
    const room = Math.min(LOG_BATCH_LIMITS.metrics, LOG_BATCH_LIMITS.entities - chunkParams.length - chunkTags.length);
    const chunkMetrics = metrics.slice(m, m + room);
    chunks.push({ metrics: chunkMetrics, params: chunkParams, tags: chunkTags });
    p += chunkParams.length;
    t += chunkTags.length;
    m += chunkMetrics.length;
  }
  return chunks;
}
