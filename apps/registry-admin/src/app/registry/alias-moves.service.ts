import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';

import {
  MlflowClient,
  MlflowConnectionError,
  MlflowServerError,
  TRAFFIC_ALIASES,
  type ModelVersion,
  type RegisteredModel,
} from '@churn/mlflow-client';
import { splitList } from '@churn/service-kit';

import { RegistryAdminConfig } from '../config/registry-admin.config';
import {
  AliasNotSetError,
  ConflictError,
  GateRefusedError,
  InvalidFieldError,
  MoveOutcomeUnknownError,
  type GateResult,
} from '../errors/registry-errors';
import { ReloadPushService, type PushResult } from '../push/reload-push.service';
import {
  AliasAuditStore,
  describeVersion,
  isControlAuditAlias,
  type AliasAuditRecord,
  type AuditAction,
  type AuditDraft,
  type AuditPage,
} from './alias-audit.store';
import { KeyedMutex } from './keyed-mutex';
import { byNumber, ModelRegistryService } from './model-registry.service';
import { OwedSettlements, type OwedSettlement } from './owed-settlements';
import { assertAliasName, checkReason, forceWithReason, parseVersionNumber } from './request-fields';
import { TrafficChangesService } from './traffic-changes.service';

/**
 * What every alias move answers: the move, its audit record, the gates it passed and the pushes.
 * `audit: 'pending'` says the alias moved but MLflow failed before its record was settled; the
 * record is written later (see {@link OwedSettlements}) and the push went out regardless.
 */
export interface MoveResult {
  model: string;
  alias: string;
  action: AuditAction;
  from_version: string | null;
  to_version: string | null;
  forced: boolean;
  gates: GateResult[] | null;
  record: AliasAuditRecord;
  /** Written first when the alias had been moved outside registry-admin since the last record. */
  external_record: AliasAuditRecord | null;
  audit: 'settled' | 'pending';
  /** Why the record is still pending; null when settled. */
  audit_error: string | null;
  pushes: PushResult[];
}

export interface PromoteRequest {
  model: string;
  alias?: string;
  /** Version to promote; the latest with `gate_passed=true` when absent. */
  to?: string | number;
  force?: boolean;
  reason?: string | null;
  actor: string;
}

export interface RollbackRequest {
  model: string;
  alias?: string;
  to?: string | number;
  reason?: string | null;
  actor: string;
}

export interface SetAliasRequest {
  model: string;
  alias: string;
  version: string | number;
  force?: boolean;
  reason?: string | null;
  actor: string;
}

/** The alias as MLflow holds it, and the rollback stack after the last recorded move. */
interface AliasState {
  registered: RegisteredModel;
  versions: ModelVersion[];
  holder: string | null;
  stack: string[];
  external: AliasAuditRecord | null;
}

interface LockedMove extends MadeMove {
  external: AliasAuditRecord | null;
  gates: GateResult[] | null;
}

/** A move that took effect: its record, settled, or pending with the reason (`auditError`). */
interface MadeMove {
  record: AliasAuditRecord;
  auditError: string | null;
}

/**
 * Promote, roll back, set and delete aliases, each audited (see {@link AliasAuditStore}) and pushed
 * to inference-api.
 *
 * Concurrency. Inside one process, moves of one alias run one at a time ({@link KeyedMutex}): two
 * simultaneous promotions both get a record and the second starts from the first's result. With
 * several registry-admin replicas (or a CLI beside a server) nothing serialises them: MLflow keeps
 * whichever `set alias` arrived last (last writer wins), every attempt still has its record, a writer
 * whose re-read shows another version marks its record `superseded`, and the next action or history
 * read that finds the alias at a version no committed record names writes an `external` record
 * first, so the history and the rollback stack catch up with what MLflow actually holds.
 *
 * MLflow failing after the alias moved. Once MLflow has taken the new alias, the caller is told so,
 * whatever fails next: a failed settlement of the record answers the move with `audit: 'pending'`
 * (the record is written later, {@link OwedSettlements}); a change that failed without a definite
 * answer is checked by re-reading the alias and, when even that fails, answered with
 * {@link MoveOutcomeUnknownError}, never "nothing was changed". The reload push goes out either way.
 */
