/**
 * The settings every app reads the same way, and the one validation of an app's environment with
 * one policy for secrets: a secret has no working default (an empty secret closes what it guards;
 * development values come from the dev profile, docker/compose.dev.env and tools/stack.mjs), and a
 * bad secret is named, never echoed.
 */
import 'reflect-metadata';

import { plainToInstance } from 'class-transformer';
import {
  getMetadataStorage,
  IsIn,
  IsInt,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateBy,
  validateSync,
} from 'class-validator';

import { aliasNameProblem, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '@churn/mlflow-client';

import { ApiTokens, ApiTokensFormatError, secretSettingProblems } from '../auth/api-tokens';
import { HttpServerSettings } from '../http/http-server-limits';

const SECRETS = Symbol('service-kit:secret-settings');
const REDACTED = Symbol('service-kit:redacted-settings');

/** Adds `property` to the set of settings kept under `key` on the class, inherited ones included. */
function markSetting(key: symbol, target: object, property: string | symbol): void {
  const own: Set<string> = Reflect.getOwnMetadata(key, target) ?? new Set(Reflect.getMetadata(key, target) ?? []);
  own.add(String(property));
  Reflect.defineMetadata(key, own, target);
}

/**
 * Marks a setting as secret: its value is never echoed, it may not have a default, and when set it
 * follows the token rule ({@link secretSettingProblems}; API_TOKENS has its own parser).
 */
export function Secret(): PropertyDecorator {
  return (target, property) => markSetting(SECRETS, target, property);
}

/**
 * Marks a setting whose value may hold a credential without being one (a database URL with its
 * password): never echoed, but it may have a default and follows no token rule.
 */
export function Redacted(): PropertyDecorator {
  return (target, property) => markSetting(REDACTED, target, property);
}

/** A registered model name the apps accept (mlflow-client's MODEL_NAME_PATTERN). */
export function IsModelName(): PropertyDecorator {
  return Matches(MODEL_NAME_PATTERN, { message: `$property must be ${MODEL_NAME_RULE}` });
}

/** An alias name MLflow takes (mlflow-client's aliasNameProblem). */
export function IsAliasName(): PropertyDecorator {
  return ValidateBy({
    name: 'isAliasName',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && aliasNameProblem(value) === undefined,
      defaultMessage: (args) => `$property ${aliasNameProblem(String(args?.value)) ?? 'must be an alias name'}`,
    },
  });
}

/** The settings of a class marked {@link Secret}. */
export function secretSettingsOf(settingsClass: new () => object): ReadonlySet<string> {
  return Reflect.getMetadata(SECRETS, settingsClass.prototype) ?? new Set();
}

/**
 * What every app's configuration class extends: listener, MLflow address, API tokens, body limit,
 * log format and the HTTP server's limits. Types are written out: class-transformer converts
 * `"8000"` to a number only when decorator metadata names the type. MLflow credentials are not here:
 * `@churn/mlflow-client` reads MLflow's own variables so they never pass through the config.
 */
export abstract class ServiceSettings extends HttpServerSettings {
  /** Each app overrides the default with its own port (DESIGN.md, defaults and ports). */
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 8000;

  @IsString()
  HOST: string = '0.0.0.0';

  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  MLFLOW_TRACKING_URI: string = 'http://127.0.0.1:5000';

  /** `name:role+role:token` entries, comma-separated; checked by {@link ApiTokens.parse}. Empty: every protected endpoint answers 401. */
  @IsString()
  @Secret()
  API_TOKENS: string = '';

  /** Largest request body in bytes; larger ones get 413. */
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  BODY_LIMIT_BYTES: number = 1024 * 1024;

  @IsIn(['text', 'json'])
  LOG_FORMAT: 'text' | 'json' = 'text';
}

/** A bad environment; the message names every bad variable. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * Validates the environment into `settingsClass`; variables the class does not declare are
 * ignored, empty ones count as unset; the values of {@link Secret} and {@link Redacted} settings
 * are never echoed. `check` adds the app's own rules that span settings.
 * @throws {ConfigurationError} naming every bad variable, its problem and value (never a secret's)
 */
export function validateEnvironment<T extends ServiceSettings>(
  settingsClass: new () => T,
  environment: Record<string, unknown>,
  check: (settings: T) => string[] = () => [],
): T {
  const secrets = secretSettingsOf(settingsClass);
  const unechoed = new Set<string>([...secrets, ...(Reflect.getMetadata(REDACTED, settingsClass.prototype) ?? [])]);
  const defaults = new settingsClass();
  for (const secret of secrets) {
    if ((defaults as unknown as Record<string, unknown>)[secret])
      throw new ConfigurationError(`${settingsClass.name}.${secret} is secret and must not have a default`);
  }
  const declared = new Set([
    ...Object.keys(defaults),
    ...getMetadataStorage()
      .getTargetValidationMetadatas(settingsClass, '', true, false)
      .map((metadata) => metadata.propertyName),
  ]);
  const provided = Object.fromEntries(
    Object.entries(environment).filter(([key, value]) => declared.has(key) && value !== undefined && value !== ''),
  );
  const settings = plainToInstance(settingsClass, provided, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  // class-validator's messages already start with the variable's name.
  const problems = validateSync(settings).map(
    (error) =>
      `${Object.values(error.constraints ?? {}).join(', ')}${unechoed.has(error.property) ? '' : ` (got ${JSON.stringify(provided[error.property])})`}`,
  );
  try {
    ApiTokens.parse(settings.API_TOKENS);
  } catch (error) {
    if (!(error instanceof ApiTokensFormatError)) throw error;
    problems.push(error.message);
  }
  const values = settings as unknown as Record<string, string>;
  const singleSecrets = [...secrets].filter((name) => name !== 'API_TOKENS');
  problems.push(
    ...secretSettingProblems(
      Object.fromEntries(singleSecrets.map((name) => [name, values[name]])),
      settings.API_TOKENS,
    ),
  );
  problems.push(...check(settings));
  if (problems.length > 0) throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  return settings;
}

/** The non-empty, trimmed items of a comma-separated setting. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
