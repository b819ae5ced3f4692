import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import {
  MlflowClient,
  MlflowError,
  tagsToRecord,
  TRAFFIC_ALIASES,
  TRAFFIC_TAGS,
  trafficFlagOn,
} from '@churn/mlflow-client';

import { RegistryAdminConfig } from '../config/registry-admin.config';
import { ConflictError, GateRefusedError, RegistryAdminError } from '../errors/registry-errors';
import type { PushResult } from '../push/reload-push.service';
import { AliasAuditStore } from '../registry/alias-audit.store';
import { AliasMovesService } from '../registry/alias-moves.service';
import { ModelRegistryService } from '../registry/model-registry.service';
import { checkReason, parseVersionNumber } from '../registry/request-fields';
import { TrafficChangesService } from '../registry/traffic-changes.service';
import { armTraffic, delta, type MetricsSnapshot } from './replica-figures';
import { ReplicaReader } from './replica-reader';
import { evaluateGuards, stepDecision, type GuardVerdict } from './rollout-guards';
import { heldByAnother, instanceName, LEASE_TAG, RolloutLeases, type Lease } from './rollout-lease';
import {
  RolloutStore,
  type EndClaim,
  type RolloutPlan,
  type RolloutState,
  type RolloutStatus,
  type RolloutStep,
} from './rollout-state';

/** inference-api splits requests without a user id by request id while this tag is `true` (wiring table). */
export const PER_REQUEST_TAG = TRAFFIC_TAGS.perRequest;
const { champion: CHAMPION, challenger: CHALLENGER } = TRAFFIC_ALIASES;
/** How often a step's wait looks for manual alias or traffic changes and for aborts sent to other replicas. */
const WATCH_MS = 500;
/** Beyond two lease times, how long an abort sent to another replica waits for the driver to end the rollout. */
const ABORT_HANDOVER_MS = 10_000;
/**
 * How long a new rollout waits before it looks for a simultaneous start on another replica: longer
 * than a start takes from its `created_at` to its state being readable in MLflow.
 */
const START_SETTLE_MS = 1_000;

export class RolloutNotFoundError extends RegistryAdminError {
  override readonly name = 'RolloutNotFoundError';
  readonly status = 404;

  constructor(model: string, id: string) {
    super(`no rollout ${id} of '${model}'`);
  }
}

/**
 * Ends a rollout's driver: with a revert (`status`); on `shutdown` leaving it to resume; on
 * `handed_off` (ended or taken over by another replica) leaving it to that replica.
 */
class RolloutStop extends Error {
  constructor(
    readonly status: RevertStatus | 'shutdown' | 'handed_off',
    readonly because: string,
  ) {
    super(because);
  }
}

/**
 * A start stopped because its rollout was ended, claimed for an end, taken over by another live
 * replica or is gone ({@link RolloutsService.checkStillStarting}): whoever did that ends it (or has),
 * so the start ends nothing.
 */
class StartTakenOverError extends ConflictError {}

/**
 * How far a start got, which decides how a failure ends its rollout ({@link RolloutsService.endFailedStart}):
 * still racing other starts, gone on (marked, no alias pointed yet), or pointing its aliases.
 */
type StartStage = 'racing' | 'went on' | 'pointing';

/** How a rollout ends other than by its promotion. */
type RevertStatus = Exclude<RolloutStatus, 'running' | 'promoted'>;

/** This replica's lease on a rollout, renewed until `end()`; `lost` resolves once another holds it. */
interface LeaseKeeper {
  lost: Promise<RolloutStop>;
  end: () => void;
}

export interface StartRollout {
  model: string;
  to: string | number;
  plan: RolloutPlan;
  reason?: string | null;
  actor: string;
}

/**
 * Staged rollouts (#19): the candidate becomes `challenger` beside `champion` (production's
 * version), takes each step's share of all traffic (users sticky, anonymous requests split per
 * request), and advances only when every guard passes over the step's window; the last step
 * promotes it. A breach reverts at once (share 0, pushed, challenger cleared, audited).
 *
 * The server drives each rollout in the background; its state lives in MLflow ({@link RolloutStore})
 * and a restarted registry-admin resumes it (restarting the current step's window) or, when the
 * aliases were moved meanwhile, settles it as aborted. One rollout per model at a time. With
 * several replicas, one drives each rollout: the holder of its lease ({@link RolloutLeases}); the
 * others adopt it when the lease lapses.
 */