@Injectable()
export class AliasMovesService implements OnApplicationShutdown {
  private readonly logger = new Logger(AliasMovesService.name);
  private readonly mutex = new KeyedMutex();
  /** Pending records this process is still working on; readers must not settle them. */
  private readonly inFlight = new Set<string>();
  private readonly owed: OwedSettlements;
  /** Records this process answers for: moves in flight and settlements it still owes. */
  private readonly ours = { has: (id: string) => this.inFlight.has(id) || this.owed.has(id) };
  private readonly gatedAliases: ReadonlySet<string>;

  constructor(
    private readonly mlflow: MlflowClient,
    private readonly registry: ModelRegistryService,
    private readonly audit: AliasAuditStore,
    private readonly push: ReloadPushService,
    private readonly traffic: TrafficChangesService,
    @Inject(RegistryAdminConfig) private readonly config: RegistryAdminConfig,
  ) {
    this.gatedAliases = new Set(splitList(config.GATED_ALIASES));
    this.owed = new OwedSettlements((owed) => this.writeOwed(owed), config.AUDIT_SETTLE_RETRY_MS, this.logger);
  }

  /** One last attempt at the settlements still owed (the CLI closes its app right after its move). */
  async onApplicationShutdown(): Promise<void> {
    await this.owed.close();
  }

  /**
   * Points the alias (default MODEL_ALIAS) at `to`, or at the latest version whose `gate_passed`
   * tag is `true`. Gated aliases pass the promotion gates unless `force` (with a reason).
   */
  async promote(request: PromoteRequest): Promise<MoveResult> {
    const alias = assertAliasName(request.alias ?? this.config.MODEL_ALIAS);
    const to = request.to === undefined || request.to === null ? undefined : parseVersionNumber(request.to, 'to');
    const reason = checkReason(request.reason);
    const force = forceWithReason(request.force, reason);
    return this.locked(request.model, alias, async (state) => {
      const candidate =
        to === undefined
          ? this.latestGatePassed(request.model, state.versions)
          : this.registry.requireVersion(request.model, state.versions, to);
      return this.gatedMove(state, {
        model: request.model,
        alias,
        action: 'promote',
        candidate,
        force,
        reason,
        actor: request.actor,
      });
    });
  }

  /** Points an alias at a version; gated aliases pass the same gates as a promotion. */
  async setAlias(request: SetAliasRequest): Promise<MoveResult> {
    const alias = assertAliasName(request.alias);
    const version = parseVersionNumber(request.version, 'version');
    const reason = checkReason(request.reason);
    const force = forceWithReason(request.force, reason);
    return this.locked(request.model, alias, async (state) => {
      const candidate = this.registry.requireVersion(request.model, state.versions, version);
      return this.gatedMove(state, {
        model: request.model,
        alias,
        action: 'set',
        candidate,
        force,
        reason,
        actor: request.actor,
      });
    });
  }

  /**
   * Undoes the alias's last move: the top of its rollback stack (promotions push, rollbacks pop),
   * or an explicit `to`. Never gated: it is the emergency exit.
   */
  async rollback(request: RollbackRequest): Promise<MoveResult> {
    const alias = assertAliasName(request.alias ?? this.config.MODEL_ALIAS);
    const to = request.to === undefined || request.to === null ? undefined : parseVersionNumber(request.to, 'to');
    const reason = checkReason(request.reason);
    return this.locked(request.model, alias, async (state) => {
      const { holder, stack, versions } = state;
      const where = `${request.model}@${alias}`;
      const valid = `valid versions: ${versions.map((v) => v.version).join(', ') || 'none'}`;
      if (holder === null) throw new AliasNotSetError(request.model, alias, 409, '; there is nothing to roll back');
      let target: string;
      let nextStack: string[];
      if (to !== undefined) {
        this.registry.requireVersion(request.model, versions, to, stack.includes(to));
        if (to === holder) throw new ConflictError(`${where} already points at v${to}`);
        target = to;
        // Rolling back to an earlier holder walks the stack back to it; any other version is a new
        // step whose own rollback returns here.
        const index = stack.lastIndexOf(to);
        nextStack = index >= 0 ? stack.slice(0, index) : [...stack, holder];
      } else {
        const previous = stack.at(-1);
        if (previous === undefined)
          throw new ConflictError(
            `cannot roll back ${where}: no earlier holder recorded before v${holder} (${valid}; pass to=N to choose one)`,
          );
        if (!versions.some((v) => v.version === previous)) {
          throw new ConflictError(
            `cannot roll back ${where} to v${previous}: version ${previous} was deleted (${valid}; pass to=N to choose one)`,
          );
        }
        target = previous;
        nextStack = stack.slice(0, -1);
      }
      const made = await this.move({
        model: request.model,
        alias,
        action: 'rollback',
        from_version: holder,
        to_version: target,
        actor: request.actor,
        reason,
        forced: false,
        gates: null,
        rollback_stack: nextStack,
      });
      return { ...made, external: state.external, gates: null };
    });
  }

