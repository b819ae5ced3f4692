import { validateRegistryAdminConfig } from './registry-admin.config';

describe('validateRegistryAdminConfig', () => {
  it('applies the embedded defaults when nothing is set', () => {
    const config = validateRegistryAdminConfig({});
    expect(config.PORT).toBe(8001);
    expect(config.MLFLOW_TRACKING_URI).toBe('http://127.0.0.1:5000');
    expect(config.MODEL_NAME).toBe('churn_model');
  });

  it('has the documented defaults for pushes, gates and the audit', () => {
    const config = validateRegistryAdminConfig({});
    expect(config).toMatchObject({
      MODEL_ALIAS: 'production',
      API_TOKENS: '',
      INFERENCE_URLS: '',
      PUSH_TIMEOUT_MS: 3000,
      PROMOTION_MAX_F1_DROP: 0.01,
      GATED_ALIASES: 'production,champion',
      AUDIT_EXPERIMENT_SUFFIX: '.alias-audit',
      AUDIT_PENDING_GRACE_MS: 60_000,
      REGISTRY_ACTOR: '',
      MLFLOW_WEBHOOK_SECRET: '',
    });
    expect(validateRegistryAdminConfig({ PROMOTION_MAX_F1_DROP: '0.02' }).PROMOTION_MAX_F1_DROP).toBe(0.02);
  });

  it('names bad tokens, push URLs, aliases and F1 drops without echoing secrets', () => {
    expect(() => validateRegistryAdminConfig({ API_TOKENS: 'alice:root:s3cret-token-0001' })).toThrow(
      'API_TOKENS entry 1 ("alice") has unknown role "root"',
    );
    expect(() => validateRegistryAdminConfig({ API_TOKENS: 'alice:root:s3cret-token-0001' })).not.toThrow(/s3cret/);
    expect(() => validateRegistryAdminConfig({ API_TOKENS: 'alice:viewer:s3cret-token' })).toThrow(
      'API_TOKENS entry 1 ("alice") needs a token of at least 16 characters',
    );
    expect(() => validateRegistryAdminConfig({ INFERENCE_URLS: 'http://a:8000,ftp://b' })).toThrow(
      'INFERENCE_URLS must list http(s) base URLs separated by commas (got "ftp://b")',
    );
    expect(() => validateRegistryAdminConfig({ MODEL_ALIAS: 'latest' })).toThrow(
      "MODEL_ALIAS 'latest' is reserved by MLflow",
    );
    expect(() => validateRegistryAdminConfig({ PROMOTION_MAX_F1_DROP: '2' })).toThrow(
      /PROMOTION_MAX_F1_DROP must not be greater than 1/,
    );
  });

  it("takes MODEL_NAME and MODEL_ALIAS by MLflow's rules", () => {
    expect(() => validateRegistryAdminConfig({ MODEL_NAME: '../etc' })).toThrow(
      /MODEL_NAME must be a registered model name/,
    );
    expect(() => validateRegistryAdminConfig({ MODEL_ALIAS: 'v3' })).toThrow(/MODEL_ALIAS 'v3' is reserved by MLflow/);
  });

  it('takes GATED_ALIASES as a comma-separated list of aliases MLflow takes, naming a bad one', () => {
    expect(validateRegistryAdminConfig({ GATED_ALIASES: ' production , 1st-choice ' }).GATED_ALIASES).toBe(
      ' production , 1st-choice ',
    );
    expect(() => validateRegistryAdminConfig({ GATED_ALIASES: 'production,v2' })).toThrow(
      "invalid configuration: GATED_ALIASES: alias 'v2' is reserved by MLflow for version references",
    );
    expect(() => validateRegistryAdminConfig({ GATED_ALIASES: ' , ' })).toThrow(
      'GATED_ALIASES must list alias names separated by commas (got " , ")',
    );
  });
});
