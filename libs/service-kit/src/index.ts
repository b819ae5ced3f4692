/**
 * @churn/service-kit — the Nest plumbing every app shares, written once: settings validation with
 * one secrets policy, `API_TOKENS` and the bearer guards, RFC 9457 problem details with one mapping
 * of MLflow failures, bootstrap and `configureApp`, health, the command line's flags and exit
 * codes, and service-to-service HTTP. Only apps import it; test helpers are in `@churn/service-kit/testing`.
 */
export { ApiAuthModule } from './lib/auth/api-auth.module';
export {
  ApiTokens,
  ApiTokensFormatError,
  MIN_TOKEN_LENGTH,
  ROLES,
  secretSettingProblems,
  type ApiCaller,
  type Role,
} from './lib/auth/api-tokens';
export { BearerAuthGuard, CallerName, REQUIRED_ROLES_EXTENSION, RequireRoles } from './lib/auth/bearer-auth.guard';
export { SecretTokenGuard } from './lib/auth/secret-token.guard';
export { configureApp, serve, serviceHttpAdapter, type ServiceDescription } from './lib/bootstrap/configure-app';
export { RedactingConsoleLogger } from './lib/bootstrap/redacting-logger';
export { runMain, type MainOptions } from './lib/bootstrap/run-main';
export {
  CliFlagError,
  EXIT,
  parseFlags,
  processOutput,
  type CommandOutput,
  type FlagSpec,
  type ParsedFlags,
} from './lib/cli/cli';
export { ServiceConfigModule } from './lib/config/service-config.module';
export {
  ConfigurationError,
  IsAliasName,
  IsModelName,
  Redacted,
  Secret,
  secretSettingsOf,
  ServiceSettings,
  splitList,
  validateEnvironment,
} from './lib/config/service-settings';
export { HealthController, HealthModule, HealthResponse } from './lib/health/health.module';
export {
  createLimitedServer,
  expiryCheckIntervalMs,
  httpAdapterOptions,
  HttpServerSettings,
} from './lib/http/http-server-limits';
export { MLFLOW_RETRY_AFTER_SECONDS, mlflowProblem, type MlflowProblemContext } from './lib/http/mlflow-problems';
export {
  PROBLEM_CONTENT_TYPE,
  ProblemError,
  problemOf,
  type ProblemAnswer,
  type ProblemDetails,
} from './lib/http/problem';
export {
  describeProblem,
  errorBodyOf,
  ProblemDetailsFilter,
  problemAnswerFor,
  type ErrorBody,
  type ProblemOptions,
} from './lib/http/problem-details.filter';
export { redactCredentials } from './lib/http/redact';
export { PathParameterPipe, RequestValidationError, requestValidationPipe } from './lib/http/request-validation';
export { stateValidationContract, type ContractOptions, type PathParameterRule } from './lib/http/openapi-contract';
export { RouteMethods, type RouteVisibility } from './lib/http/route-methods';
export { ServiceHttpModule, type ServiceHttpOptions } from './lib/service-http/service-http.module';