  /** Removes an alias; a later promotion or rollback puts it back. */
  async deleteAlias(request: {
    model: string;
    alias: string;
    reason?: string | null;
    actor: string;
  }): Promise<MoveResult> {
    const alias = assertAliasName(request.alias);
    const reason = checkReason(request.reason);
    return this.locked(request.model, alias, async (state) => {
      if (state.holder === null) throw new AliasNotSetError(request.model, alias, 404);
      const made = await this.move({
        model: request.model,
        alias,
        action: 'delete',
        from_version: state.holder,
        to_version: null,
        actor: request.actor,
        reason,
        forced: false,
        gates: null,
        rollback_stack: [...state.stack, state.holder],
      });
      return { ...made, external: state.external, gates: null };
    });
  }

  /**
   * Audit history, newest first, one page at a time. Aliases moved outside registry-admin are
   * recorded (as `external`) before the page is read: for the named alias, or for every alias the
   * model currently has.
   */
  async history(
    model: string,
    options: { alias?: string; pageToken?: string; maxResults?: number },
  ): Promise<AuditPage> {
    const maxResults = options.maxResults ?? 50;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000)
      throw new InvalidFieldError('max_results', 'must be a whole number from 1 to 1000');
    const registered = await this.registry.requireModel(model);
    // Records this process still owes are written first when MLflow lets it; if not, the page shows them pending.
    await this.owed.settleNow(model, options.alias, false);
    // Control records' pseudo-aliases are no alias names (they have a dot) but may be asked for; they have no holder.
    const controlRecords = options.alias !== undefined && isControlAuditAlias(options.alias);
    const aliases =
      options.alias === undefined
        ? (registered.aliases ?? []).map((entry) => entry.alias)
        : controlRecords
          ? []
          : [assertAliasName(options.alias)];
    const holders = new Map<string, string>();
    for (const alias of aliases) {
      const state = await this.mutex.run(aliasKey(model, alias), () => this.observe(model, alias));
      if (state.holder !== null) holders.set(alias, state.holder);
    }
    for (const { alias, version } of registered.aliases ?? []) if (!holders.has(alias)) holders.set(alias, version);
    return this.audit.page(model, {
      alias: options.alias,
      pageToken: options.pageToken,
      maxResults,
      holders,
      inFlight: this.ours,
    });
  }

  /**
   * Runs `work` holding the alias's lock, on its reconciled state; pushes after releasing it, so a
   * slow replica never holds up the next move. A move whose outcome is unknown is pushed too.
   */
  private async locked(
    model: string,
    alias: string,
    work: (state: AliasState) => Promise<LockedMove>,
  ): Promise<MoveResult> {
    let made: LockedMove;
    try {
      made = await this.mutex.run(aliasKey(model, alias), async () => {
        // The alias's earlier record must be settled first, or this move would start from the wrong history.
        await this.owed.settleNow(model, alias, true);
        return work(await this.observe(model, alias));
      });
    } catch (error) {
      if (error instanceof MoveOutcomeUnknownError) error.pushes = await this.push.pushReload(model, alias);
      throw error;
    }
    const { record, external, gates, auditError } = made;
    return {
      model,
      alias,
      action: record.action,
      from_version: record.from_version,
      to_version: record.to_version,
      forced: record.forced,
      gates,
      record,
      external_record: external,
      audit: auditError === null ? 'settled' : 'pending',
      audit_error: auditError,
      pushes: await this.push.pushReload(model, alias),
    };
  }

  /** MLflow's current holder, checked against the audit; a difference is recorded as an external move. */
  private async observe(model: string, alias: string): Promise<AliasState> {
    const registered = await this.registry.requireModel(model);
    const versions = await this.registry.versions(model);
    const holder = ModelRegistryService.holderOf(registered, alias);
    const latest = await this.audit.latestCommitted(model, alias, holder, this.ours);
    const lastTo = latest?.to_version ?? null;
    const stack = latest?.rollback_stack ?? [];
    if (holder === lastTo) return { registered, versions, holder, stack, external: null };
    const external = await this.audit.recordFinal(
      {
        model,
        alias,
        action: 'external',
        from_version: lastTo,
        to_version: holder,
        actor: 'external',
        reason: 'observed: the alias was moved outside registry-admin',
        forced: false,
        gates: null,
        rollback_stack: lastTo === null ? stack : [...stack, lastTo],
      },
      'committed',
    );
    this.logger.warn(
      `${model}@${alias} was moved outside registry-admin: ${describeVersion(lastTo)} -> ${describeVersion(holder)} (recorded as external)`,
    );
    return { registered, versions, holder, stack: external.rollback_stack, external };
  }

  private async gatedMove(
    state: AliasState,
    move: {
      model: string;
      alias: string;
      action: 'promote' | 'set';
      candidate: ModelVersion;
      force: boolean;
      reason: string | null;
      actor: string;
    },
  ): Promise<LockedMove> {
    const { holder } = state;
    const target = move.candidate.version;
    if (target === holder) throw new ConflictError(`${move.model}@${move.alias} already points at v${target}`);
    const draft: AuditDraft = {
      model: move.model,
      alias: move.alias,
      action: move.action,
      from_version: holder,
      to_version: target,
      actor: move.actor,
      reason: move.reason,
      forced: move.force,
      gates: null,
      rollback_stack: holder === null ? state.stack : [...state.stack, holder],
    };
    const gates = await this.gatesOf(move.alias, move.candidate, state);
    if (gates !== null) {
      draft.gates = gates;
      if (!move.force && gates.some((gate) => !gate.passed)) {
        const refusal = await this.audit.recordFinal(draft, 'refused');
        throw new GateRefusedError(`${move.model}@${move.alias} -> v${target}`, gates, refusal.id);
      }
    }
    return { ...(await this.move(draft)), external: state.external, gates: draft.gates };
  }

  /**
   * The gates a move must pass, null when it is not gated: a gated alias's candidate against its
   * holder; the challenger, while its share is above CHALLENGER_SHARE_CAP, against the champion.
   */
  private async gatesOf(alias: string, candidate: ModelVersion, state: AliasState): Promise<GateResult[] | null> {
    if (this.gatedAliases.has(alias)) {
      const holder = state.versions.find((v) => v.version === state.holder);
      return this.registry.gates(candidate, holder, this.config.PROMOTION_MAX_F1_DROP);
    }
    if (alias !== TRAFFIC_ALIASES.challenger) return null;
    if (ModelRegistryService.trafficOf(state.registered).challenger_share <= this.config.CHALLENGER_SHARE_CAP)
      return null;
    return (await this.traffic.challengerGates(state.registered, state.versions, candidate.version)).gates;
  }

  /**
   * The write-ahead move: pending record, alias change, re-read, settled record. Fails only while
   * nothing has changed, or with {@link MoveOutcomeUnknownError} when MLflow cannot say.
   */
  private async move(draft: AuditDraft): Promise<MadeMove> {
    const record = await this.audit.begin(draft);
    this.inFlight.add(record.id);
    try {
      try {
        if (draft.to_version === null)
          await this.mlflow.registeredModels.deleteAlias({ name: draft.model, alias: draft.alias });
        else
          await this.mlflow.registeredModels.setAlias({
            name: draft.model,
            alias: draft.alias,
            version: draft.to_version,
          });
      } catch (error) {
        if (!mayHaveTakenEffect(error)) return await this.failMove(record, error);
        const holder = await this.currentHolder(draft).catch(() => undefined);
        if (holder === undefined) {
          this.owed.add({ kind: 'unknown', record, cause: errorText(error) });
          throw new MoveOutcomeUnknownError(
            this.config.MLFLOW_TRACKING_URI,
            draft.model,
            draft.alias,
            draft.to_version,
            record.id,
            errorText(error),
          );
        }
        if (holder !== draft.to_version) return await this.failMove(record, error);
        // MLflow took the change and then failed to say so.
        return await this.settleMoved(record, draft, holder);
      }
      return await this.settleMoved(record, draft, undefined);
    } finally {
      this.inFlight.delete(record.id);
    }
  }

  /** A change MLflow did not make: the record says so (if MLflow still answers), and the error goes to the caller. */
  private async failMove(record: AliasAuditRecord, error: unknown): Promise<never> {
    // If MLflow is gone this fails too; the record then stays pending and a later reader settles it.
    await this.audit.settle(record, 'failed', { error: errorText(error) }).catch(() => undefined);
    throw error;
  }

  /**
   * Step 3 once the alias has moved: re-read (unless `holder` is known) and settle. Never throws: the
   * move happened, so a failure here leaves the settlement owed and the answer says `pending`.
   */
  private async settleMoved(
    record: AliasAuditRecord,
    draft: AuditDraft,
    holder: string | null | undefined,
  ): Promise<MadeMove> {
    let observed = holder;
    try {
      if (observed === undefined) observed = await this.currentHolder(draft);
      const settled = await this.audit.settle(record, observed === draft.to_version ? 'committed' : 'superseded', {
        observed_version: observed,
      });
      this.logMove(draft, settled.outcome);
      return { record: settled, auditError: null };
    } catch (error) {
      const cause = `MLflow failed after the alias moved, before its audit record was settled: ${errorText(error)}`;
      this.owed.add({
        kind: 'moved',
        record,
        outcome: observed === undefined || observed === draft.to_version ? 'committed' : 'superseded',
        observed_version: observed,
        cause,
      });
      this.logger.warn(`audit record ${record.id}: ${cause}; retrying in the background`);
      this.logMove(draft, 'pending');
      return { record, auditError: cause };
    }
  }

  /** Writes an owed settlement: as the move's re-read showed it, or against the holder MLflow shows now. */
  private async writeOwed(owed: OwedSettlement): Promise<AliasAuditRecord> {
    if (owed.kind === 'moved')
      return this.audit.settle(
        owed.record,
        owed.outcome,
        owed.observed_version === undefined ? {} : { observed_version: owed.observed_version },
      );
    const holder = await this.currentHolder(owed.record);
    if (holder === owed.record.to_version)
      return this.audit.settle(owed.record, 'committed', { observed_version: holder });
    return this.audit.settle(owed.record, 'failed', { error: owed.cause, observed_version: holder });
  }

  private async currentHolder(move: Pick<AuditDraft, 'model' | 'alias'>): Promise<string | null> {
    return ModelRegistryService.holderOf(await this.mlflow.registeredModels.get(move.model), move.alias);
  }

  private logMove(draft: AuditDraft, outcome: string): void {
    const forced = draft.forced ? ` (forced: ${draft.reason})` : '';
    this.logger.log(
      `${draft.actor} ${draft.action} ${draft.model}@${draft.alias}: ${describeVersion(draft.from_version)} -> ${describeVersion(draft.to_version)} [${outcome}]${forced}`,
    );
  }

  private latestGatePassed(model: string, versions: readonly ModelVersion[]): ModelVersion {
    const passed = versions.filter((v) => v.tags?.some((tag) => tag.key === 'gate_passed' && tag.value === 'true'));
    const latest = passed.sort((a, b) => byNumber(a.version, b.version)).at(-1);
    if (latest === undefined) {
      throw new ConflictError(
        `no version of '${model}' has gate_passed=true (versions: ${versions.map((v) => v.version).join(', ') || 'none'}); pass to=N`,
      );
    }
    return latest;
  }
}

/**
 * Whether MLflow may have applied a change that failed: the connection broke or timed out, or the
 * server failed (5xx). Any other answer (4xx, 429) is MLflow refusing before it changed anything.
 */
function mayHaveTakenEffect(error: unknown): boolean {
  return error instanceof MlflowConnectionError || error instanceof MlflowServerError;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function aliasKey(model: string, alias: string): string {
  return `${model}\u0000${alias}`;
}
