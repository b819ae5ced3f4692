/**
 * A model slot: one alias of one registered model, and the version it currently serves.
 *
 * - `current` is swapped by a single reference assignment once a new version is downloaded,
 *   checked and warmed; requests lease the version they start with, so in-flight requests finish
 *   on it and its session is freed after the last one.
 * - Triggers (polling, admin push, webhook) all call `refresh`, which resolves the alias and makes
 *   that version current. Loads are single-flight: a trigger for the version already loading waits
 *   for that load instead of starting another; a newer target is loaded after the running one.
 * - A version that fails (download, MLmodel, session, contract, warm-up) is not swapped in; it is
 *   not retried before its back-off ends (doubling per failure), so a broken version promoted to
 *   the alias costs one attempt per back-off period, not one per poll.
 * - Several slots (production, champion, challenger) are just several instances.
 */
import { AliasNotFoundError, type ModelVersion } from '@churn/mlflow-client';

import type { LoadedModel } from './loaded-model';
import { ModelLoadError, ModelNotReadyError, type ModelLoadStage } from './model-errors';

export type RefreshTrigger = 'startup' | 'poll' | 'admin' | 'webhook';

/** A failed attempt, as `/ready` shows it. */
export interface SlotFailure {
  /** The version that failed; absent when the alias itself could not be resolved. */
  version: string | undefined;
  stage: ModelLoadStage;
  message: string;
  at: Date;
  /** When this version will be tried again. */
  retryAt: Date | undefined;
}

export interface SlotStatus {
  name: string;
  alias: string;
  state: 'ready' | 'starting' | 'unavailable';
  /** The version serving requests. */
  version: string | null;
  loadedAt: Date | null;
  /** The version the alias pointed to at the last successful resolve. */
  aliasVersion: string | null;
  lastResolvedAt: Date | null;
  /** A load in progress. */
  loadingVersion: string | null;
  lastError: SlotFailure | null;
}

export interface ModelSlotDeps {
  resolveVersion(name: string, alias: string): Promise<ModelVersion>;
  loadVersion(version: ModelVersion, alias: string): Promise<LoadedModel>;
  /** Told of every swap and failure (metrics, logs, cache eviction). */
  events?: ModelSlotEvents;
  /** Back-off before a failed version is tried again: `initialMs · 2^(failures − 1)`, at most `maxMs`. */
  failureBackoff?: { initialMs: number; maxMs: number };
  now?: () => number;
}

export interface ModelSlotEvents {
  swapped?(slot: ModelSlot, from: LoadedModel | undefined, to: LoadedModel, trigger: RefreshTrigger): void;
  loadFailed?(slot: ModelSlot, failure: SlotFailure, trigger: RefreshTrigger): void;
  resolveFailed?(slot: ModelSlot, failure: SlotFailure, trigger: RefreshTrigger): void;
}

interface VersionFailure {
  count: number;
  retryAtMs: number;
  failure: SlotFailure;
}

const DEFAULT_FAILURE_BACKOFF = { initialMs: 5_000, maxMs: 300_000 };

export class ModelSlot {
  private live: LoadedModel | undefined;
  private target: ModelVersion | undefined;
  private targetTrigger: RefreshTrigger = 'startup';
  private loop: Promise<void> | undefined;
  private loadingVersion: string | undefined;
  private readonly failures = new Map<string, VersionFailure>();
  private lastError: SlotFailure | undefined;
  private aliasVersion: string | undefined;
  private lastResolvedAt: Date | undefined;
  private closed = false;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    readonly alias: string,
    private readonly deps: ModelSlotDeps,
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** The version serving now, or undefined before the first successful load. */
  get current(): LoadedModel | undefined {
    return this.live;
  }

  /**
   * Leases the current version for one request; call `release()` on it when done.
   * @throws {ModelNotReadyError} when nothing is loaded
   */
  acquire(): LoadedModel {
    const model = this.live;
    if (!model)
      throw new ModelNotReadyError(
        `no version of ${this.name}@${this.alias} is loaded yet${this.lastError ? ` (last error: ${this.lastError.message})` : ''}`,
      );
    return model.acquire();
  }

