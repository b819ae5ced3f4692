import { MLFLOW_RETRY_AFTER_SECONDS, ProblemError } from '@churn/service-kit';

/**
 * What registry-admin refuses, as typed errors with the HTTP status each maps to. The services
 * throw them; the kit's problem-details filter and the command line turn them into a status or an
 * exit code, so both tell the caller the same sentence.
 */
export abstract class RegistryAdminError extends ProblemError {}

/** A request field is malformed; `field` names it (`alias`, `version`, `to`, `reason`, ...). */
export class InvalidFieldError extends RegistryAdminError {
  override readonly name = 'InvalidFieldError';
  readonly status = 400;

  constructor(
    override readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

export class ModelNotFoundError extends RegistryAdminError {
  override readonly name = 'ModelNotFoundError';
  readonly status = 404;

  constructor(readonly modelName: string) {
    super(`registered model '${modelName}' does not exist`);
  }
}

/** A version that does not exist (never did, or was deleted); the message lists the valid ones. */
export class VersionNotFoundError extends RegistryAdminError {
  override readonly name = 'VersionNotFoundError';
  readonly status = 404;

  constructor(modelName: string, version: string, validVersions: readonly string[], wasDeleted = false) {
    super(
      `version ${version} of '${modelName}' ${wasDeleted ? 'was deleted' : 'does not exist'} (valid versions: ${validVersions.join(', ') || 'none'})`,
    );
  }
}

export class AliasNotSetError extends RegistryAdminError {
  override readonly name = 'AliasNotSetError';

  constructor(
    modelName: string,
    alias: string,
    readonly status: number,
    consequence = '',
  ) {
    super(`alias '${alias}' of '${modelName}' is not set${consequence}`);
  }
}

/** The request is well-formed but the registry's state does not allow it (no earlier holder, alias in use, ...). */
export class ConflictError extends RegistryAdminError {
  override readonly name = 'ConflictError';
  readonly status = 409;
}

/** One promotion gate's verdict, as recorded in the audit and returned to the caller. */
export interface GateResult {
  gate: 'gate_passed' | 'has_metrics' | 'f1_drop' | 'signature';
  passed: boolean;
  detail: string;
}

/** A gated promotion failed one or more gates; `force` with a `reason` overrides. */
export class GateRefusedError extends RegistryAdminError {
  override readonly name = 'GateRefusedError';
  readonly status = 409;

  constructor(
    readonly target: string,
    readonly gates: readonly GateResult[],
    readonly auditRecordId: string | undefined,
  ) {
    super(
      `promotion of ${target} refused: ${gates
        .filter((gate) => !gate.passed)
        .map((gate) => `${gate.gate}: ${gate.detail}`)
        .join('; ')} (use force with a reason to override)`,
    );
  }

  override get extensions(): Record<string, unknown> {
    return { gates: this.gates, audit_record_id: this.auditRecordId ?? null };
  }
}

/**
 * MLflow failed while moving an alias, without saying whether the move took effect, and could not be
 * asked afterwards. The caller must not read this as "nothing was changed": the alias may have moved,
 * its audit record stays pending until MLflow answers, and the reload push went out all the same.
 */
export class MoveOutcomeUnknownError extends RegistryAdminError {
  override readonly name = 'MoveOutcomeUnknownError';
  readonly status = 503;
  override readonly retryAfterSeconds = MLFLOW_RETRY_AFTER_SECONDS;
  /** The reload pushes sent after the attempt (a replica re-reading an unmoved alias changes nothing). */
  pushes: readonly unknown[] = [];

  constructor(
    trackingUri: string,
    readonly model: string,
    readonly alias: string,
    readonly targetVersion: string | null,
    readonly auditRecordId: string,
    causeText: string,
  ) {
    super(
      `MLflow at ${trackingUri} failed while moving ${model}@${alias} to ${targetVersion === null ? '(unset)' : `v${targetVersion}`} (${causeText}); the alias may have moved: read GET /models/${model}/aliases/${alias} before trying again. Audit record ${auditRecordId} stays pending and is settled against the alias's holder once MLflow answers`,
    );
  }

  override get extensions(): Record<string, unknown> {
    return { alias_moved: 'unknown', audit: 'pending', audit_record_id: this.auditRecordId, pushes: this.pushes };
  }
}

/** A webhook id that MLflow does not know, or that registry-admin did not register for this model. */
export class WebhookNotFoundError extends RegistryAdminError {
  override readonly name = 'WebhookNotFoundError';
  readonly status = 404;

  constructor(modelName: string, webhookId: string) {
    super(`webhook ${webhookId} is not one of registry-admin's webhooks for '${modelName}'`);
  }
}

/** The MLflow server has no registry webhook API (it arrived in MLflow 3.3). */
export class WebhooksUnsupportedError extends RegistryAdminError {
  override readonly name = 'WebhooksUnsupportedError';
  readonly status = 501;

  constructor() {
    super(
      'this MLflow server has no registry webhook API (MLflow 3.3 or later has one); inference-api still hears of alias moves through the INFERENCE_URLS pushes',
    );
  }
}
