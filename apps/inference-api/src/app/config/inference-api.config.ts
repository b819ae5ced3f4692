import 'reflect-metadata';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsString, IsUrl, Matches, Max, MaxLength, Min, validateSync } from 'class-validator';

/**
 * Every setting of inference-api, read from the environment once at start-up. Types are written
 * out: class-transformer converts `"8000"` to a number only when decorator metadata names the type.
 * MLflow credentials are not here: `@churn/mlflow-client` reads MLflow's own variables
 * (MLFLOW_TRACKING_USERNAME/PASSWORD, MLFLOW_TRACKING_TOKEN) so they never pass through the config.
 */
export class InferenceApiConfig {
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 8000;

  @IsString()
  HOST: string = '0.0.0.0';

  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  MLFLOW_TRACKING_URI: string = 'http://127.0.0.1:5000';

  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: '$property must be a registered model name (letters, digits, _ . -)' })
  MODEL_NAME: string = 'churn_model';

  @Matches(/^[A-Za-z_][A-Za-z0-9_-]*$/, { message: '$property must be an alias name (letters, digits, _ -, not starting with a digit)' })
  MODEL_ALIAS: string = 'production';

  /** Downloaded model versions, one folder per `<name>/<version>`. */
  @IsString()
  @MaxLength(4096)
  MODEL_CACHE_DIR: string = join(tmpdir(), 'churn-model-cache');

  /** Versions kept on disk; the least recently used beyond this are deleted (never a loaded one). */
  @IsInt()
  @Min(1)
  @Max(1000)
  MODEL_CACHE_MAX_VERSIONS: number = 5;

  /** How often the alias is re-resolved; 0 turns polling off (push only). */
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  POLL_INTERVAL_MS: number = 1000;

  /** Bearer token of `POST /admin/reload`; empty means the endpoint answers 401 to everyone. */
  @IsString()
  INFERENCE_ADMIN_TOKEN: string = '';

  /** HMAC key of MLflow's registry webhook deliveries; empty means `POST /webhooks/mlflow` answers 401. */
  @IsString()
  MLFLOW_WEBHOOK_SECRET: string = '';

  /** Most rows one `/predict` or `/invocations` request may carry. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_BATCH_ROWS: number = 1000;

  /** Largest request body in bytes; larger ones get 413. */
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  BODY_LIMIT_BYTES: number = 1024 * 1024;

  @IsIn(['text', 'json'])
  LOG_FORMAT: 'text' | 'json' = 'text';
}

/**
 * Validates the environment; throws one message naming every bad variable, its problem and value.
 * Secrets are never echoed back.
 * @throws {Error} when a setting is missing or malformed
 */
export function validateInferenceApiConfig(environment: Record<string, unknown>): InferenceApiConfig {
  const declared = Object.keys(new InferenceApiConfig());
  const provided = Object.fromEntries(
    Object.entries(environment).filter(([key, value]) => declared.includes(key) && value !== undefined && value !== ''),
  );
  const config = plainToInstance(InferenceApiConfig, provided, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(config);
  if (errors.length > 0) {
    // class-validator's messages already start with the variable's name.
    const problems = errors.map((error) => {
      const shown = SECRET_SETTINGS.has(error.property) ? '(hidden)' : JSON.stringify(provided[error.property]);
      return `${Object.values(error.constraints ?? {}).join(', ')} (got ${shown})`;
    });
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return config;
}

const SECRET_SETTINGS = new Set(['INFERENCE_ADMIN_TOKEN', 'MLFLOW_WEBHOOK_SECRET']);
