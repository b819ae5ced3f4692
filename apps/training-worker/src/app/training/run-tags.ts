/**
 * Names of the run tags, params and version tags this app writes, in one place: the job records of
 * `GET /jobs` are read back from them, and DESIGN.md's wiring table fixes the version tags.
 */

/** Tags of the MLflow run of every training (CLI or job). */
export const RUN_TAG = {
  dataFile: 'data_file',
  modelType: 'model_type',
  gitCommit: 'git_commit',
  user: 'user',
  mlflowUser: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  /** The registered model the run registers into (or would have). */
  modelName: 'model_name',
  gatePassed: 'gate_passed',
  gateReason: 'gate_reason',
  registeredVersion: 'registered_version',
  /** The failure's message when the run FAILED. */
  error: 'error',
} as const;

/** Tags only job runs (`POST /jobs`) carry. */
export const JOB_TAG = {
  /** `true` on every run created for a job: what `GET /jobs` lists. */
  job: 'training_worker.job',
  /** WORKER_ID of the replica that runs the job; at start-up a worker settles its own leftovers at once. */
  workerId: 'training_worker.worker_id',
  idempotencyKey: 'training_worker.idempotency_key',
  /** The stage the job is in (queued, load, split, …, done). */
  stage: 'training_worker.stage',
  /** The job's options as JSON (an inline schema is stored as `"inline"`; the schema itself is an artifact). */
  request: 'training_worker.request',
  /** ISO time of the last sign of life of the worker holding the job (queued or running), written every JOB_HEARTBEAT_MS. */
  heartbeat: 'training_worker.heartbeat',
  /** JOB_LEASE_MS of that worker: with no heartbeat for this long, any worker settles the job as FAILED. */
  leaseMs: 'training_worker.lease_ms',
  /** `true` once a job settled as left by a gone worker no longer holds its idempotency key. */
  keyReleased: 'training_worker.idempotency_key_released',
} as const;

/** Experiment tag `true` on every experiment that holds jobs: where workers look for jobs whose lease ran out. */
export const JOBS_EXPERIMENT_TAG = 'training_worker.jobs';

/** Version tags set at registration (DESIGN.md, wiring table). */
export const VERSION_TAG = {
  f1: 'f1',
  rocAuc: 'roc_auc',
  gateF1: 'gate_f1',
  gatePassed: 'gate_passed',
  dataSha256: 'data_sha256',
  runId: 'run_id',
} as const;

/** Metric keys logged per run. */
export const RUN_METRIC = {
  f1: 'f1',
  accuracy: 'accuracy',
  precision: 'precision',
  recall: 'recall',
  rocAuc: 'roc_auc',
  logLoss: 'log_loss',
  iterations: 'iterations',
  trainingSeconds: 'training_seconds',
} as const;

/** Artifact paths inside a run. */
export const RUN_ARTIFACT = {
  modelDir: 'model',
  trainStats: 'train_stats.json',
  schema: 'schema.json',
  split: 'split.json',
  metrics: 'metrics.json',
  confusionMatrix: 'confusion_matrix.json',
} as const;

/** MLflow caps tag values at 8000 characters; an error message is cut well below that. */
export const MAX_ERROR_TAG_LENGTH = 4000;
