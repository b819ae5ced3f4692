import { Logger } from '@nestjs/common';

import { MlflowClient, ResourceDoesNotExistError, tagsToRecord, type Run, type RunStatus } from '@churn/mlflow-client';

import type { GateResult } from '../errors/registry-errors';

/**
 * The alias audit, kept in MLflow itself (DESIGN.md: the one store every app and command-line
 * target shares): one experiment per registered model, `<model><AUDIT_EXPERIMENT_SUFFIX>`
 * (`churn_model.alias-audit` by default), holding one run per alias move or attempt. The run's tags
 * are the record; its start time orders the history.
 *
 * Write-ahead protocol, so that an alias never moves without its record and no record claims a
 * move that did not happen:
 *   1. `begin`: the record is created with outcome `pending` (run RUNNING) before the alias moves;
 *   2. the caller moves the alias in MLflow;
 *   3. `settle`: outcome `committed` (FINISHED), `superseded` when a re-read shows another writer's
 *      version already replaced ours, or `failed` (FAILED, with the error) when the move failed.
 * When MLflow fails at 3 after the alias moved, the writer keeps the settlement owed and writes it
 * later (owed-settlements.ts); the record meanwhile reads `pending`.
 * A crash between 1 and 3 leaves a `pending` record; readers settle it once it is older than
 * AUDIT_PENDING_GRACE_MS by comparing it with the alias's actual holder: `committed` when the alias
 * holds its target (the writer moved it and stopped before saying so), else `abandoned` (run
 * KILLED), which claims no move: the writer stopped before moving, or a later move replaced its.
 *
 * Each committed record carries the alias's rollback stack after the move (earlier holders, most
 * recent last), so a rollback reads one record instead of replaying the history.
 */
/**
 * Control actions that are not alias moves, each recorded under a pseudo-alias that no real alias
 * can be named (aliases have no dots), so no alias's history or rollback stack ever reads them:
 * rollout steps and reverts, traffic settings, version deletions, webhook changes.
 */
export const CONTROL_AUDIT_ALIASES = {
  rollout: 'traffic.rollout',
  traffic: 'traffic.settings',
  delete_version: 'registry.versions',
  webhook: 'registry.webhooks',
} as const;
export type ControlAction = keyof typeof CONTROL_AUDIT_ALIASES;
export type AuditAction = 'promote' | 'rollback' | 'set' | 'delete' | 'external' | ControlAction;

/** Rollout records (action `rollout`) say what a staged rollout did to the traffic: each step, its verdicts, a revert. */
export const ROLLOUT_AUDIT_ALIAS = CONTROL_AUDIT_ALIASES.rollout;

/** Whether `alias` is one of the control records' pseudo-aliases (it has no holder). */
export function isControlAuditAlias(alias: string): boolean {
  return (Object.values(CONTROL_AUDIT_ALIASES) as string[]).includes(alias);
}

/** What a control record says: who did what, forced or not, the gates it met and its figures. */
export interface ControlEvent {
  model: string;
  action: Exclude<ControlAction, 'rollout'>;
  actor: string;
  reason: string | null;
  forced: boolean;
  gates: GateResult[] | null;
  /** The version the action concerns (a deleted version; the challenger a traffic change sends to). */
  version: string | null;
}

export type AuditOutcome = 'pending' | 'committed' | 'superseded' | 'failed' | 'refused' | 'abandoned';

/** One audit record as the API returns it. Versions are MLflow's decimal strings; null = alias unset. */
export interface AliasAuditRecord {
  id: string;
  model: string;
  alias: string;
  action: AuditAction;
  from_version: string | null;
  to_version: string | null;
  actor: string;
  reason: string | null;
  forced: boolean;
  gates: GateResult[] | null;
  outcome: AuditOutcome;
  error: string | null;
  /** For `superseded`: the version another writer left the alias at. */
  observed_version: string | null;
  /** Earlier holders after this move, most recent last: what successive rollbacks walk back through. */
  rollback_stack: string[];
  recorded_at: string;
  settled_at: string | null;
  /** For `rollout` records: the rollout, step, event and the figures behind it; null otherwise. */
  rollout: Record<string, unknown> | null;
  /** For other control records: what changed (settings before and after, the webhook, ...); null otherwise. */
  details: Record<string, unknown> | null;
}

