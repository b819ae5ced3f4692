import 'reflect-metadata';

import { hostname } from 'node:os';
import { resolve } from 'node:path';

import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy, type ValidationArguments } from 'class-validator';

import { IsModelName, ServiceSettings, validateEnvironment } from '@churn/service-kit';

/**
 * Every setting of training-worker, read from the environment once at start-up; the settings every
 * app shares (listener, MLflow address, API_TOKENS, limits, log format) come from {@link ServiceSettings}.
 */
export class TrainingWorkerConfig extends ServiceSettings {
  override PORT: number = 8002;

  @IsModelName()
  MODEL_NAME: string = 'churn_model';

  @Matches(/^\S.*$/, { message: '$property must be a non-empty experiment name' })
  EXPERIMENT_NAME: string = 'churn';

  /** Training jobs run at once; more wait in the queue. */
  @IsInt()
  @Min(1)
  @Max(16)
  JOB_CONCURRENCY: number = 1;

  /**
   * This replica's identity (the pod name), tagged on its job runs: at start-up, runs left unfinished
   * under this id are settled as crash leftovers at once; other replicas' runs only once their lease
   * runs out.
   */
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, { message: '$property must be letters, digits, _ . : -' })
  WORKER_ID: string = hostname();

  /**
   * How often this worker writes the heartbeat of every job it holds (queued or running), and looks
   * for other workers' jobs whose lease ran out.
   */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  JOB_HEARTBEAT_MS: number = 15_000;

  /**
   * A job whose heartbeat is older than this is settled as FAILED by any worker (its worker is gone)
   * and its idempotency key is freed. At least three heartbeats, and longer than the longest stretch a
   * training step holds the event loop (the fit of a very large CSV), plus any clock difference
   * between the workers' hosts.
   */
  @IsInt()
  @Max(86_400_000)
  @Min(300)
  @AtLeastThreeHeartbeats()
  JOB_LEASE_MS: number = 120_000;

  /**
   * The only folder REST jobs read data and schema files from (paths relative to it; no way out by
   * `..` or symbolic links). The `train` CLI reads any path its operator gives. The repository's
   * bundled data in development; the image sets `/data`.
   */
  @IsString()
  @Matches(/^\S/, { message: '$property must be a folder path' })
  DATA_DIR: string = resolve('libs/churn-pipeline/data');

  /**
   * Experiments whose name ends in this hold registry-admin's alias audit (its AUDIT_EXPERIMENT_SUFFIX):
   * training jobs refuse them, so a trainer cannot write runs into the audit.
   */
  @Matches(/^\S+$/, { message: '$property must be a non-empty suffix without spaces' })
  AUDIT_EXPERIMENT_SUFFIX: string = '.alias-audit';

  /** CSV used by a job that names no data (relative to DATA_DIR); synthetic data when unset. */
  @IsOptional()
  @IsString()
  DEFAULT_DATA?: string;

  /** Rows of synthetic data generated when a job or the CLI gives no data file. */
  @IsInt()
  @Min(100)
  @Max(10_000_000)
  SYNTHETIC_ROWS: number = 5000;
}

/** A lease shorter than three heartbeats would expire a live job after two late beats. */
function AtLeastThreeHeartbeats(): PropertyDecorator {
  const heartbeat = (args?: ValidationArguments) => Number((args?.object as TrainingWorkerConfig).JOB_HEARTBEAT_MS);
  return ValidateBy({
    name: 'atLeastThreeHeartbeats',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        typeof value === 'number' && value >= 3 * heartbeat(args),
      defaultMessage: (args?: ValidationArguments) =>
        `$property must be at least 3 × JOB_HEARTBEAT_MS (${3 * heartbeat(args)})`,
    },
  });
}

/**
 * Validates the environment; throws one message naming every bad variable, its problem and value
 * (except secrets, whose values are never echoed).
 * @throws {ConfigurationError} when a setting is malformed
 */
export function validateTrainingWorkerConfig(environment: Record<string, unknown>): TrainingWorkerConfig {
  return validateEnvironment(TrainingWorkerConfig, environment);
}
