import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { MlflowClient } from '@churn/mlflow-client';

import type { InferenceApiConfig } from '../config/inference-api.config';
import { ServingMetricsService } from '../metrics/serving-metrics.service';
import { ModelCache } from '../model/model-cache';
import { loadModelVersion } from '../model/model-loader';
import { ModelSlot, type RefreshTrigger, type SlotStatus } from '../model/model-slot';

/** Start-up retries while nothing is loaded: 250 ms doubling to 10 s. */
const STARTUP_BACKOFF = { initialMs: 250, maxMs: 10_000 };

/**
 * Owns the model slots of this process and keeps them current: a watch loop per slot (start-up
 * retries with back-off, then polling every POLL_INTERVAL_MS unless 0), plus `reload` for pushes
 * (admin endpoint, MLflow webhook). The configured MODEL_ALIAS is the default slot; champion /
 * challenger routing adds slots with `addSlot`.
 */
@Injectable()
export class ModelSlotsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ModelSlotsService.name);
  private readonly slots = new Map<string, ModelSlot>();
  private readonly watchers = new Map<string, { stop: () => void; done: Promise<void> }>();
  private readonly cache: ModelCache;
  readonly modelName: string;
  readonly defaultAlias: string;
  private readonly pollIntervalMs: number;
  private running = false;

  constructor(
    @Inject(MlflowClient) private readonly client: MlflowClient,
    private readonly metrics: ServingMetricsService,
    config: ConfigService<InferenceApiConfig, true>,
  ) {
    this.modelName = config.get('MODEL_NAME', { infer: true });
    this.defaultAlias = config.get('MODEL_ALIAS', { infer: true });
    this.pollIntervalMs = config.get('POLL_INTERVAL_MS', { infer: true });
    this.cache = new ModelCache(
      client,
      config.get('MODEL_CACHE_DIR', { infer: true }),
      config.get('MODEL_CACHE_MAX_VERSIONS', { infer: true }),
    );
    this.addSlot(this.defaultAlias);
  }

  onApplicationBootstrap(): void {
    this.running = true;
    for (const alias of this.slots.keys()) this.watch(alias);
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    for (const watcher of this.watchers.values()) watcher.stop();
    await Promise.all([...this.watchers.values()].map((watcher) => watcher.done));
    for (const slot of this.slots.values()) slot.close();
  }

  /** The slot of the configured alias: what requests without routing get. */
  get defaultSlot(): ModelSlot {
    return this.slots.get(this.defaultAlias) as ModelSlot;
  }

  slot(alias: string): ModelSlot | undefined {
    return this.slots.get(alias);
  }

  allSlots(): ModelSlot[] {
    return [...this.slots.values()];
  }

  /** Adds (or returns) the slot of an alias of the served model; watched from bootstrap, or at once when added later. */
  addSlot(alias: string): ModelSlot {
    const existing = this.slots.get(alias);
    if (existing) return existing;
    const slot = new ModelSlot(this.modelName, alias, {
      resolveVersion: (name, slotAlias) => this.client.modelVersions.getByAlias({ name, alias: slotAlias }),
      loadVersion: (version, slotAlias) =>
        loadModelVersion(version, slotAlias, { client: this.client, cache: this.cache }),
      events: {
        swapped: (changed, from, to, trigger) => {
          this.metrics.recordSwap(changed, to, trigger);
          this.logger.log(
            `${changed.name}@${changed.alias}: now serving v${to.ref.version}${from ? ` (was v${from.ref.version})` : ''}, loaded in ${Math.round(to.info.loadMs)} ms after ${trigger}; ${to.info.cacheNote}`,
          );
          // A copy refused leaves a correct but slower server: worth a warning, not an error.
          for (const note of to.info.servingCopyNotes)
            this.logger.warn(`${changed.name}@${changed.alias} v${to.ref.version}: ${note}`);
          void this.evictCache();
        },
        loadFailed: (changed, failure) => {
          this.metrics.recordFailure(changed, failure);
          this.logger.error(
            `${changed.name}@${changed.alias}: v${failure.version} not swapped in (${failure.stage}): ${failure.message}; retry after ${failure.retryAt?.toISOString()}`,
          );
        },
        resolveFailed: (changed, failure) => {
          this.metrics.recordFailure(changed, failure);
          this.logger.warn(
            `${changed.name}@${changed.alias}: ${failure.message}${changed.current ? `; still serving v${changed.current.ref.version}` : ''}`,
          );
        },
      },
    });
    this.slots.set(alias, slot);
    if (this.running) this.watch(alias);
    return slot;
  }

  /**
   * Stops watching an alias and retires its version once the requests holding it finish (an
   * experiment's alias deleted in MLflow). The default slot is never removed.
   */
  async removeSlot(alias: string): Promise<void> {
    const slot = this.slots.get(alias);
    if (!slot || alias === this.defaultAlias) return;
    this.slots.delete(alias);
    const watcher = this.watchers.get(alias);
    this.watchers.delete(alias);
    watcher?.stop();
    await watcher?.done;
    slot.close();
  }

  /**
   * Re-resolves the slots of `name` (all of them, or only `alias`) now and waits for the result.
   * @returns the status of each refreshed slot; empty when this process serves no such model/alias
   */
  async reload(name: string, alias: string | undefined, trigger: RefreshTrigger): Promise<SlotStatus[]> {
    if (name !== this.modelName) return [];
    const targets =
      alias === undefined
        ? this.allSlots()
        : [this.slots.get(alias)].filter((slot): slot is ModelSlot => slot !== undefined);
    return Promise.all(targets.map((slot) => slot.refresh(trigger)));
  }

  private watch(alias: string): void {
    if (this.watchers.has(alias)) return;
    const slot = this.slots.get(alias) as ModelSlot;
    let stopped = false;
    let wake: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, ms);
      });
    const done = (async () => {
      let attempt = 0;
      while (!stopped) {
        const status = await slot.refresh(attempt === 0 && !slot.current ? 'startup' : 'poll');
        if (stopped) break;
        if (status.state === 'ready') {
          attempt = 0;
          if (this.pollIntervalMs === 0) break;
          await sleep(this.pollIntervalMs);
        } else {
          attempt++;
          await sleep(Math.min(STARTUP_BACKOFF.initialMs * 2 ** (attempt - 1), STARTUP_BACKOFF.maxMs));
        }
      }
    })();
    this.watchers.set(alias, {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
        wake?.();
      },
      done,
    });
  }

  private async evictCache(): Promise<void> {
    const inUse = new Set(this.allSlots().flatMap((slot) => (slot.current ? [slot.current.info.cacheDir] : [])));
    try {
      const evicted = await this.cache.evict(inUse);
      if (evicted.length > 0) this.logger.log(`model cache: removed ${evicted.join(', ')}`);
    } catch (error) {
      this.logger.warn(`model cache eviction failed: ${(error as Error).message}`);
    }
  }
}