export type AuditDraft = Pick<
  AliasAuditRecord,
  | 'model'
  | 'alias'
  | 'action'
  | 'from_version'
  | 'to_version'
  | 'actor'
  | 'reason'
  | 'forced'
  | 'gates'
  | 'rollback_stack'
>;

/** Pending records whose writer is this process (a move in flight, a settlement it still owes): readers leave them alone. */
export type RecordsInHand = Pick<ReadonlySet<string>, 'has'>;

export interface AuditPage {
  records: AliasAuditRecord[];
  next_page_token: string | null;
}

/**
 * MLflow keeps tag values up to 8000 characters; the stack is capped so its JSON always fits
 * (100 versions of up to 8 digits plus quotes and commas stay far below).
 */
export const MAX_ROLLBACK_STACK = 100;

const RUN_STATUS: Record<AuditOutcome, RunStatus> = {
  pending: 'RUNNING',
  committed: 'FINISHED',
  superseded: 'FINISHED',
  refused: 'FINISHED',
  failed: 'FAILED',
  abandoned: 'KILLED',
};

const ABANDONED =
  'the writer stopped before settling this record and the alias does not hold its target (settled by a later reader)';

/** What the answer of a control action says of its audit record. */
export interface ControlAuditOutcome {
  /** The record; null when MLflow failed to keep it (the action took effect all the same). */
  audit_record_id: string | null;
  /** Why there is no record; absent when there is one. */
  audit_error?: string;
}

export class AliasAuditStore {
  private readonly logger = new Logger(AliasAuditStore.name);
  private readonly experimentIds = new Map<string, string>();
  private lastStartTime = 0;

  constructor(
    private readonly mlflow: MlflowClient,
    private readonly experimentSuffix: string,
    private readonly pendingGraceMs: number,
  ) {}

  experimentName(model: string): string {
    return `${model}${this.experimentSuffix}`;
  }

  /** Step 1 of a move: the record, `pending`, before the alias changes. */
  begin(draft: AuditDraft): Promise<AliasAuditRecord> {
    return this.create(draft, 'pending');
  }

  /** A record that is final when written: an observed external move (`committed`) or a gate refusal (`refused`). */
  async recordFinal(draft: AuditDraft, outcome: 'committed' | 'refused'): Promise<AliasAuditRecord> {
    const record = await this.create(draft, outcome);
    return this.settle(record, outcome);
  }

  /**
   * A rollout event, final when written: `from_version` is the champion, `to_version` the
   * candidate, `reason` the sentence a person reads, `details` the figures and verdicts.
   */
  async recordRolloutEvent(
    event: Pick<AuditDraft, 'model' | 'from_version' | 'to_version' | 'actor' | 'reason'>,
    details: Record<string, unknown>,
  ): Promise<AliasAuditRecord> {
    const record = await this.create(
      { ...event, alias: ROLLOUT_AUDIT_ALIAS, action: 'rollout', forced: false, gates: null, rollback_stack: [] },
      'committed',
      { rollout: JSON.stringify(details).slice(0, 7900) },
    );
    return this.settle(record, 'committed');
  }

  /**
   * A control action that is not an alias move, final when written: `committed` after it took
   * effect, `refused` when its gates refused it. `details` holds what changed.
   */
  async recordControl(
    event: ControlEvent,
    details: Record<string, unknown>,
    outcome: 'committed' | 'refused' = 'committed',
  ): Promise<AliasAuditRecord> {
    const record = await this.create(
      {
        model: event.model,
        alias: CONTROL_AUDIT_ALIASES[event.action],
        action: event.action,
        from_version: null,
        to_version: event.version,
        actor: event.actor,
        reason: event.reason,
        forced: event.forced,
        gates: event.gates,
        rollback_stack: [],
      },
      outcome,
      { details: JSON.stringify(details).slice(0, 7900) },
    );
    return this.settle(record, outcome);
  }