@Injectable()
export class RolloutsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RolloutsService.name);
  private readonly store: RolloutStore;
  private readonly replicas: ReplicaReader;
  private readonly leases: RolloutLeases;
  private readonly drivers = new Map<
    string,
    { stop: (stop: RolloutStop) => void; done: Promise<void>; stopped: Promise<RolloutStop> }
  >();
  /** How many of this replica's tasks keep each rollout's lease (see {@link keepLease}). */
  private readonly kept = new Map<string, number>();
  /** Names this replica's attempts to end a rollout, so two of its own never both end one. */
  private endAttempts = 0;
  private readonly starting = new Set<string>();
  private shuttingDown = false;
  private resumeRetry: NodeJS.Timeout | undefined;
  private adoptTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly mlflow: MlflowClient,
    private readonly registry: ModelRegistryService,
    private readonly moves: AliasMovesService,
    private readonly traffic: TrafficChangesService,
    private readonly audit: AliasAuditStore,
    @Inject(RegistryAdminConfig) private readonly config: RegistryAdminConfig,
    http: HttpService,
  ) {
    this.store = new RolloutStore(mlflow);
    this.replicas = new ReplicaReader(http, config.INFERENCE_URLS, config.INFERENCE_VIEWER_TOKEN);
    this.leases = new RolloutLeases(mlflow, instanceName(), config.ROLLOUT_LEASE_MS);
  }

  onApplicationBootstrap(): void {
    void this.resumeOnceMlflowAnswers();
  }

  /**
   * Resumes the rollouts left running, retrying with backoff (1 s doubling to 30 s) while MLflow
   * cannot be read: registry-admin may start before MLflow, or while it is down, and a rollout must
   * not stay orphaned because of it. A failure MLflow did not cause is an error; an unreachable or
   * failing MLflow only a warning, since it is expected to come back.
   */
  private async resumeOnceMlflowAnswers(): Promise<void> {
    for (let attempt = 0; !this.shuttingDown; attempt++) {
      try {
        await this.resumeAll();
        this.scheduleAdoption();
        return;
      } catch (error) {
        const delayMs = Math.min(30_000, 1_000 * 2 ** attempt);
        const mlflowDown = error instanceof MlflowError && (error.status === undefined || error.status >= 500);
        const line = `cannot resume rollouts yet (${(error as Error).message}); trying again in ${delayMs / 1000} s`;
        if (mlflowDown) this.logger.warn(line);
        else this.logger.error(line);
        await new Promise<void>((resolve) => {
          this.resumeRetry = setTimeout(resolve, delayMs);
          this.resumeRetry.unref();
        });
      }
    }
  }

  /**
   * Every half lease, takes over the rollouts whose driver died (their lease lapsed); a failed scan
   * is a warning and the next one tries again.
   */
  private scheduleAdoption(): void {
    if (this.shuttingDown) return;
    this.adoptTimer = setTimeout(() => {
      this.resumeAll()
        .catch((error: unknown) => this.logger.warn(`cannot look for orphaned rollouts: ${(error as Error).message}`))
        .finally(() => this.scheduleAdoption());
    }, this.leases.ttlMs / 2);
    this.adoptTimer.unref();
  }

  /** Stops every driver, leaving its rollout running, and releases the leases so another replica resumes it at once. */
  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.resumeRetry) clearTimeout(this.resumeRetry);
    if (this.adoptTimer) clearTimeout(this.adoptTimer);
    const drivers = [...this.drivers.entries()];
    for (const [, driver] of drivers) driver.stop(new RolloutStop('shutdown', 'registry-admin is stopping'));
    await Promise.all(
      drivers.map(async ([id, driver]) => {
        await driver.done;
        if ((await driver.stopped).status !== 'shutdown') return;
        await this.releaseLease(id);
      }),
    );
  }

  /**
   * Runs the promotion gates, sets champion and challenger and starts driving the steps.
   * @throws {GateRefusedError} (audited as refused; the candidate never takes traffic), {ConflictError}
   *   when a rollout of the model is under way or the candidate already serves production, when
   *   the rollout was taken over or ended elsewhere as it started ({@link StartTakenOverError}), or
   *   when its lease lapsed as it started (then ended as failed)
   */
  async start(request: StartRollout): Promise<RolloutState> {
    const to = parseVersionNumber(request.to, 'to');
    const reason = checkReason(request.reason);
    if (this.starting.has(request.model)) throw new ConflictError(`a rollout of '${request.model}' is being started`);
    this.starting.add(request.model);
    try {
      const registered = await this.registry.requireModel(request.model);
      const [active] = await this.store.active(request.model);
      if (active !== undefined)
        throw new ConflictError(
          `rollout ${active.state.id} of '${request.model}' (v${active.state.candidate_version}) is under way; abort it first`,
        );
      const versions = await this.registry.versions(request.model);
      const candidate = this.registry.requireVersion(request.model, versions, to);
      const alias = this.config.MODEL_ALIAS;
      const production = ModelRegistryService.holderOf(registered, alias);
      if (production === null)
        throw new ConflictError(`${request.model}@${alias} is not set: promote a first version instead of rolling out`);
      if (production === to) throw new ConflictError(`${request.model}@${alias} already points at v${to}`);
      const holder = this.registry.requireVersion(request.model, versions, production);
      const gates = await this.registry.gates(candidate, holder, this.config.PROMOTION_MAX_F1_DROP);
      if (gates.some((gate) => !gate.passed)) {
        const refusal = await this.audit.recordFinal(
          {
            model: request.model,
            alias,
            action: 'promote',
            from_version: production,
            to_version: to,
            actor: request.actor,
            reason: `rollout refused before its first step${reason === null ? '' : `: ${reason}`}`,
            forced: false,
            gates,
            rollback_stack: [],
          },
          'refused',
        );
        throw new GateRefusedError(`rollout of ${request.model} to v${to}`, gates, refusal.id);
      }
      const state = await this.store.create(
        {
          ...request.plan,
          model: request.model,
          candidate_version: to,
          champion_version: production,
          actor: request.actor,
          reason,
          status: 'running',
          ended_because: null,
          created_at: new Date().toISOString(),
          ended_at: null,
          revert_ms: null,
          step_results: [],
        },
        { [LEASE_TAG]: this.leases.fresh() },
      );
      // Kept from now on: a start takes longer than START_SETTLE_MS, and a short lease lapsed
      // before the first step when renewals began only with the driver.
      const lease = this.keepLease(state.id);
      let stage: StartStage = 'racing';
      try {
        await this.yieldToEarlierStart(state);
        await this.store.markWentOn(state.id);
        stage = 'went on';
        await this.checkStillStarting(state);
        await this.record(
          state,
          'started',
          `rollout ${state.id} started: v${to} against v${production}, steps ${state.steps.map(percent).join(' → ')} → promote`,
          { gates, plan: request.plan },
        );
        const why = `rollout ${state.id}`;
        stage = 'pointing';
        await this.pointAlias(state, CHAMPION, production, why);
        await this.pointAlias(state, CHALLENGER, to, why);
        await this.mlflow.registeredModels.setTag({ name: state.model, key: PER_REQUEST_TAG, value: 'true' });
      } catch (error) {
        try {
          await this.endFailedStart(state, stage, error);
        } finally {
          lease.end();
        }
        throw error;
      }
      this.launch(state, lease);
      return state;
    } finally {
      this.starting.delete(request.model);
    }
  }

  /**
   * Another replica may have started a rollout of the model at the same moment: the one created
   * first goes on; this one, if later, ends at once (`aborted`, never having taken traffic).
   * MLflow has no compare-and-set, so this reads only after {@link START_SETTLE_MS}: a start not
   * visible by then was created after this one's `created_at` (given clocks within that much), so
   * its replica sees this one as earlier and yields. Reading at once let two starts each see only
   * itself (one CI run of rollout-replicas.e2e answered 201 twice).
   * @throws {ConflictError} naming the rollout that goes on
   */
  private async yieldToEarlierStart(state: RolloutState): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, START_SETTLE_MS));
    const first = await this.firstRunning(state.model);
    if (first === undefined || first.id === state.id) return;
    await this.saveNeverStarted(state, first, null);
    throw new ConflictError(
      `rollout ${first.id} of '${state.model}' (v${first.candidate_version}) is under way; abort it first`,
    );
  }

  /**
   * Stops a start, before it points any alias, whose lease lapsed while MLflow was slow: another
   * replica may have taken the rollout over (and ended it as never gone on, if it read it before
   * markWentOn) or ended it. Not caught: a takeover after this read, and a renewal of the lease
   * held up in MLflow for longer than an acquire's settle (renew reads, then writes), which lands
   * over the adopter's.
   * @throws {StartTakenOverError} when it ended, has an end claimed, is gone or another live replica
   *   holds it: left to that replica; {ConflictError} when its lease lapsed and nobody took it: the
   *   start ends it as failed itself
   */
  private async checkStillStarting(state: RolloutState): Promise<void> {
    const stored = await this.store.read(state.model, state.id);
    const now = Date.now();
    const named = `rollout ${state.id} of '${state.model}'`;
    if (stored === undefined || stored.state.status !== 'running')
      throw new StartTakenOverError(
        stored === undefined
          ? `${named}: its run was deleted while it started; start it again`
          : `${named} was ended (${stored.state.status}) by another registry-admin while it started; start it again`,
      );
    if (stored.endClaim !== null || heldByAnother(stored.lease, this.leases.self, now))
      throw new StartTakenOverError(
        `${named} was taken over by another registry-admin while it started, which ends it; ` +
          `start again once GET /models/${state.model}/rollouts/${state.id} shows it ended`,
      );
    if (stored.lease?.holder !== this.leases.self || stored.lease.expires_at <= now)
      throw new ConflictError(`${named}: its lease lapsed while it started (MLflow slow); start it again`);
  }

  /** The model's running rollout created first (then lowest id): of simultaneous starts, the one that goes on. */
  private async firstRunning(model: string): Promise<RolloutState | undefined> {
    const [first] = (await this.store.active(model))
      .map((entry) => entry.state)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
    return first;
  }

  /**
   * Ends a running rollout whose start never went on ({@link LeasedRollout.wentOn}): it lost the race
   * to another start and then failed to save itself ended, or its replica stopped before the race
   * was decided. It never pointed an alias or took traffic, so it is only saved as ended
   * ({@link saveNeverStarted}). The adoption scan and an abort call this.
   */
  private async endNeverStarted(state: RolloutState, asked: string | null): Promise<void> {
    const first = await this.firstRunning(state.model);
    await this.saveNeverStarted(state, first?.id === state.id ? undefined : first, asked);
    this.logger.warn(`rollout ${state.id} ended as aborted, never having taken traffic: ${state.ended_because}`);
  }

  /**
   * Saves, `aborted`, a rollout that never took traffic: without a claim, a revert or an audit
   * record, since a revert for it would take the traffic of the rollout that goes on.
   * @param goesOn the model's first start, when it is another
   * @param asked the abort asked for it, if any
   */
  private async saveNeverStarted(
    state: RolloutState,
    goesOn: RolloutState | undefined,
    asked: string | null,
  ): Promise<void> {
    const why =
      goesOn === undefined
        ? 'its start stopped before it took traffic'
        : `rollout ${goesOn.id} of the model was started at the same moment`;
    state.status = 'aborted';
    state.ended_because = asked === null ? why : `${asked} (${why})`;
    state.ended_at = new Date().toISOString();
    await this.store.save(state);
  }

  /**
   * Ends, as failed, a rollout whose start failed after creating it (an MLflow error while
   * recording it or pointing its aliases, or its lease lapsing): the caller is told the start
   * failed, so it must not go on or take traffic. Before it set out to point its aliases, it only
   * saves itself ended, touching no traffic (which may be another rollout's, or set by hand): once
   * gone on, under an end claim, since the adoption scan may be ending it too; before, without one,
   * since a claim would have the scan revert traffic that may be another start's. Once it set out
   * to point its aliases, it reverts under a claim. A rollout this replica cannot end (MLflow still
   * failing) is left to the adoption scan, which finishes a claimed end, ends one that never went on
   * without touching traffic ({@link endNeverStarted}), and reverts one that went on but whose
   * aliases or per-request split the start did not set ({@link disturbance}). A start taken over or
   * ended elsewhere ({@link StartTakenOverError}) ends nothing here.
   * @param stage how far the start got
   */
  private async endFailedStart(state: RolloutState, stage: StartStage, error: unknown): Promise<void> {
    // Lost the start race: saved as aborted (had that save failed, it is running and the scan ends it so).
    if (state.status !== 'running') return;
    // Taken over or ended elsewhere: that replica ends it or drives it; ending it here too would
    // only race that.
    if (error instanceof StartTakenOverError) return;
    const message = error instanceof Error ? error.message : String(error);
    const because = `failed: its start did not finish: ${message}`;
    const failed: RolloutState = {
      ...state,
      status: 'failed',
      ended_because: because,
      ended_at: new Date().toISOString(),
    };
    const ending =
      stage === 'pointing'
        ? this.revert(state, 'failed', because, {}, null)
        : stage === 'went on'
          ? this.claimEnd(state, 'failed', because).then((standing) =>
              standing === null ? this.store.save(failed) : undefined,
            )
          : this.store.save(failed);
    await ending.catch((endError: unknown) =>
      this.logger.error(
        `rollout ${state.id}: its start failed (${message}) and ending it failed too ` +
          `(${(endError as Error).message}); the adoption scan ends it once its lease lapses`,
      ),
    );
  }

  /** @throws {RolloutNotFoundError} */
  async get(model: string, id: string): Promise<RolloutState> {
    await this.registry.requireModel(model);
    const state = await this.store.get(model, id);
    if (state === undefined) throw new RolloutNotFoundError(model, id);
    return state;
  }

  /**
   * Reverts a running rollout at once: through its driver, here or (asked through its run) on the
   * replica holding its lease; a rollout no live replica drives is reverted here.
   * @throws {RolloutNotFoundError}, {ConflictError} when it has ended
   */
  async abort(model: string, id: string, actor: string, reason: string | null | undefined): Promise<RolloutState> {
    const why = checkReason(reason);
    const state = await this.get(model, id);
    if (state.status !== 'running') throw new ConflictError(`rollout ${id} has already ended (${state.status})`);
    const because = `aborted by ${actor}${why === null ? '' : `: ${why}`}`;
    const driver = this.drivers.get(id);
    if (driver !== undefined) {
      driver.stop(new RolloutStop('aborted', because));
      await driver.done;
      return this.get(model, id);
    }
    await this.store.requestAbort(id, because);
    const deadline = Date.now() + 2 * this.leases.ttlMs + ABORT_HANDOVER_MS;
    for (;;) {
      const stored = await this.store.read(model, id);
      if (stored === undefined) throw new RolloutNotFoundError(model, id);
      if (stored.state.status !== 'running') return stored.state;
      // Someone is ending it already (or died doing so, and the adoption scan finishes it), or this
      // replica is starting or ending it itself: wait.
      if (
        stored.endClaim === null &&
        !this.kept.has(id) &&
        !this.starting.has(model) &&
        !heldByAnother(stored.lease, this.leases.self, Date.now()) &&
        (await this.leases.acquire(id)) !== false
      ) {
        const lease = this.keepLease(id);
        try {
          if (!stored.wentOn) {
            await this.endNeverStarted(stored.state, because);
            return this.get(model, id);
          }
          if (await this.revert(stored.state, 'aborted', because, {}, null)) return this.get(model, id);
        } finally {
          lease.end();
        }
      }
      if (Date.now() > deadline)
        throw new ConflictError(`rollout ${id}: its driver ${stored.lease?.holder} has not ended it yet; try again`);
      await new Promise((resolve) => setTimeout(resolve, WATCH_MS / 2));
    }
  }

  /**
   * Renews this replica's lease on the rollout every third of the lease time, from the moment it was
   * written until `end()`; `lost` resolves when another replica holds it.
   */
  private keepLease(id: string): LeaseKeeper {
    let lose: (stop: RolloutStop) => void = () => undefined;
    const lost = new Promise<RolloutStop>((resolve) => (lose = resolve));
    const renewal = setInterval(() => {
      this.leases
        .renew(id)
        .then((held) => {
          if (!held) lose(new RolloutStop('handed_off', 'another registry-admin holds its lease'));
        })
        .catch((error: unknown) =>
          this.logger.warn(`rollout ${id}: cannot renew its lease (${(error as Error).message})`),
        );
    }, this.leases.ttlMs / 3);
    renewal.unref();
    this.kept.set(id, (this.kept.get(id) ?? 0) + 1);
    let ended = false;
    return {
      lost,
      end: () => {
        if (ended) return;
        ended = true;
        clearInterval(renewal);
        const left = (this.kept.get(id) ?? 1) - 1;
        if (left > 0) this.kept.set(id, left);
        else this.kept.delete(id);
      },
    };
  }

  /** Gives the rollout's lease up, for another replica to resume it at once; a failure only warns (it lapses instead). */
  private async releaseLease(id: string): Promise<void> {
    await this.leases
      .release(id)
      .catch((error: unknown) =>
        this.logger.warn(`rollout ${id}: cannot release its lease (${(error as Error).message}); it lapses instead`),
      );
  }

  /**
   * Drives the rollout in the background while keeping its lease (taken just before); once this
   * replica is stopping, releases the lease instead, for another replica to resume it at once.
   */
  private launch(state: RolloutState, lease: LeaseKeeper): void {
    if (this.shuttingDown) {
      lease.end();
      void this.releaseLease(state.id);
      return;
    }
    let stop: (reason: RolloutStop) => void = () => undefined;
    const stopped = new Promise<RolloutStop>((resolve) => {
      stop = resolve;
      void lease.lost.then(resolve);
    });
    const done = this.drive(state, stopped).finally(() => {
      lease.end();
      this.drivers.delete(state.id);
    });
    this.drivers.set(state.id, { stop, done, stopped });
  }

  /**
   * Takes over every running rollout no live replica drives: on start (this replica's own, left by
   * a restart) and whenever a lease has lapsed.
   */
  private async resumeAll(): Promise<void> {
    for (const { state, lease } of await this.store.active()) {
      if (this.ownedHere(state) || heldByAnother(lease, this.leases.self, Date.now())) continue;
      try {
        await this.takeOver(state);
      } catch (error) {
        // One rollout that cannot be taken over now (MLflow failing for it) must not keep the scan
        // from the ones after it; its lease lapses and the next scan tries it again.
        this.logger.warn(
          `rollout ${state.id}: cannot take it over now (${(error as Error).message}); trying again later`,
        );
      }
    }
  }

  /** A rollout this replica is starting, driving or ending (or any, while it shuts down): the scan leaves it. */
  private ownedHere(state: RolloutState): boolean {
    return this.kept.has(state.id) || this.starting.has(state.model) || this.shuttingDown;
  }

  /** Takes the rollout's lease, unless another replica (or this one meanwhile) has it, and adopts it. */
  private async takeOver(state: RolloutState): Promise<void> {
    const previous = await this.leases.acquire(state.id);
    if (previous === false) return;
    if (this.ownedHere(state)) {
      // Stopping since the scan: give back the lease just taken, for another replica to adopt the
      // rollout at once rather than a lease time later (unless a task of this replica holds it).
      if (this.shuttingDown && !this.kept.has(state.id)) await this.releaseLease(state.id);
      return;
    }
    const keeper = this.keepLease(state.id);
    let launched = false;
    try {
      launched = await this.adopt(state, previous, keeper);
    } finally {
      if (!launched) keeper.end();
    }
  }

  /**
   * Takes over a rollout whose lease this replica has just taken: finishes an end its last holder
   * claimed, carries out an abort asked meanwhile or a manual move's revert, or drives it on.
   * @returns whether it drives it now
   */
  private async adopt(scanned: RolloutState, previous: Lease | null, lease: LeaseKeeper): Promise<boolean> {
    // Read again now that the lease is held here: a save its last driver made after the scan read it
    // (a step's pass landing late) is in this copy, and the rollout goes on from there.
    const stored = await this.store.read(scanned.model, scanned.id);
    if (stored?.state.status !== 'running') return false;
    const state = stored.state;
    if (stored.endClaim !== null) {
      await this.finishEnd(state, stored.endClaim);
      return false;
    }
    if (!stored.wentOn) {
      await this.endNeverStarted(state, stored.abortRequest);
      return false;
    }
    if (stored.abortRequest !== null) {
      await this.revert(state, 'aborted', stored.abortRequest, {}, null);
      return false;
    }
    // Driven only once it is known to hold what it should: a start that did not finish must not take traffic.
    const disturbed = await this.disturbance(state, currentShare(state));
    if (disturbed !== null) {
      await this.revert(state, 'aborted', `${disturbed} while no registry-admin drove it`, {}, null);
      return false;
    }
    const from = previous === null ? 'a restart' : `${previous.holder} stopped driving it`;
    const next =
      passedSteps(state) === state.steps.length
        ? 'every step has passed, so it promotes now'
        : 'the current step starts its window again';
    await this.record(state, 'resumed', `rollout ${state.id} resumed by ${this.leases.self} (${from}); ${next}`, {
      instance: this.leases.self,
      previous_driver: previous?.holder ?? null,
    });
    this.launch(state, lease);
    return true;
  }

  /**
   * Ends a rollout whose end another replica claimed but did not finish (it stopped, and its lease
   * lapsed): the same end, claimed again one generation on (so two replicas taking over at once
   * finish it once) and carried out here. Every step of an end can be done again.
   */
  private async finishEnd(state: RolloutState, claim: EndClaim): Promise<void> {
    const mine = await this.claimEnd(state, claim.status, claim.because, claim.generation + 1);
    if (mine !== null) return;
    this.logger.warn(
      `rollout ${state.id}: ${claim.by} set out to end it (${claim.status}) and stopped; finishing that`,
    );
    if (claim.status === 'promoted') await this.promoteOrFail(state);
    else await this.carryOutRevert(state, claim.status, claim.because ?? claim.status, {}, null);
  }

  private async drive(state: RolloutState, stopped: Promise<RolloutStop>): Promise<void> {
    try {
      for (let index = passedSteps(state); index < state.steps.length; index++) {
        const done = await this.runStep(state, index, stopped);
        if (!done) return;
      }
      // An abort asked (here or through the run) after the last step's save wins over the
      // promotion, up to this read: the claim follows it.
      await this.checkDrivenHere(state, stopped);
      await this.promote(state);
    } catch (error) {
      if (error instanceof RolloutStop) {
        if (error.status === 'shutdown') return;
        if (error.status === 'handed_off') {
          this.logger.warn(`rollout ${state.id}: no longer driven here: ${error.because}`);
          return;
        }
        await this.revert(state, error.status, error.because, {}, null);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`rollout ${state.id} failed: ${message}`);
      await this.revert(state, 'failed', `failed: ${message}`, {}, null).catch((revertError: unknown) =>
        this.logger.error(`rollout ${state.id}: revert failed too: ${(revertError as Error).message}`),
      );
    }
  }

  /** @returns false when the step reverted the rollout */
  private async runStep(state: RolloutState, index: number, stopped: Promise<RolloutStop>): Promise<boolean> {
    await this.checkDrivenHere(state, stopped);
    const share = state.steps[index];
    const step: RolloutStep = {
      index,
      share,
      started_at: new Date().toISOString(),
      ended_at: null,
      outcome: 'running',
      windows: [],
    };
    state.step_results = [...state.step_results.slice(0, index), step];
    await this.traffic.set(state.model, { challenger_share: share }, actorOf(state), { rolloutId: state.id });
    const since = Date.now();
    const baseline = await this.replicas.snapshot();
    // Only what happened elsewhere: a stop of this driver's (say a shutdown) is met by the window's
    // wait, after this save, so a replica resuming it reads the share this step wrote.
    const ended = await this.endedElsewhere(state);
    if (ended !== null) await this.withdrawShare(state, ended);
    await this.store.save(state);
    await this.record(
      state,
      'step_started',
      `step ${index + 1}/${state.steps.length}: candidate gets ${percent(share)} of traffic`,
      { step: index, share },
    );
    for (let holds = 0; ; holds++) {
      await this.wait(state, share, state.step_seconds * 1000, stopped);
      const { window, closedAt } = await this.measure(state, share, baseline.snapshots, since);
      step.windows.push(window);
      if (window.decision === 'breach') {
        const breached = window.verdicts.filter((verdict) => verdict.status === 'breach');
        step.outcome = 'breached';
        const because = `guard ${breached.map((verdict) => verdict.guard).join(', ')} breached at step ${index + 1} (${percent(share)}): ${breached.map((verdict) => `${verdict.detail}; value ${verdict.value}, threshold ${verdict.threshold}`).join(' | ')}`;
        await this.revert(
          state,
          'reverted',
          because,
          { step: index, share, breached, figures: window.figures },
          closedAt,
        );
        return false;
      }
      if (window.decision === 'hold') {
        if (holds < state.max_holds) {
          await this.checkDrivenHere(state, stopped);
          await this.store.save(state);
          continue;
        }
        step.outcome = 'held_too_long';
        const lacking = window.verdicts.filter((verdict) => verdict.status === 'insufficient');
        const because = `step ${index + 1} (${percent(share)}) still lacked data after ${holds + 1} windows: ${lacking.map((verdict) => `${verdict.guard}: ${verdict.detail}`).join(' | ')}`;
        await this.revert(state, 'reverted', because, { step: index, share, insufficient: lacking }, closedAt);
        return false;
      }
      step.outcome = 'passed';
      step.ended_at = new Date().toISOString();
      await this.checkDrivenHere(state, stopped);
      await this.store.save(state);
      await this.record(
        state,
        'step_passed',
        `step ${index + 1}/${state.steps.length} (${percent(share)}) passed: ${summary(window.verdicts)}`,
        { step: index, share, verdicts: window.verdicts, figures: window.figures },
      );
      return true;
    }
  }

  /** The figures since the step began on every replica, and the guards' verdicts on them. */
  private async measure(
    state: RolloutState,
    share: number,
    baseline: Map<string, MetricsSnapshot>,
    since: number,
  ): Promise<{ window: RolloutState['step_results'][number]['windows'][number]; closedAt: number }> {
    // The window closes as its figures start to be read, so revert_ms counts those reads too.
    const closedAt = performance.now();
    const closedAtIso = new Date().toISOString();
    const [{ snapshots, unreachable }, report] = await Promise.all([
      this.replicas.snapshot(),
      this.replicas.report(since, state.guards.min_labels),
    ]);
    const deltas = [...snapshots].map(([target, snapshot]) => delta(baseline.get(target), snapshot));
    // A replica that came up during the step has no baseline: everything it counted is this step's.
    for (const [target, snapshot] of snapshots)
      if (!baseline.has(target)) deltas.push(delta({ startTime: null, series: new Map() }, snapshot));
    const arms = armTraffic(deltas, { champion: state.champion_version, challenger: state.candidate_version });
    const traffic = { ...arms, replicas: snapshots.size, unreachable };
    const verdicts = evaluateGuards({
      traffic,
      report,
      share,
      minRequests: state.min_requests,
      settings: state.guards,
    });
    const scores = report?.score_distributions ?? null;
    return {
      closedAt,
      window: {
        closed_at: closedAtIso,
        figures: {
          champion: {
            requests: arms.champion.requests,
            errors: arms.champion.errors,
            scores: scores?.champion.count ?? null,
          },
          challenger: {
            requests: arms.challenger.requests,
            errors: arms.challenger.errors,
            scores: scores?.challenger.count ?? null,
          },
          replicas: snapshots.size,
          unreachable,
        },
        verdicts,
        decision: stepDecision(verdicts),
      },
    };
  }

  /**
   * Sleeps through a step's window, watching for an abort, for the rollout ended or taken over by
   * another replica, and for manual alias or traffic changes.
   */
  private async wait(state: RolloutState, share: number, ms: number, stopped: Promise<RolloutStop>): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const tick = new Promise<undefined>((resolve) =>
        setTimeout(() => resolve(undefined), Math.min(WATCH_MS, deadline - Date.now())),
      );
      const stop = await Promise.race([stopped, tick]);
      if (stop !== undefined) throw stop;
      const ended = await this.endedElsewhere(state);
      if (ended !== null) throw ended;
      const disturbed = await this.disturbance(state, share);
      if (disturbed !== null) throw new RolloutStop('aborted', disturbed);
    }
  }

  /**
   * Throws the driver's stop, or what another replica did to the rollout ({@link endedElsewhere}),
   * before a step writes its share or saves its state: a rollout stopped here, or ended or taken
   * over elsewhere since the last watch tick (or during its start, or while a window's figures were
   * read), must get no traffic from this driver, nor its state saved back as running. A breach's
   * revert needs no check: its end claim keeps it from ending a rollout twice.
   */
  private async checkDrivenHere(state: RolloutState, stopped: Promise<RolloutStop>): Promise<void> {
    const stop = (await Promise.race([stopped, Promise.resolve(undefined)])) ?? (await this.endedElsewhere(state));
    if (stop !== null) throw stop;
  }

  /**
   * Throws `stop` ({@link endedElsewhere}), met right after this driver wrote a step's share. When
   * the rollout was ended (or its end claimed) elsewhere meanwhile, that end's share 0 may have
   * landed before this write: the share goes back to 0 here (pushed, not audited), unless another
   * rollout of the model has started since. A failure only warns; nothing tries again.
   */
  private async withdrawShare(state: RolloutState, stop: RolloutStop): Promise<never> {
    if (stop.status === 'handed_off')
      try {
        const stored = await this.store.read(state.model, state.id);
        const ending = stored === undefined || stored.state.status !== 'running' || stored.endClaim !== null;
        const first = await this.firstRunning(state.model);
        if (ending && (first === undefined || first.id === state.id)) {
          await this.traffic.set(state.model, { challenger_share: 0 }, actorOf(state), { rolloutId: state.id });
          this.logger.warn(`rollout ${state.id}: ended elsewhere as its step began; its share is back to 0`);
        }
      } catch (error) {
        this.logger.warn(`rollout ${state.id}: cannot take its step's share back (${(error as Error).message})`);
      }
    throw stop;
  }

  /**
   * What another replica did to the rollout, as the stop it means for this driver: an abort asked
   * through the run, the rollout ended, or its lease taken; null when this one still drives it.
   */
  private async endedElsewhere(state: RolloutState): Promise<RolloutStop | null> {
    const stored = await this.store.read(state.model, state.id);
    if (stored === undefined) return new RolloutStop('handed_off', 'its run is gone');
    if (stored.state.status !== 'running')
      return new RolloutStop('handed_off', `it was ended elsewhere (${stored.state.status})`);
    if (stored.lease !== null && stored.lease.holder !== this.leases.self)
      return new RolloutStop('handed_off', `${stored.lease.holder} holds its lease`);
    if (stored.endClaim !== null) return new RolloutStop('handed_off', `${stored.endClaim.by} is ending it`);
    if (stored.abortRequest !== null) return new RolloutStop('aborted', stored.abortRequest);
    return null;
  }

  /** A manual change of what the rollout holds (aliases, per-request split, share), or a start that did not finish, said in words; null when none. */
  private async disturbance(state: RolloutState, share: number): Promise<string | null> {
    const registered = await this.registry.findModel(state.model);
    if (registered === null) return `registered model '${state.model}' was deleted during the rollout`;
    const expected: Array<[string, string]> = [
      [this.config.MODEL_ALIAS, state.champion_version],
      [CHAMPION, state.champion_version],
      [CHALLENGER, state.candidate_version],
    ];
    for (const [alias, version] of expected) {
      const holder = ModelRegistryService.holderOf(registered, alias);
      if (holder !== version)
        return `alias ${alias} was moved manually (v${version} -> ${holder === null ? '(unset)' : `v${holder}`}) during the rollout`;
    }
    const tags = tagsToRecord(registered.tags);
    // Set last by a start (read as inference-api reads it): off or unset means the start did not
    // finish, or someone turned it off.
    if (!trafficFlagOn(tags[PER_REQUEST_TAG]))
      return `the per-request split (${PER_REQUEST_TAG}) is ${tags[PER_REQUEST_TAG] ?? 'unset'}, not true, during the rollout`;
    const stored = Number(tags[TRAFFIC_TAGS.challengerShare]);
    if (state.step_results.length > 0 && stored !== share)
      return `the challenger share was changed manually (${percent(share)} -> ${String(stored)}) during the rollout`;
    return null;
  }

  /**
   * Claims the end of the rollout ({@link RolloutStore.claimEnd}) for a fresh attempt of this replica.
   * @returns null when this attempt got it; the claim that stands otherwise (logged)
   */
  private async claimEnd(
    state: RolloutState,
    status: EndClaim['status'],
    because: string | null,
    generation = 1,
  ): Promise<EndClaim | null> {
    const by = `${this.leases.self}#${++this.endAttempts}`;
    const standing = await this.store.claimEnd(state.id, { by, status, because, generation });
    if (standing !== null)
      this.logger.warn(`rollout ${state.id}: ${standing.by} is ending it (${standing.status}); not ending it again`);
    return standing;
  }

  /**
   * Ends the rollout as `status` unless another attempt (here or on another replica) claimed its
   * end first: one end, one audit record, however many replicas tried at once.
   * @returns whether this call ended it
   */
  private async revert(
    state: RolloutState,
    status: RevertStatus,
    because: string,
    details: Record<string, unknown>,
    closedAt: number | null,
  ): Promise<boolean> {
    if ((await this.claimEnd(state, status, because)) !== null) return false;
    await this.carryOutRevert(state, status, because, details, closedAt);
    return true;
  }

  /**
   * Share 0 and per-request split off, pushed to every replica; then the challenger cleared (when it
   * still holds the candidate), the state ended and one audit record naming why. A model deleted
   * meanwhile has no traffic left to revert; its rollout still ends, or every scan would meet it again.
   */
  private async carryOutRevert(
    state: RolloutState,
    status: RevertStatus,
    because: string,
    details: Record<string, unknown>,
    closedAt: number | null,
  ): Promise<void> {
    // null: the model is gone, with no traffic left to revert.
    const pushes = await this.revertTraffic(state, status, closedAt).catch(async (error: unknown) => {
      if ((await this.registry.findModel(state.model)) !== null) throw error;
      return null;
    });
    const running = state.step_results.at(-1);
    if (running !== undefined && running.outcome === 'running') running.outcome = 'aborted';
    if (running !== undefined) running.ended_at ??= new Date().toISOString();
    state.status = status;
    state.ended_because = pushes === null ? `${because} (the model no longer exists: no traffic to revert)` : because;
    state.ended_at = new Date().toISOString();
    await this.store.save(state);
    await this.record(state, status, `rollout ${state.id} ${status}: ${state.ended_because}`, {
      ...details,
      revert_ms: state.revert_ms,
      pushes,
    });
    this.logger.warn(`rollout ${state.id} of ${state.model} ${status}: ${state.ended_because}`);
  }

  /** The candidate's traffic taken away: share 0 and the per-request split off, pushed, then the challenger cleared. */
  private async revertTraffic(
    state: RolloutState,
    status: RevertStatus,
    closedAt: number | null,
  ): Promise<PushResult[]> {
    await this.mlflow.registeredModels.setTag({ name: state.model, key: PER_REQUEST_TAG, value: 'false' });
    const change = await this.traffic.set(state.model, { challenger_share: 0 }, actorOf(state), {
      rolloutId: state.id,
    });
    if (closedAt !== null) state.revert_ms = Math.round(performance.now() - closedAt);
    const registered = await this.registry.requireModel(state.model);
    if (ModelRegistryService.holderOf(registered, CHALLENGER) === state.candidate_version)
      await this.moves.deleteAlias({
        model: state.model,
        alias: CHALLENGER,
        reason: `rollout ${state.id} ${status}`,
        actor: actorOf(state),
      });
    return change.pushes;
  }

  /** The last step, unless another replica claimed the rollout's end first. */
  private async promote(state: RolloutState): Promise<void> {
    if ((await this.claimEnd(state, 'promoted', null)) !== null) return;
    await this.promoteOrFail(state);
  }

  /**
   * Carries out a claimed promotion; one that fails (a gate refuses it, MLflow errs) reverts the
   * rollout as failed under the same claim, so no replica retries a refused promotion for ever.
   */
  private async promoteOrFail(state: RolloutState): Promise<void> {
    try {
      await this.carryOutPromotion(state);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`rollout ${state.id}: its promotion failed: ${message}`);
      await this.carryOutRevert(state, 'failed', `failed: promotion: ${message}`, {}, null);
    }
  }

  /** Production and champion move to the candidate, the challenger is cleared (each unless done). */
  private async carryOutPromotion(state: RolloutState): Promise<void> {
    const why = `rollout ${state.id}: every step passed`;
    const registered = await this.registry.requireModel(state.model);
    if (ModelRegistryService.holderOf(registered, this.config.MODEL_ALIAS) !== state.candidate_version)
      await this.moves.promote({
        model: state.model,
        alias: this.config.MODEL_ALIAS,
        to: state.candidate_version,
        reason: why,
        actor: actorOf(state),
      });
    await this.pointAlias(state, CHAMPION, state.candidate_version, why);
    await this.mlflow.registeredModels.setTag({ name: state.model, key: PER_REQUEST_TAG, value: 'false' });
    await this.traffic.set(state.model, { challenger_share: 0 }, actorOf(state), { rolloutId: state.id });
    if (ModelRegistryService.holderOf(await this.registry.requireModel(state.model), CHALLENGER) !== null)
      await this.moves.deleteAlias({ model: state.model, alias: CHALLENGER, reason: why, actor: actorOf(state) });
    state.status = 'promoted';
    state.ended_at = new Date().toISOString();
    await this.store.save(state);
    await this.record(
      state,
      'promoted',
      `rollout ${state.id} promoted v${state.candidate_version} to ${this.config.MODEL_ALIAS} and champion`,
      {},
    );
    this.logger.log(`rollout ${state.id} of ${state.model} promoted v${state.candidate_version}`);
  }

  private async pointAlias(state: RolloutState, alias: string, version: string, reason: string): Promise<void> {
    const registered = await this.registry.requireModel(state.model);
    if (ModelRegistryService.holderOf(registered, alias) === version) return;
    await this.moves.setAlias({ model: state.model, alias, version, reason, actor: actorOf(state) });
  }

  private async record(
    state: RolloutState,
    event: string,
    sentence: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.recordRolloutEvent(
      {
        model: state.model,
        from_version: state.champion_version,
        to_version: state.candidate_version,
        actor: actorOf(state),
        reason: sentence,
      },
      { rollout_id: state.id, event, ...details },
    );
  }
}

function actorOf(state: RolloutState): string {
  return `${state.actor} (rollout)`;
}

/** How many of the plan's steps have passed: the driver goes on from the next one (or promotes). */
function passedSteps(state: RolloutState): number {
  return state.step_results.filter((step) => step.outcome === 'passed').length;
}

function currentShare(state: RolloutState): number {
  return state.step_results.at(-1)?.share ?? 0;
}

function percent(share: number): string {
  return `${Math.round(share * 10_000) / 100} %`;
}

function summary(verdicts: readonly GuardVerdict[]): string {
  return verdicts.map((verdict) => `${verdict.guard} ${verdict.status}`).join(', ');
}
