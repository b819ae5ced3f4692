/**
 * @churn/mlflow-client — a typed client for an MLflow 3.x tracking server's REST API.
 *
 * Start here:
 * - `new MlflowClient(mlflowClientOptionsFromEnv())`: reads MLFLOW_TRACKING_URI (default
 *   http://127.0.0.1:5000), MLFLOW_TRACKING_USERNAME/PASSWORD (basic) or MLFLOW_TRACKING_TOKEN (bearer).
 * - Resources, one method per endpoint, wire types in MLflow's snake_case:
 *   `client.experiments`    getByName, get, create, getOrCreate (race-safe), search / searchPage, setTag
 *   `client.runs`           create, update, get, search / searchPage, logBatch (split to MLflow's limits), logMetric, logParameter, setTag
 *   `client.artifacts`      logFile, logDirectory, uploadFile, uploadDirectory, list, listFiles, readBytes, downloadFile, downloadDirectory, toProxyPath
 *                           (URIs: `mlflow-artifacts:/...`, `mlflow-artifacts://host/...`, `runs:/<run_id>/<path>`)
 *   `client.registeredModels` create, get (with aliases), search / searchPage, updateDescription, delete, setTag, deleteTag,
 *                           setAlias, deleteAlias, getVersionByAlias
 *   `client.modelVersions`  create, get, getByAlias, search / searchPage (aliases filled in), getDownloadUri, setTag, deleteTag,
 *                           delete, waitUntilReady, resolveModelUri (`models:/NAME@ALIAS`, `models:/NAME/VERSION`)
 *   `client.webhooks`       create, get, list / listPage, delete, test; `verifyWebhookSignature` for receivers
 * - Searches return `Paginated<T>`: `for await (const v of client.modelVersions.search({ filter }))`,
 *   `.pages()`, `.toArray()`; `searchPage({ page_token })` fetches one page explicitly.
 * - Errors: every failure is an `MlflowError` (status, errorCode, request method + path). Catch
 *   `ResourceDoesNotExistError` (incl. `AliasNotFoundError`), `ResourceAlreadyExistsError`,
 *   `InvalidParameterValueError`, `UnauthenticatedError`, `PermissionDeniedError`, `RateLimitedError`,
 *   `MlflowServerError`, `MlflowConnectionError` / `MlflowTimeoutError`.
 * - Retries: GETs and calls marked idempotent only, on connection errors, timeouts, 429 and 5xx, with
 *   exponential backoff and jitter, honouring Retry-After.
 * - Naming rules: `MODEL_NAME_PATTERN` / `isModelName`, `aliasNameProblem`, `VERSION_NUMBER_PATTERN`, `TRAFFIC_TAGS`.
 * - Nest: `MlflowModule.forRoot(options)` / `MlflowModule.forRootAsync({ imports, inject, useFactory })`
 *   provide `MlflowClient`. Everything else here is framework-free.
 */
export { MlflowClient } from './lib/client';
export type {
  HttpMethod,
  MlflowAuth,
  MlflowClientOptions,
  MlflowRequest,
  MlflowTransport,
  QueryValue,
} from './lib/core/transport';
export { DEFAULT_TRACKING_URI, MLFLOW_CLIENT_VARIABLES, mlflowClientOptionsFromEnv } from './lib/options-from-env';
export * from './lib/core/errors';
export { Paginated, type Page } from './lib/core/pagination';
export { backoffDelayMs, retryAfterMs, MAX_RETRY_AFTER_MS } from './lib/core/retry';
export { encodePathSegments } from './lib/core/paths';
export { tagList, tagsToRecord, type Tag, type TagsInput } from './lib/core/tags';
export {
  ALIAS_PATTERN,
  ALIAS_RULE,
  aliasNameProblem,
  isModelName,
  MAX_ALIAS_LENGTH,
  MODEL_NAME_PATTERN,
  MODEL_NAME_RULE,
  TRAFFIC_ALIASES,
  TRAFFIC_TAGS,
  readTrafficTags,
  trafficFlagOn,
  type TrafficTags,
  VERSION_NUMBER_PATTERN,
} from './lib/core/names';
export { mlflowArtifactsUriToProxyPath, parseModelUri, parseRunsUri, type ModelUriRef } from './lib/uris';
export type {
  CreateExperimentParams,
  Experiment,
  Experiments,
  SearchExperimentsParams,
} from './lib/resources/experiments';
export { CREATE_KEY_TAG, LOG_BATCH_LIMITS, splitLogBatch } from './lib/resources/runs';
export type {
  CreateRunParams,
  LogBatchChunk,
  LogBatchParams,
  Metric,
  MetricInput,
  Param,
  Run,
  RunInfo,
  RunStatus,
  Runs,
  SearchRunsParams,
  UpdateRunParams,
  ViewType,
} from './lib/resources/runs';
export type { ArtifactFile, Artifacts, DownloadedFile } from './lib/resources/artifacts';
export type {
  RegisteredModel,
  RegisteredModelAlias,
  RegisteredModels,
  SearchRegisteredModelsParams,
} from './lib/resources/registered-models';
export type {
  CreateModelVersionParams,
  ModelVersion,
  ModelVersionStatus,
  ModelVersions,
  ResolvedModel,
  SearchModelVersionsParams,
  WaitUntilReadyOptions,
} from './lib/resources/model-versions';
export type {
  CreateWebhookParams,
  Webhook,
  WebhookAction,
  WebhookEntity,
  WebhookEvent,
  WebhookStatus,
  WebhookTestResult,
  Webhooks,
} from './lib/resources/webhooks';
export {
  WEBHOOK_HEADERS,
  verifyWebhookSignature,
  type WebhookDelivery,
  type WebhookVerdict,
} from './lib/webhook-signature';
export { MlflowModule, type MlflowModuleAsyncOptions } from './lib/nest/mlflow.module';
