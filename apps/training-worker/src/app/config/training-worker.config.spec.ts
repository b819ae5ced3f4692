import { validateTrainingWorkerConfig } from './training-worker.config';

describe('validateTrainingWorkerConfig', () => {
  it('applies the embedded defaults when nothing is set', () => {
    const config = validateTrainingWorkerConfig({});
    expect(config.PORT).toBe(8002);
    expect(config.MLFLOW_TRACKING_URI).toBe('http://127.0.0.1:5000');
    expect(config.MODEL_NAME).toBe('churn_model');
  });

  it('converts PORT from the environment string', () => {
    expect(validateTrainingWorkerConfig({ PORT: '9123' }).PORT).toBe(9123);
  });

  it('names the variable, its problem and its value when a setting is bad', () => {
    expect(() => validateTrainingWorkerConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer number \(got "eighty"\)/);
    expect(() => validateTrainingWorkerConfig({ MLFLOW_TRACKING_URI: 'localhost:5000' })).toThrow(/MLFLOW_TRACKING_URI must be a URL address/);
    expect(() => validateTrainingWorkerConfig({ MODEL_NAME: '../etc' })).toThrow(/MODEL_NAME must be a registered model name/);
  });

  it('ignores unrelated environment variables', () => {
    expect(validateTrainingWorkerConfig({ HOME: '/root', PATH: '/bin' })).not.toHaveProperty('HOME');
  });
});
