import { IsInt, IsNumber, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

import { aliasNameProblem } from '@churn/mlflow-client';
import { IsAliasName, IsModelName, Secret, ServiceSettings, splitList, validateEnvironment } from '@churn/service-kit';

/**
 * Every setting of registry-admin, read from the environment once at start-up; the settings every
 * app shares (listener, MLflow address, API_TOKENS, limits, log format) come from
 * {@link ServiceSettings}, secrets are marked {@link Secret}.
 */
export class RegistryAdminConfig extends ServiceSettings {
  override PORT: number = 8001;

  /** The registered model that promote/rollback act on when the caller names none (the CLI's `--model-name`). */
  @IsModelName()
  MODEL_NAME: string = 'churn_model';

  /** The alias promote/rollback move when the caller names none. */
  @IsAliasName()
  MODEL_ALIAS: string = 'production';

  /** inference-api replicas to notify after every alias move: comma-separated base URLs, or one DNS name resolving to all replicas. Empty: no push. */
  @IsString()
  INFERENCE_URLS: string = '';

  /** Bearer token sent with `POST /admin/reload`. */
  @IsString()
  @Secret()
  INFERENCE_ADMIN_TOKEN: string = '';

  /**
   * Bearer token sent with a rollout's reads of the replicas' `GET /ab/report`: one listed with the
   * `viewer` role in inference-api's API_TOKENS. Empty: none sent (inference-api without API_TOKENS).
   */
  @IsString()
  @Secret()
  INFERENCE_VIEWER_TOKEN: string = '';

  /**
   * HMAC key MLflow signs webhook deliveries with, given to MLflow when `POST /models/:name/webhooks`
   * registers inference-api's receiver; the same value as inference-api's MLFLOW_WEBHOOK_SECRET.
   * Empty: each registration must bring its own `secret`.
   */
  @IsString()
  @Secret()
  MLFLOW_WEBHOOK_SECRET: string = '';

  /** Time limit of one reload push to one replica. */
  @IsInt()
  @Min(1)
  @Max(600_000)
  PUSH_TIMEOUT_MS: number = 3000;

  /** How far (absolute F1) a candidate may fall below the current holder of a gated alias. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  PROMOTION_MAX_F1_DROP: number = 0.01;

  /**
   * The largest challenger share set without gates. A larger share sends most traffic to the
   * challenger, which is a promotion: it passes the promotion gates against the champion (or is
   * forced with a reason). Staged rollouts are the gated path and may pass it.
   */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  CHALLENGER_SHARE_CAP: number = 0.5;

  /**
   * How long a registry-admin replica holds the lease of a rollout it drives without renewing it
   * (it renews every third of this). When a replica dies, another adopts its rollouts within about
   * 1.5 × this; a cleanly stopped one hands them over at once.
   */
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  ROLLOUT_LEASE_MS: number = 15_000;

  /** Aliases whose promotions pass the gates, comma-separated (each checked by MLflow's alias rule). */
  @IsString()
  GATED_ALIASES: string = 'production,champion';

  /** The alias audit of model M lives in the MLflow experiment `M<suffix>`. */
  @Matches(/^[A-Za-z0-9_.-]{1,100}$/, { message: '$property must be letters, digits, _ . - (at most 100)' })
  AUDIT_EXPERIMENT_SUFFIX: string = '.alias-audit';

  /**
   * How old a `pending` audit record must be before a reader treats its writer as crashed and
   * settles it against the alias's actual holder. Longer than any move takes, so a move in flight
   * in another replica is never settled under it.
   */
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  AUDIT_PENDING_GRACE_MS: number = 60_000;

  /**
   * How long the audit record of a move that happened, but whose settlement MLflow failed, is
   * retried in the background (waits doubling from 1 s to 30 s). After that it is still retried
   * before this process's next move or history read of the model.
   */
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  AUDIT_SETTLE_RETRY_MS: number = 600_000;

  /** Actor recorded by the command-line targets; the operating system user when empty. */
  @IsString()
  @MaxLength(200)
  REGISTRY_ACTOR: string = '';
}

/**
 * Validates the environment; throws one message naming every bad variable, its problem and value
 * (except secrets, whose values are never echoed).
 * @throws {ConfigurationError} when a setting is malformed
 */
export function validateRegistryAdminConfig(environment: Record<string, unknown>): RegistryAdminConfig {
  return validateEnvironment(RegistryAdminConfig, environment, (config) => [
    ...splitList(config.INFERENCE_URLS)
      .filter((url) => !isHttpUrl(url))
      .map((url) => `INFERENCE_URLS must list http(s) base URLs separated by commas (got ${JSON.stringify(url)})`),
    ...gatedAliasProblems(config.GATED_ALIASES),
  ]);
}

/** GATED_ALIASES must name at least one alias, each one MLflow takes. */
function gatedAliasProblems(list: string): string[] {
  const aliases = splitList(list);
  if (aliases.length === 0)
    return [`GATED_ALIASES must list alias names separated by commas (got ${JSON.stringify(list)})`];
  return aliases.flatMap((alias) => {
    const problem = aliasNameProblem(alias);
    return problem === undefined ? [] : [`GATED_ALIASES: alias ${problem}`];
  });
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
