import 'reflect-metadata';

import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsNumber,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidateBy,
  ValidateIf,
  type ValidationArguments,
} from 'class-validator';

import { IsAliasName, IsModelName, Redacted, Secret, ServiceSettings, validateEnvironment } from '@churn/service-kit';

import { parsePredictionStoreUrl } from './prediction-store-url';

/**
 * Every setting of inference-api, read from the environment once at start-up; the settings every
 * app shares (listener, MLflow address, API_TOKENS, limits, log format) come from
 * {@link ServiceSettings}, secrets are marked {@link Secret}. Here API_TOKENS names the callers of
 * the business reads on the internal listener (`GET /model`, `/drift`, `/ab/report`), which need
 * the `viewer` role once it is set; empty, they are open to whoever reaches that listener
 * (development only).
 */
export class InferenceApiConfig extends ServiceSettings {
  override PORT: number = 8000;

  /**
   * The internal listener (same HOST): admin, webhooks, metrics and business reads, for MLflow,
   * registry-admin and Prometheus only; PORT serves the scoring routes and probes (bootstrap/listeners.ts).
   */
  @IsInt()
  @Min(1)
  @Max(65535)
  @ValidateBy({
    name: 'notPort',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        value !== (args?.object as InferenceApiConfig | undefined)?.PORT,
      defaultMessage: () => '$property must differ from PORT (the public listener)',
    },
  })
  INTERNAL_PORT: number = 9000;

  @IsModelName()
  MODEL_NAME: string = 'churn_model';

  @IsAliasName()
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
  @Secret()
  INFERENCE_ADMIN_TOKEN: string = '';

  /** HMAC key of MLflow's registry webhook deliveries; empty means `POST /webhooks/mlflow` answers 401. */
  @IsString()
  @Secret()
  MLFLOW_WEBHOOK_SECRET: string = '';

  /** Most rows one `/predict` or `/invocations` request may carry. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_BATCH_ROWS: number = 1000;

  /** Rows in the live drift window of each served version (the newest ones; a ring of 12 buckets, so between 11/12 of this and this). */
  @IsInt()
  @Min(12)
  @Max(10_000_000)
  DRIFT_WINDOW_SIZE: number = 5000;

  /** Age limit of the rows in the drift window, in seconds (to within one twelfth of it). */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(30 * 24 * 3600)
  DRIFT_WINDOW_SECONDS: number = 3600;

  /** How often each version's window is compared with its training statistics (gauges, alerting), in seconds. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.1)
  @Max(86_400)
  DRIFT_EVALUATE_SECONDS: number = 30;

  /** Dataset drift must hold this long before an alert; also the period of the retraining idempotency key, in seconds. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.1)
  @Max(30 * 24 * 3600)
  DRIFT_ALERT_COOLDOWN_SECONDS: number = 600;

  /**
   * A batch too large to stage (over 64 rows, or over a stage) is queued for the drift windows only
   * while the rows waiting (queued and staged) stay within this; beyond, it is dropped (and counted)
   * rather than slowing predictions. Smaller batches are copied into stages of min(256, this) rows
   * per version and never dropped; a full stage enters its window at the next turn.
   */
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  DRIFT_QUEUE_ROWS: number = 100_000;

  /** Where a drift alert is POSTed as JSON; empty: no webhook. Never echoed: chat webhooks carry their token in the path. */
  @ValidateIf((config: InferenceApiConfig) => config.DRIFT_ALERT_WEBHOOK_URL !== '')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @Redacted()
  DRIFT_ALERT_WEBHOOK_URL: string = '';

  /** Start a retraining job on training-worker when a drift alert fires. */
  // Implicit conversion would read any non-empty text, "false" included, as true.
  @Transform(({ obj }: { obj: Record<string, unknown> }) => parseBooleanSetting(obj['DRIFT_RETRAIN_ENABLED']))
  @IsBoolean({ message: '$property must be true or false' })
  DRIFT_RETRAIN_ENABLED: boolean = false;

  /** `data` of the retraining job (a CSV path on the worker); empty: the worker's DEFAULT_DATA. */
  @IsString()
  DRIFT_RETRAIN_DATA: string = '';

  /** Base URL of training-worker, for retraining jobs. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  TRAINING_WORKER_URL: string = 'http://127.0.0.1:8002';

  /** Bearer token with the `trainer` role on training-worker. */
  @IsString()
  @Secret()
  TRAINING_WORKER_TOKEN: string = '';

  /**
   * Where predictions and feedback are recorded, shared by every replica: `sqlite:<path>` (or a plain
   * path; one host, WAL mode lets several processes share it) or `postgres://user:pass@host/db`.
   */
  @IsString()
  @MaxLength(4096)
  @IsPredictionStoreUrl()
  @Redacted()
  INFERENCE_STORE_URL: string = `sqlite:${join(tmpdir(), 'churn-inference', 'predictions.db')}`;

  /** Record every prediction (off: no store is opened and /feedback, /ab/report answer 503). */
  // Implicit conversion would read any non-empty text, "false" included, as true.
  @Transform(({ obj }: { obj: Record<string, unknown> }) => parseBooleanSetting(obj['PREDICTION_LOG_ENABLED'], true))
  @IsBoolean({ message: '$property must be true or false' })
  PREDICTION_LOG_ENABLED: boolean = true;

  /** Rows waiting to be written; beyond this, predictions are answered but not recorded (counted in /metrics). */
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  PREDICTION_LOG_QUEUE_ROWS: number = 100_000;

  /** Rows per write to the store. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  PREDICTION_LOG_BATCH_ROWS: number = 500;

  /** Longest a recorded prediction waits before it is written, in milliseconds. */
  @IsInt()
  @Min(1)
  @Max(60_000)
  PREDICTION_LOG_FLUSH_MS: number = 200;

  /** Also append every record to this JSON-lines file for log shippers; empty: no file. */
  @IsString()
  @MaxLength(4096)
  PREDICTION_LOG_JSONL_PATH: string = '';

  /** Size at which the JSONL file is rotated (file → file.1 → …). */
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024 * 1024)
  PREDICTION_LOG_JSONL_MAX_BYTES: number = 100 * 1024 * 1024;

  /** Rotated JSONL files kept besides the current one. */
  @IsInt()
  @Min(1)
  @Max(1000)
  PREDICTION_LOG_JSONL_KEEP: number = 5;

  /** Predictions (and their feedback) older than this are deleted, checked hourly. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(3650)
  PREDICTION_RETENTION_DAYS: number = 30;

  /** Most predictions kept; the oldest beyond this are deleted by the same sweep (0: no limit). */
  @IsInt()
  @Min(0)
  @Max(10_000_000_000)
  PREDICTION_RETENTION_MAX_ROWS: number = 10_000_000;

  /** Ground truth is accepted for predictions at most this old, in seconds (later labels are reported as expired). */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(3650 * 86_400)
  FEEDBACK_WINDOW_SECONDS: number = 30 * 86_400;

  /** `GET /ab/report` answers 503 (with Retry-After) when its queries take longer than this, in milliseconds. */
  @IsInt()
  @Min(100)
  @Max(600_000)
  AB_REPORT_TIMEOUT_MS: number = 10_000;

  /** The window `GET /ab/report` covers when `since` is not given: this many days before `until` (or now). */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(3650)
  AB_REPORT_DEFAULT_WINDOW_DAYS: number = 7;

  /** Bearer token of `POST /feedback`; empty means the endpoint answers 401 to everyone. */
  @IsString()
  @Secret()
  FEEDBACK_TOKEN: string = '';

  /** Requests waiting for the challenger's shadow score; beyond this they are not shadowed (counted in /metrics). */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SHADOW_QUEUE_SIZE: number = 1000;

  /** Estimated memory the shadow queue may hold, in bytes: beyond it, requests are not shadowed (counted in /metrics). */
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024 * 1024)
  SHADOW_QUEUE_BYTES: number = 64 * 1024 * 1024;

  /** This process's name in the prediction log (the pod name in Kubernetes). */
  @Matches(/^[\x21-\x7e]{1,200}$/, { message: '$property must be 1 to 200 visible ASCII characters' })
  REPLICA_ID: string = `${hostname()}:${process.pid}`;
}

/**
 * Validates the environment; throws one message naming every bad variable, its problem and value
 * (except secrets and the store URL, whose values are never echoed).
 * @throws {ConfigurationError} when a setting is malformed
 */
export function validateInferenceApiConfig(environment: Record<string, unknown>): InferenceApiConfig {
  return validateEnvironment(InferenceApiConfig, environment);
}

/** The store URL must parse (scheme, path); its message names the setting and never the password. */
function IsPredictionStoreUrl(): PropertyDecorator {
  return (target, propertyName) => {
    let problem = '';
    registerDecorator({
      name: 'isPredictionStoreUrl',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate(value: unknown) {
          try {
            parsePredictionStoreUrl(String(value));
            return true;
          } catch (error) {
            problem = (error as Error).message;
            return false;
          }
        },
        defaultMessage: () => problem,
      },
    });
  };
}

/** `true`/`false` (any case) as a boolean; anything else is returned as is for the validator to name. */
function parseBooleanSetting(value: unknown, fallback = false): unknown {
  if (typeof value === 'boolean' || value === undefined) return value ?? fallback;
  const text = String(value).trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  return value;
}