  /**
   * The record of a control action that already took effect. MLflow failing to keep it does not
   * undo the action, so the failure is logged and returned for the caller's answer, never thrown.
   */
  async recordControlDone(event: ControlEvent, details: Record<string, unknown>): Promise<ControlAuditOutcome> {
    try {
      return { audit_record_id: (await this.recordControl(event, details)).id };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(
        `${event.actor} ${event.action} on ${event.model} took effect but its audit record failed: ${message}`,
      );
      return { audit_record_id: null, audit_error: message };
    }
  }

  /** Step 3 of a move: the outcome, and the run's status to match. */
  async settle(
    record: AliasAuditRecord,
    outcome: AuditOutcome,
    details: { error?: string; observed_version?: string | null } = {},
  ): Promise<AliasAuditRecord> {
    const settledAt = Date.now();
    const tags: Record<string, string> = { outcome, settled_at: String(settledAt) };
    if (details.error !== undefined) tags['error'] = details.error.slice(0, 4000);
    if (details.observed_version !== undefined) tags['observed_version'] = details.observed_version ?? 'none';
    await this.mlflow.runs.logBatch({ run_id: record.id, tags });
    await this.mlflow.runs.update({ run_id: record.id, status: RUN_STATUS[outcome], end_time: settledAt });
    return {
      ...record,
      outcome,
      error: details.error ?? record.error,
      observed_version: details.observed_version === undefined ? record.observed_version : details.observed_version,
      settled_at: new Date(settledAt).toISOString(),
    };
  }

  /**
   * The newest committed record of an alias: the state moves start from. Pending records older
   * than the grace period, and not in flight in this process, are settled on the way ({@link settleStale}).
   */
  async latestCommitted(
    model: string,
    alias: string,
    actualHolder: string | null,
    inFlight: RecordsInHand,
  ): Promise<AliasAuditRecord | undefined> {
    const experimentId = await this.experimentId(model, false);
    if (experimentId === undefined) return undefined;
    const runs = this.mlflow.runs.search({
      experiment_ids: [experimentId],
      filter: `tags.alias = '${alias}'`,
      order_by: ['attributes.start_time DESC'],
      max_results: 50,
    });
    for await (const run of runs) {
      const record = recordFromRun(run);
      if (record.outcome === 'committed') return record;
      const settled = await this.settleStale(record, actualHolder, inFlight);
      if (settled.outcome === 'committed') return settled;
    }
    return undefined;
  }

  /** A `pending` record whose writer is presumed gone, settled against the alias's holder; any other record unchanged. */
  private async settleStale(
    record: AliasAuditRecord,
    actualHolder: string | null,
    inFlight: RecordsInHand,
  ): Promise<AliasAuditRecord> {
    if (record.outcome !== 'pending' || inFlight.has(record.id)) return record;
    if (Date.now() - Date.parse(record.recorded_at) < this.pendingGraceMs) return record;
    if (record.to_version === actualHolder) return this.settle(record, 'committed', { observed_version: actualHolder });
    return this.settle(record, 'abandoned', { error: ABANDONED, observed_version: actualHolder });
  }

  /**
   * One page of history, newest first; `alias` narrows it to one alias. Stale pending records on
   * the page are settled against `holders` (alias → version MLflow holds now).
   */
  async page(
    model: string,
    options: {
      alias?: string;
      pageToken?: string;
      maxResults: number;
      holders: ReadonlyMap<string, string>;
      inFlight: RecordsInHand;
    },
  ): Promise<AuditPage> {
    const experimentId = await this.experimentId(model, false);
    if (experimentId === undefined) return { records: [], next_page_token: null };
    const page = await this.mlflow.runs.searchPage({
      experiment_ids: [experimentId],
      filter: options.alias === undefined ? undefined : `tags.alias = '${options.alias}'`,
      order_by: ['attributes.start_time DESC'],
      max_results: options.maxResults,
      page_token: options.pageToken,
    });
    const records: AliasAuditRecord[] = [];
    for (const run of page.items) {
      const record = recordFromRun(run);
      records.push(await this.settleStale(record, options.holders.get(record.alias) ?? null, options.inFlight));
    }
    return { records, next_page_token: page.next_page_token || null };
  }

