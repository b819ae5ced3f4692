import { Inject, Injectable } from '@nestjs/common';

import { TRAFFIC_ALIASES, type ModelVersion, type RegisteredModel } from '@churn/mlflow-client';

import { RegistryAdminConfig } from '../config/registry-admin.config';
import { ConflictError, GateRefusedError, type GateResult } from '../errors/registry-errors';
import { ReloadPushService, type PushResult } from '../push/reload-push.service';
import { AliasAuditStore, type ControlAuditOutcome } from './alias-audit.store';
import { ModelRegistryService, type TrafficSettings, type TrafficUpdate } from './model-registry.service';
import { checkReason, forceWithReason } from './request-fields';

/** What a caller asks of the traffic: settings to change, and `force` with a `reason` past failed gates. */
export interface TrafficRequest extends Partial<TrafficUpdate> {
  force?: boolean;
  reason?: string;
}

/**
 * What a traffic change answers: the settings as stored, the push to each replica, and its audit
 * record (null for a rollout's step, which the rollout records).
 */
export interface TrafficChange extends TrafficSettings, ControlAuditOutcome {
  pushes: PushResult[];
}

/**
 * Changes champion/challenger traffic and tells the inference-api replicas at once, as alias moves
 * do: a replica re-reads the traffic tags on a reload push, so a new share or salt takes effect on
 * every replica within the push's round trip instead of at each one's next poll. MLflow has no
 * update of several tags at once, so until then a polling replica could read some of the new tags
 * and not others; the push ends that window. Failed pushes are reported, never thrown (the tags are
 * already written; replicas that missed the push still read them by polling).
 *
 * A challenger share above CHALLENGER_SHARE_CAP sends most traffic to the challenger, which is a
 * promotion: the challenger passes the promotion gates against the champion first (refusals and
 * changes are both audited). A staged rollout is the gated path: its steps pass `rolloutId` and
 * neither meet the cap nor write records of their own.
 */
@Injectable()
export class TrafficChangesService {
  constructor(
    private readonly registry: ModelRegistryService,
    private readonly push: ReloadPushService,
    private readonly audit: AliasAuditStore,
    @Inject(RegistryAdminConfig) private readonly config: RegistryAdminConfig,
  ) {}

  async set(
    name: string,
    request: TrafficRequest,
    actor: string,
    options: { rolloutId?: string } = {},
  ): Promise<TrafficChange> {
    const { force: forceFlag, reason: reasonText, ...given } = request;
    // A null setting is an absent one (the document lets optional fields be null): it keeps its value.
    const settings: Partial<TrafficUpdate> = Object.fromEntries(
      Object.entries(given).filter(([, value]) => value !== null && value !== undefined),
    );
    if (options.rolloutId !== undefined) {
      const stored = await this.registry.setTraffic(name, settings, actor);
      return { ...stored, pushes: await this.push.pushReload(name), audit_record_id: null };
    }
    const reason = checkReason(reasonText);
    const force = forceWithReason(forceFlag, reason);
    const registered = await this.registry.requireModel(name);
    const before = ModelRegistryService.trafficOf(registered);
    const cap = this.config.CHALLENGER_SHARE_CAP;
    const share = settings.challenger_share;
    const gated =
      share !== undefined && share > cap
        ? await this.challengerGates(registered, await this.registry.versions(name))
        : null;
    const failed = gated !== null && gated.gates.some((gate) => !gate.passed);
    const event = {
      model: name,
      action: 'traffic' as const,
      actor,
      reason,
      forced: force && failed,
      gates: gated?.gates ?? null,
      version: gated?.challenger ?? null,
    };
    if (failed && !force) {
      const refusal = await this.audit.recordControl(event, { before, requested: settings, cap }, 'refused');
      throw new GateRefusedError(
        `${name}@${TRAFFIC_ALIASES.challenger} (v${gated.challenger}) at challenger_share ${share}, above CHALLENGER_SHARE_CAP ${cap},`,
        gated.gates,
        refusal.id,
      );
    }
    const stored = await this.registry.setTraffic(name, settings, actor);
    const pushes = await this.push.pushReload(name);
    return { ...stored, pushes, ...(await this.audit.recordControlDone(event, { before, after: stored, cap })) };
  }

  /**
   * The promotion gates of the challenger (`candidate`, else the alias's holder) against the
   * champion: what a share above the cap must pass. Moving the challenger alias while the share is
   * above the cap passes the same gates. `versions` are the model's, as read with it.
   * @throws {ConflictError} when no version holds the challenger alias
   */
  async challengerGates(
    model: RegisteredModel,
    versions: readonly ModelVersion[],
    candidate?: string,
  ): Promise<{ challenger: string; gates: GateResult[] }> {
    const challenger = candidate ?? ModelRegistryService.holderOf(model, TRAFFIC_ALIASES.challenger);
    if (challenger === null)
      throw new ConflictError(
        `${model.name}@${TRAFFIC_ALIASES.challenger} is not set: point it at a version before giving it more than CHALLENGER_SHARE_CAP (${this.config.CHALLENGER_SHARE_CAP}) of the traffic`,
      );
    const champion = ModelRegistryService.holderOf(model, TRAFFIC_ALIASES.champion);
    const gates = await this.registry.gates(
      this.registry.requireVersion(model.name, versions, challenger),
      versions.find((version) => version.version === champion),
      this.config.PROMOTION_MAX_F1_DROP,
    );
    return { challenger, gates };
  }
}
