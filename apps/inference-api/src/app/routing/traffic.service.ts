import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { MlflowClient } from '@churn/mlflow-client';

import type { InferenceApiConfig } from '../config/inference-api.config';
import { ServingMetricsService } from '../metrics/serving-metrics.service';
import type { FeatureBatch, FeatureBatchBuilder } from '../model/feature-batch';
import type { ModelSlot } from '../model/model-slot';
import type { ShadowScore } from '../observation/prediction-observer';
import { ModelSlotsService } from '../slots/model-slots.service';
import type { Route } from './route';
import { featureBatchBytes, ShadowScorer } from './shadow-scorer';
import {
  CHALLENGER_ALIAS,
  CHAMPION_ALIAS,
  noTraffic,
  sameTraffic,
  trafficSettingsOf,
  type TrafficSettings,
} from './traffic-settings';
import { assignmentBucket, isChallengerBucket } from './variant-assignment';

/** How often the settings are re-read when alias polling is off (POLL_INTERVAL_MS=0) but a read failed. */
const RETRY_MS = 5_000;

/**
 * Champion/challenger routing. Reads the served model's traffic tags and aliases from MLflow (at
 * start, every POLL_INTERVAL_MS, and on every push or webhook), keeps the champion and challenger
 * loaded while an experiment is on, and decides per request which slot answers and whether the
 * challenger shadows it. Nothing is stored per user: the split is a hash, so every replica and every
 * restart agrees.
 */
@Injectable()
export class TrafficService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TrafficService.name);
  readonly modelName: string;
  private readonly pollIntervalMs: number;
  private readonly shadow: ShadowScorer;
  private current: TrafficSettings;
  private lastError: string | undefined;
  private refreshing: Promise<TrafficSettings> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    @Inject(MlflowClient) private readonly client: MlflowClient,
    private readonly slots: ModelSlotsService,
    private readonly metrics: ServingMetricsService,
    config: ConfigService<InferenceApiConfig, true>,
  ) {
    this.modelName = slots.modelName;
    this.pollIntervalMs = config.get('POLL_INTERVAL_MS', { infer: true });
    this.current = noTraffic(this.modelName);
    this.shadow = new ShadowScorer(
      config.get('SHADOW_QUEUE_SIZE', { infer: true }),
      (outcome, error) => {
        this.metrics.shadowRequests.inc({ outcome });
        if (error) this.logger.warn(`shadow scoring failed: ${error.message}`);
      },
      config.get('SHADOW_QUEUE_BYTES', { infer: true }),
    );
  }

  onApplicationBootstrap(): void {
    void this.loop();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.shadow.close();
  }

  get settings(): TrafficSettings {
    return this.current;
  }

  /**
   * Re-reads the settings now (coalesced with a read already running) and loads or unloads the
   * experiment's slots to match. A failed read keeps the last settings: an MLflow outage must not
   * end an experiment.
   */
  refresh(): Promise<TrafficSettings> {
    this.refreshing ??= this.read().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * The slot, variant and shadow of a request. Requests without a user id get the default alias
   * (DESIGN.md), except during a rollout (`perRequest`), when they are split by their request id.
   */
  route(userId: string | undefined, requestId?: string): Route {
    const settings = this.current;
    const challenger = this.loadedSlot(CHALLENGER_ALIAS, settings.challengerVersion);
    // The prefix keeps a request id from ever landing in the bucket of the user with the same text.
    const splitKey = userId ?? (settings.perRequest && requestId !== undefined ? `request:${requestId}` : undefined);
    if (splitKey !== undefined && settings.challengerShare !== null) {
      const champion = this.loadedSlot(CHAMPION_ALIAS, settings.championVersion);
      if (champion) {
        // A challenger that failed to load sends its users to the champion; the report's
        // sample-ratio check then shows the skew instead of hiding it.
        if (challenger && isChallengerBucket(assignmentBucket(settings.salt, splitKey), settings.challengerShare)) {
          return {
            slot: challenger,
            variant: 'challenger',
            trafficShare: settings.challengerShare,
            shadowSlot: undefined,
          };
        }
        return {
          slot: champion,
          variant: 'champion',
          trafficShare: settings.challengerShare,
          shadowSlot: settings.shadow ? challenger : undefined,
        };
      }
    }
    return {
      slot: this.slots.defaultSlot,
      variant: 'production',
      trafficShare: null,
      shadowSlot: settings.shadow ? challenger : undefined,
    };
  }

  /**
   * Queues the challenger's score of a request (see {@link ShadowScorer}); its outcome is counted in /metrics.
   * @param served the batch the served version scored: its size stands for what the job holds
   */
  shadowScore(
    slot: ModelSlot,
    prepare: (builder: FeatureBatchBuilder) => FeatureBatch,
    served: FeatureBatch,
  ): Promise<ShadowScore[] | null> {
    return this.shadow.submit(slot, prepare, featureBatchBytes(served));
  }

  private loadedSlot(alias: string, version: string | null): ModelSlot | undefined {
    if (version === null) return undefined;
    const slot = this.slots.slot(alias);
    return slot?.current ? slot : undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.refresh();
      if (this.stopped) return;
      const wait =
        this.lastError !== undefined ? Math.min(RETRY_MS, this.pollIntervalMs || RETRY_MS) : this.pollIntervalMs;
      if (wait === 0) return;
      await new Promise<void>((resolve) => {
        this.timer = setTimeout(resolve, wait);
        this.timer.unref();
      });
    }
  }

  private async read(): Promise<TrafficSettings> {
    let next: TrafficSettings;
    try {
      next = trafficSettingsOf(await this.client.registeredModels.get(this.modelName));
      if (this.lastError !== undefined) this.logger.log(`traffic settings of ${this.modelName} readable again`);
      this.lastError = undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (this.lastError !== message)
        this.logger.warn(`cannot read traffic settings of ${this.modelName}; keeping the last ones: ${message}`);
      this.lastError = message;
      return this.current;
    }
    if (!sameTraffic(this.current, next)) {
      this.logger.log(
        `traffic of ${this.modelName}: challenger_share=${next.challengerShare ?? 'unset'} shadow=${next.shadow} champion=${next.championVersion ?? 'none'} challenger=${next.challengerVersion ?? 'none'}` +
          (next.problems.length > 0 ? `; ignored: ${next.problems.join('; ')}` : ''),
      );
    }
    this.current = next;
    await this.syncSlots(next);
    return next;
  }

  /** Loads the experiment's aliases while one is configured and they exist; unloads them otherwise. */
  private async syncSlots(settings: TrafficSettings): Promise<void> {
    const experimentOn = settings.challengerShare !== null || settings.shadow;
    for (const [alias, version] of [
      [CHAMPION_ALIAS, settings.championVersion],
      [CHALLENGER_ALIAS, settings.challengerVersion],
    ] as const) {
      if (alias === this.slots.defaultAlias) continue;
      if (experimentOn && version !== null) this.slots.addSlot(alias);
      else await this.slots.removeSlot(alias);
    }
  }
}