  private async create(
    draft: AuditDraft,
    outcome: AuditOutcome,
    extraTags: Record<string, string> = {},
  ): Promise<AliasAuditRecord> {
    const experimentId = (await this.experimentId(draft.model, true)) as string;
    // Strictly increasing within this process, so records written in the same millisecond (an
    // external observation and the move after it) keep their order in the history.
    const startTime = Math.max(Date.now(), this.lastStartTime + 1);
    this.lastStartTime = startTime;
    const stack = draft.rollback_stack.slice(-MAX_ROLLBACK_STACK);
    const tags: Record<string, string> = {
      model: draft.model,
      alias: draft.alias,
      action: draft.action,
      from_version: draft.from_version ?? 'none',
      to_version: draft.to_version ?? 'none',
      actor: draft.actor,
      forced: String(draft.forced),
      outcome,
      rollback_stack: JSON.stringify(stack),
      'mlflow.user': draft.actor,
      ...extraTags,
    };
    if (draft.reason !== null) tags['reason'] = draft.reason;
    if (draft.gates !== null) tags['gates'] = JSON.stringify(draft.gates);
    const run = await this.mlflow.runs.create({
      experiment_id: experimentId,
      run_name: `${draft.alias}: ${draft.action} ${describeVersion(draft.from_version)} -> ${describeVersion(draft.to_version)}`,
      start_time: startTime,
      tags,
    });
    return recordFromRun(run);
  }

  private async experimentId(model: string, create: boolean): Promise<string | undefined> {
    const cached = this.experimentIds.get(model);
    if (cached !== undefined) return cached;
    const name = this.experimentName(model);
    let id: string;
    if (create) {
      id = (await this.mlflow.experiments.getOrCreate(name)).experiment_id;
    } else {
      try {
        id = (await this.mlflow.experiments.getByName(name)).experiment_id;
      } catch (error) {
        if (error instanceof ResourceDoesNotExistError) return undefined;
        throw error;
      }
    }
    this.experimentIds.set(model, id);
    return id;
  }
}

/** `v3`, or `(unset)` for an alias that points nowhere. */
export function describeVersion(version: string | null): string {
  return version === null ? '(unset)' : `v${version}`;
}

function recordFromRun(run: Run): AliasAuditRecord {
  const tags = tagsToRecord(run.data.tags ?? []);
  const settledAt = tags['settled_at'];
  return {
    id: run.info.run_id,
    model: tags['model'] ?? '',
    alias: tags['alias'] ?? '',
    action: (tags['action'] ?? 'set') as AuditAction,
    from_version: versionTag(tags['from_version']),
    to_version: versionTag(tags['to_version']),
    actor: tags['actor'] ?? 'unknown',
    reason: tags['reason'] ?? null,
    forced: tags['forced'] === 'true',
    gates: tags['gates'] === undefined ? null : (JSON.parse(tags['gates']) as GateResult[]),
    outcome: (tags['outcome'] ?? 'pending') as AuditOutcome,
    error: tags['error'] ?? null,
    observed_version: versionTag(tags['observed_version']),
    rollback_stack: tags['rollback_stack'] === undefined ? [] : (JSON.parse(tags['rollback_stack']) as string[]),
    recorded_at: new Date(run.info.start_time ?? 0).toISOString(),
    settled_at: settledAt === undefined ? null : new Date(Number(settledAt)).toISOString(),
    rollout: tags['rollout'] === undefined ? null : (parseJsonOrText(tags['rollout']) as Record<string, unknown>),
    details: tags['details'] === undefined ? null : (parseJsonOrText(tags['details']) as Record<string, unknown>),
  };
}

function versionTag(value: string | undefined): string | null {
  return value === undefined || value === 'none' ? null : value;
}

/** A tag cut to MLflow's length limit is no longer JSON: it is shown as text rather than lost. */
function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { text };
  }
}