  /** Resolves the alias and makes its version current. Never throws; the outcome is in the status. */
  async refresh(trigger: RefreshTrigger): Promise<SlotStatus> {
    let version: ModelVersion;
    try {
      version = await this.deps.resolveVersion(this.name, this.alias);
    } catch (error) {
      const failure: SlotFailure = {
        version: undefined,
        stage: 'resolve',
        message:
          error instanceof AliasNotFoundError
            ? `registered model '${this.name}' has no alias '${this.alias}'`
            : `cannot resolve ${this.name}@${this.alias}: ${(error as Error).message}`,
        at: new Date(this.now()),
        retryAt: undefined,
      };
      this.lastError = failure;
      this.deps.events?.resolveFailed?.(this, failure, trigger);
      return this.status();
    }
    this.aliasVersion = version.version;
    this.lastResolvedAt = new Date(this.now());
    await this.ensure(version, trigger);
    if (this.live?.ref.version === version.version) this.lastError = undefined;
    return this.status();
  }

  /** Makes `version` current unless it already is; joins a running load instead of starting another. */
  async ensure(version: ModelVersion, trigger: RefreshTrigger): Promise<void> {
    if (this.closed) return;
    this.target = version;
    this.targetTrigger = trigger;
    this.loop ??= this.runLoads().finally(() => {
      this.loop = undefined;
    });
    await this.loop;
  }

  status(): SlotStatus {
    const live = this.live;
    return {
      name: this.name,
      alias: this.alias,
      state: live ? 'ready' : this.lastError ? 'unavailable' : 'starting',
      version: live?.ref.version ?? null,
      loadedAt: live?.info.loadedAt ?? null,
      aliasVersion: this.aliasVersion ?? null,
      lastResolvedAt: this.lastResolvedAt ?? null,
      loadingVersion: this.loadingVersion ?? null,
      lastError: this.lastError ?? null,
    };
  }

  /** Stops loading and frees the current version once its last request ends. */
  close(): void {
    this.closed = true;
    this.live?.retire();
    this.live = undefined;
  }

  private async runLoads(): Promise<void> {
    while (!this.closed && this.target && this.target.version !== this.live?.ref.version) {
      const version = this.target;
      const trigger = this.targetTrigger;
      const previousFailure = this.failures.get(version.version);
      if (previousFailure && this.now() < previousFailure.retryAtMs) {
        this.lastError = previousFailure.failure;
        return;
      }
      this.loadingVersion = version.version;
      let model: LoadedModel;
      try {
        model = await this.deps.loadVersion(version, this.alias);
      } catch (error) {
        this.recordFailure(version.version, error, previousFailure, trigger);
        return;
      } finally {
        this.loadingVersion = undefined;
      }
      if (this.closed || this.target?.version !== version.version) {
        // The alias moved on while this version loaded; serving it now would be a step backwards.
        model.retire();
        continue;
      }
      this.failures.delete(version.version);
      const previous = this.live;
      this.live = model;
      previous?.retire();
      this.deps.events?.swapped?.(this, previous, model, trigger);
    }
  }

  private recordFailure(
    version: string,
    error: unknown,
    previous: VersionFailure | undefined,
    trigger: RefreshTrigger,
  ): void {
    const backoff = this.deps.failureBackoff ?? DEFAULT_FAILURE_BACKOFF;
    const count = (previous?.count ?? 0) + 1;
    const retryAtMs = this.now() + Math.min(backoff.initialMs * 2 ** (count - 1), backoff.maxMs);
    const failure: SlotFailure = {
      version,
      stage: error instanceof ModelLoadError ? error.stage : 'session',
      message: (error as Error).message,
      at: new Date(this.now()),
      retryAt: new Date(retryAtMs),
    };
    this.failures.set(version, { count, retryAtMs, failure });
    this.lastError = failure;
    this.deps.events?.loadFailed?.(this, failure, trigger);
  }
}
