import 'reflect-metadata';

import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsString, IsUrl, Matches, Max, MaxLength, Min, validateSync } from 'class-validator';

import { ApiTokens, ApiTokensFormatError } from '../auth/api-tokens';
import { HttpServerSettings } from '../http/http-server-limits';

/** Settings whose values are secret: a bad value is named, never echoed. */
const SECRET_SETTINGS = new Set(['API_TOKENS', 'INFERENCE_ADMIN_TOKEN', 'MLFLOW_WEBHOOK_SECRET']);

/**
 * Every setting of registry-admin, read from the environment once at start-up. Types are written
 * out: class-transformer converts `"8000"` to a number only when decorator metadata names the type.
 * MLflow credentials are not here: `@churn/mlflow-client` reads MLflow's own variables
 * (MLFLOW_TRACKING_USERNAME/PASSWORD, MLFLOW_TRACKING_TOKEN) so they never pass through the config.
 */
export class RegistryAdminConfig extends HttpServerSettings {
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 8001;

  @IsString()
  HOST: string = '0.0.0.0';

  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  MLFLOW_TRACKING_URI: string = 'http://127.0.0.1:5000';

  /** The registered model that promote/rollback act on when the caller names none (the CLI's `--model-name`). */
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    message: '$property must be a registered model name (letters, digits, _ . -)',
  })
  MODEL_NAME: string = 'churn_model';

  /** The alias promote/rollback move when the caller names none. */
  @Matches(/^(?![vV]\d+$)(?!latest$)[A-Za-z_][A-Za-z0-9_-]*$/i, {
    message:
      '$property must be an alias name (letters, digits, _ -, not starting with a digit, not "latest" or v<digits>)',
  })
  MODEL_ALIAS: string = 'production';

  /** `name:role+role:token` entries, comma-separated; checked by {@link ApiTokens.parse}. */
  @IsString()
  API_TOKENS: string = '';

  /** inference-api replicas to notify after every alias move: comma-separated base URLs, or one DNS name resolving to all replicas. Empty: no push. */
  @IsString()
  INFERENCE_URLS: string = '';

  /** Bearer token sent with `POST /admin/reload`. */
  @IsString()
  INFERENCE_ADMIN_TOKEN: string = '';

  /**
   * HMAC key MLflow signs webhook deliveries with, given to MLflow when `POST /models/:name/webhooks`
   * registers inference-api's receiver; the same value as inference-api's MLFLOW_WEBHOOK_SECRET.
   * Empty: each registration must bring its own `secret`.
   */
  @IsString()
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

  /** Aliases whose promotions pass the gates, comma-separated. */
  @Matches(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/, { message: '$property must be comma-separated alias names' })
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

  /** Largest request body in bytes; larger ones get 413. */
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  BODY_LIMIT_BYTES: number = 1024 * 1024;

  @IsIn(['text', 'json'])
  LOG_FORMAT: 'text' | 'json' = 'text';
}

const DECLARED_SETTINGS = Object.keys(new RegistryAdminConfig());

/**
 * Validates the environment; throws one message naming every bad variable, its problem and value
 * (except secrets, whose values are never echoed).
 * @throws {Error} when a setting is missing or malformed
 */
export function validateRegistryAdminConfig(environment: Record<string, unknown>): RegistryAdminConfig {
  const provided = Object.fromEntries(
    Object.entries(environment).filter(
      ([key, value]) => DECLARED_SETTINGS.includes(key) && value !== undefined && value !== '',
    ),
  );
  const config = plainToInstance(RegistryAdminConfig, provided, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  // class-validator's messages already start with the variable's name.
  const problems = validateSync(config).map(
    (error) =>
      `${Object.values(error.constraints ?? {}).join(', ')}${SECRET_SETTINGS.has(error.property) ? '' : ` (got ${JSON.stringify(provided[error.property])})`}`,
  );
  try {
    ApiTokens.parse(config.API_TOKENS);
  } catch (error) {
    if (!(error instanceof ApiTokensFormatError)) throw error;
    problems.push(error.message);
  }
  for (const url of splitList(config.INFERENCE_URLS)) {
    if (!isHttpUrl(url))
      problems.push(`INFERENCE_URLS must list http(s) base URLs separated by commas (got ${JSON.stringify(url)})`);
  }
  if (problems.length > 0) throw new Error(`invalid configuration: ${problems.join('; ')}`);
  return config;
}

/** The non-empty, trimmed items of a comma-separated setting. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
