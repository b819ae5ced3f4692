import { validateInferenceApiConfig } from './inference-api.config';

describe('validateInferenceApiConfig', () => {
  it('applies the embedded defaults when nothing is set', () => {
    const config = validateInferenceApiConfig({});
    expect(config.PORT).toBe(8000);
    expect(config.INTERNAL_PORT).toBe(9000);
    expect(config.MLFLOW_TRACKING_URI).toBe('http://127.0.0.1:5000');
    expect(config.MODEL_NAME).toBe('churn_model');
  });

  it('refuses an internal listener on the public port', () => {
    expect(() => validateInferenceApiConfig({ PORT: '9000' })).toThrow(
      /INTERNAL_PORT must differ from PORT \(the public listener\)/,
    );
    expect(validateInferenceApiConfig({ PORT: '9000', INTERNAL_PORT: '9001' }).INTERNAL_PORT).toBe(9001);
  });

  it("checks API_TOKENS under every app's rules, naming the entry and never its token", () => {
    expect(validateInferenceApiConfig({ API_TOKENS: 'ops:viewer:0123456789abcdef' }).API_TOKENS).toBe(
      'ops:viewer:0123456789abcdef',
    );
    const refused = () => validateInferenceApiConfig({ API_TOKENS: 'ops:viewer:short-secret' });
    expect(refused).toThrow(/API_TOKENS entry 1 \("ops"\) needs a token of at least 16 characters/);
    expect(refused).not.toThrow(/short-secret/);
  });
});

describe('validateInferenceApiConfig: serving settings', () => {
  it('has the documented defaults', () => {
    const config = validateInferenceApiConfig({});
    expect(config).toMatchObject({
      MODEL_ALIAS: 'production',
      MODEL_CACHE_MAX_VERSIONS: 5,
      POLL_INTERVAL_MS: 1000,
      MAX_BATCH_ROWS: 1000,
      BODY_LIMIT_BYTES: 1024 * 1024,
      INFERENCE_ADMIN_TOKEN: '',
      MLFLOW_WEBHOOK_SECRET: '',
    });
    expect(config.MODEL_CACHE_DIR).toMatch(/churn-model-cache$/);
  });

  it('accepts POLL_INTERVAL_MS=0 (polling off) and refuses negative or non-integer values', () => {
    expect(validateInferenceApiConfig({ POLL_INTERVAL_MS: '0' }).POLL_INTERVAL_MS).toBe(0);
    expect(() => validateInferenceApiConfig({ POLL_INTERVAL_MS: '-1' })).toThrow(
      /POLL_INTERVAL_MS must not be less than 0/,
    );
    expect(() => validateInferenceApiConfig({ MAX_BATCH_ROWS: '1.5' })).toThrow(
      /MAX_BATCH_ROWS must be an integer number/,
    );
    expect(() => validateInferenceApiConfig({ MODEL_CACHE_MAX_VERSIONS: '0' })).toThrow(
      /MODEL_CACHE_MAX_VERSIONS must not be less than 1/,
    );
  });

  it('never echoes a secret in its message', () => {
    expect(() =>
      validateInferenceApiConfig({ INFERENCE_ADMIN_TOKEN: 'top-secret', MLFLOW_WEBHOOK_SECRET: 'hmac-key', PORT: 'x' }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringMatching(/top-secret|hmac-key/) }));
    const webhook = () => validateInferenceApiConfig({ DRIFT_ALERT_WEBHOOK_URL: 'hooks.example/T0/B0/s3cr3t' });
    expect(webhook).toThrow('DRIFT_ALERT_WEBHOOK_URL must be a URL address');
    expect(webhook).not.toThrow(/s3cr3t/);
  });

  it("takes MODEL_NAME and MODEL_ALIAS by MLflow's rules", () => {
    expect(validateInferenceApiConfig({ MODEL_ALIAS: '1st-choice' }).MODEL_ALIAS).toBe('1st-choice');
    expect(() => validateInferenceApiConfig({ MODEL_ALIAS: 'latest' })).toThrow(
      "MODEL_ALIAS 'latest' is reserved by MLflow",
    );
    expect(() => validateInferenceApiConfig({ MODEL_NAME: '../etc' })).toThrow(
      /MODEL_NAME must be a registered model name/,
    );
  });
});

describe('validateInferenceApiConfig: prediction log and experiment settings', () => {
  it('has the documented defaults: a SQLite file in the temp folder, logging on, feedback closed until a token is set', () => {
    const config = validateInferenceApiConfig({});
    expect(config).toMatchObject({
      PREDICTION_LOG_ENABLED: true,
      PREDICTION_LOG_QUEUE_ROWS: 100_000,
      PREDICTION_LOG_BATCH_ROWS: 500,
      PREDICTION_LOG_FLUSH_MS: 200,
      PREDICTION_LOG_JSONL_PATH: '',
      PREDICTION_LOG_JSONL_MAX_BYTES: 100 * 1024 * 1024,
      PREDICTION_LOG_JSONL_KEEP: 5,
      PREDICTION_RETENTION_DAYS: 30,
      FEEDBACK_WINDOW_SECONDS: 30 * 86_400,
      FEEDBACK_TOKEN: '',
      SHADOW_QUEUE_SIZE: 1000,
    });
    expect(config.INFERENCE_STORE_URL).toMatch(/^sqlite:.*churn-inference.predictions\.db$/);
    expect(config.REPLICA_ID).toMatch(/:\d+$/);
  });

  it('reads PREDICTION_LOG_ENABLED=false as false and refuses other words', () => {
    expect(validateInferenceApiConfig({ PREDICTION_LOG_ENABLED: 'false' }).PREDICTION_LOG_ENABLED).toBe(false);
    expect(() => validateInferenceApiConfig({ PREDICTION_LOG_ENABLED: 'off' })).toThrow(
      /PREDICTION_LOG_ENABLED must be true or false/,
    );
  });

  it('refuses a store URL it cannot open, naming the setting and hiding the value', () => {
    expect(() => validateInferenceApiConfig({ INFERENCE_STORE_URL: 'mysql://app:pw@db/log' })).toThrow(
      /INFERENCE_STORE_URL has the unsupported scheme mysql/,
    );
    expect(() => validateInferenceApiConfig({ INFERENCE_STORE_URL: 'sqlite:///tmp/p.db' })).toThrow(
      /INFERENCE_STORE_URL uses the ambiguous form sqlite:\/\//,
    );
    expect(() => validateInferenceApiConfig({ INFERENCE_STORE_URL: 'mysql://app:pw@db/log' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('pw@') }),
    );
    expect(
      validateInferenceApiConfig({ INFERENCE_STORE_URL: 'postgres://app:pw@db:5432/log' }).INFERENCE_STORE_URL,
    ).toBe('postgres://app:pw@db:5432/log');
  });

  it('refuses nonsense sizes and windows', () => {
    expect(() => validateInferenceApiConfig({ SHADOW_QUEUE_SIZE: '0' })).toThrow(
      /SHADOW_QUEUE_SIZE must not be less than 1/,
    );
    expect(() => validateInferenceApiConfig({ FEEDBACK_WINDOW_SECONDS: 'a week' })).toThrow(
      /FEEDBACK_WINDOW_SECONDS must be a number/,
    );
    expect(() => validateInferenceApiConfig({ REPLICA_ID: 'has space' })).toThrow(
      /REPLICA_ID must be 1 to 200 visible ASCII characters/,
    );
  });
});
