import { IsString, Matches } from 'class-validator';

import {
  ConfigurationError,
  IsAliasName,
  IsModelName,
  Redacted,
  Secret,
  secretSettingsOf,
  ServiceSettings,
  validateEnvironment,
} from './service-settings';

class ExampleSettings extends ServiceSettings {
  override PORT: number = 8009;

  @IsString()
  @Secret()
  WEBHOOK_KEY: string = '';
}

class NamedSettings extends ServiceSettings {
  @IsModelName()
  MODEL_NAME: string = 'churn_model';

  @IsAliasName()
  MODEL_ALIAS: string = 'production';

  @Matches(/^postgres:\/\/[^:]+:[^@]+@[a-z]+\/[a-z]+$/, { message: '$property must be a short PostgreSQL URL' })
  @Redacted()
  STORE_URL: string = 'postgres://app:default-password@db/log';
}

class LeakySettings extends ServiceSettings {
  @IsString()
  @Secret()
  ADMIN_TOKEN: string = 'changeme';
}

describe('validateEnvironment', () => {
  it('applies defaults, converts numbers and ignores undeclared variables', () => {
    const settings = validateEnvironment(ExampleSettings, { PORT: '9001', HOME: '/root', API_TOKENS: '' });
    expect(settings).toMatchObject({
      PORT: 9001,
      HOST: '0.0.0.0',
      API_TOKENS: '',
      WEBHOOK_KEY: '',
      LOG_FORMAT: 'text',
    });
    expect(settings).not.toHaveProperty('HOME');
    expect(validateEnvironment(ExampleSettings, {}).PORT).toBe(8009);
  });

  it('names every bad variable; a secret by name only', () => {
    const attempt = () =>
      validateEnvironment(ExampleSettings, { PORT: 'eighty', API_TOKENS: 'a:viewer:short-s3cret' }, () => [
        'extra rule',
      ]);
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(
      'invalid configuration: PORT must not be greater than 65535, PORT must not be less than 1, PORT must be an integer number (got "eighty"); API_TOKENS entry 1 ("a") needs a token of at least 16 characters; extra rule',
    );
    expect(attempt).not.toThrow(/s3cret/);
    expect(() => validateEnvironment(ExampleSettings, { MLFLOW_TRACKING_URI: 'localhost:5000' })).toThrow(
      'invalid configuration: MLFLOW_TRACKING_URI must be a URL address (got "localhost:5000")',
    );
  });

  it('holds every single-secret setting to the token rule: 16+ characters, not one of API_TOKENS', () => {
    const key = 'webhook-key-0123456789';
    expect(validateEnvironment(ExampleSettings, { WEBHOOK_KEY: key }).WEBHOOK_KEY).toBe(key);
    expect(() => validateEnvironment(ExampleSettings, { WEBHOOK_KEY: 'short-key' })).toThrow(
      'invalid configuration: WEBHOOK_KEY must be at least 16 characters',
    );
    const reused = () => validateEnvironment(ExampleSettings, { WEBHOOK_KEY: key, API_TOKENS: `ops:viewer:${key}` });
    expect(reused).toThrow('WEBHOOK_KEY must differ from the token of API_TOKENS entry "ops"');
    expect(reused).not.toThrow(/0123456789/);
  });

  it('knows the secrets of a class, inherited ones included, and refuses a secret with a default', () => {
    expect([...secretSettingsOf(ExampleSettings)].sort()).toEqual(['API_TOKENS', 'WEBHOOK_KEY']);
    expect(() => validateEnvironment(LeakySettings, {})).toThrow(
      'LeakySettings.ADMIN_TOKEN is secret and must not have a default',
    );
  });

  it('has the documented HTTP limits, reads them, and refuses a headers timeout above the request timeout', () => {
    expect(validateEnvironment(ExampleSettings, {})).toMatchObject({
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 65_000,
      HTTP_MAX_CONNECTIONS: 10_000,
      BODY_LIMIT_BYTES: 1_048_576,
    });
    expect(
      validateEnvironment(ExampleSettings, {
        HTTP_HEADERS_TIMEOUT_MS: '500',
        HTTP_REQUEST_TIMEOUT_MS: '500',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '700',
        HTTP_MAX_CONNECTIONS: '3',
      }),
    ).toMatchObject({
      HTTP_HEADERS_TIMEOUT_MS: 500,
      HTTP_REQUEST_TIMEOUT_MS: 500,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 700,
      HTTP_MAX_CONNECTIONS: 3,
    });
    const refusal = (environment: Record<string, string>) => () => validateEnvironment(ExampleSettings, environment);
    expect(refusal({ HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toThrow(
      'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (1000) (got "2000")',
    );
    expect(refusal({ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon' })).toThrow(
      /HTTP_KEEP_ALIVE_TIMEOUT_MS must be an integer number/,
    );
    expect(refusal({ HTTP_MAX_CONNECTIONS: '0' })).toThrow(/HTTP_MAX_CONNECTIONS must not be less than 1/);
    expect(refusal({ HTTP_REQUEST_TIMEOUT_MS: '10' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS must not be less than 100/);
  });

  it("takes MLflow names by mlflow-client's rules, naming the problem", () => {
    expect(validateEnvironment(NamedSettings, { MODEL_NAME: 'churn.v2', MODEL_ALIAS: '1st-choice' })).toMatchObject({
      MODEL_NAME: 'churn.v2',
      MODEL_ALIAS: '1st-choice',
    });
    expect(() => validateEnvironment(NamedSettings, { MODEL_NAME: '../etc' })).toThrow(
      'invalid configuration: MODEL_NAME must be a registered model name (letters, digits, _ . -) (got "../etc")',
    );
    expect(() => validateEnvironment(NamedSettings, { MODEL_ALIAS: 'v3' })).toThrow(
      `MODEL_ALIAS 'v3' is reserved by MLflow for version references (got "v3")`,
    );
    expect(() => validateEnvironment(NamedSettings, { MODEL_ALIAS: 'prod alias' })).toThrow(
      /MODEL_ALIAS 'prod alias' may only contain ASCII letters, digits/,
    );
  });

  it('never echoes a redacted setting, which may have a default and follows no token rule', () => {
    expect(validateEnvironment(NamedSettings, {}).STORE_URL).toBe('postgres://app:default-password@db/log');
    expect(validateEnvironment(NamedSettings, { STORE_URL: 'postgres://a:b@db/log' }).STORE_URL).toBe(
      'postgres://a:b@db/log',
    );
    const refused = () => validateEnvironment(NamedSettings, { STORE_URL: 'postgres://app:hunter2@db:5432/log' });
    expect(refused).toThrow('invalid configuration: STORE_URL must be a short PostgreSQL URL');
    expect(refused).not.toThrow(/hunter2/);
    expect(secretSettingsOf(NamedSettings).has('STORE_URL')).toBe(false);
  });
});
