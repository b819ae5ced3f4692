import { validateRegistryAdminConfig } from './registry-admin.config';

describe('validateRegistryAdminConfig', () => {
  it('applies the embedded defaults when nothing is set', () => {
    const config = validateRegistryAdminConfig({});
    expect(config.PORT).toBe(8001);
    expect(config.MLFLOW_TRACKING_URI).toBe('http://127.0.0.1:5000');
    expect(config.MODEL_NAME).toBe('churn_model');
  });

  it('converts PORT from the environment string', () => {
    expect(validateRegistryAdminConfig({ PORT: '9123' }).PORT).toBe(9123);
  });

  it('names the variable, its problem and its value when a setting is bad', () => {
    expect(() => validateRegistryAdminConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer number \(got "eighty"\)/);
    expect(() => validateRegistryAdminConfig({ MLFLOW_TRACKING_URI: 'localhost:5000' })).toThrow(/MLFLOW_TRACKING_URI must be a URL address/);
    expect(() => validateRegistryAdminConfig({ MODEL_NAME: '../etc' })).toThrow(/MODEL_NAME must be a registered model name/);
  });

  it('ignores unrelated environment variables', () => {
    expect(validateRegistryAdminConfig({ HOME: '/root', PATH: '/bin' })).not.toHaveProperty('HOME');
  });
});
