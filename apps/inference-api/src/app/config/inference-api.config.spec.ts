import { validateInferenceApiConfig } from './inference-api.config';

describe('validateInferenceApiConfig', () => {
  it('applies the embedded defaults when nothing is set', () => {
    const config = validateInferenceApiConfig({});
    expect(config.PORT).toBe(8000);
    expect(config.MLFLOW_TRACKING_URI).toBe('http://127.0.0.1:5000');
    expect(config.MODEL_NAME).toBe('churn_model');
  });

  it('converts PORT from the environment string', () => {
    expect(validateInferenceApiConfig({ PORT: '9123' }).PORT).toBe(9123);
  });

  it('names the variable, its problem and its value when a setting is bad', () => {
    expect(() => validateInferenceApiConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer number \(got "eighty"\)/);
    expect(() => validateInferenceApiConfig({ MLFLOW_TRACKING_URI: 'localhost:5000' })).toThrow(/MLFLOW_TRACKING_URI must be a URL address/);
    expect(() => validateInferenceApiConfig({ MODEL_NAME: '../etc' })).toThrow(/MODEL_NAME must be a registered model name/);
  });

  it('ignores unrelated environment variables', () => {
    expect(validateInferenceApiConfig({ HOME: '/root', PATH: '/bin' })).not.toHaveProperty('HOME');
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
    expect(() => validateInferenceApiConfig({ POLL_INTERVAL_MS: '-1' })).toThrow(/POLL_INTERVAL_MS must not be less than 0/);
    expect(() => validateInferenceApiConfig({ MAX_BATCH_ROWS: '1.5' })).toThrow(/MAX_BATCH_ROWS must be an integer number/);
    expect(() => validateInferenceApiConfig({ MODEL_CACHE_MAX_VERSIONS: '0' })).toThrow(/MODEL_CACHE_MAX_VERSIONS must not be less than 1/);
  });

  it('never echoes a secret in its message', () => {
    expect(() => validateInferenceApiConfig({ INFERENCE_ADMIN_TOKEN: 'top-secret', MLFLOW_WEBHOOK_SECRET: 'hmac-key', PORT: 'x' })).toThrow(
      expect.objectContaining({ message: expect.not.stringMatching(/top-secret|hmac-key/) }),
    );
  });
});
