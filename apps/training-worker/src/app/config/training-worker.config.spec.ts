import { validateTrainingWorkerConfig } from './training-worker.config';

describe('validateTrainingWorkerConfig', () => {
  it('applies the embedded defaults when nothing is set', () => {
    const config = validateTrainingWorkerConfig({});
    expect(config.PORT).toBe(8002);
    expect(config.MLFLOW_TRACKING_URI).toBe('http://127.0.0.1:5000');
    expect(config.MODEL_NAME).toBe('churn_model');
    expect(config.EXPERIMENT_NAME).toBe('churn');
    expect(config.JOB_CONCURRENCY).toBe(1);
    expect(config.SYNTHETIC_ROWS).toBe(5000);
    expect(config.API_TOKENS).toBe('');
    expect(config.DEFAULT_DATA).toBeUndefined();
    expect(config.WORKER_ID).toMatch(/^\S+$/);
  });

  it('reads the job settings', () => {
    const config = validateTrainingWorkerConfig({
      JOB_CONCURRENCY: '2',
      WORKER_ID: 'pod-1',
      DEFAULT_DATA: 'data/telco.csv',
      SYNTHETIC_ROWS: '1000',
    });
    expect(config).toMatchObject({
      JOB_CONCURRENCY: 2,
      WORKER_ID: 'pod-1',
      DEFAULT_DATA: 'data/telco.csv',
      SYNTHETIC_ROWS: 1000,
    });
  });

  it('names a bad API_TOKENS entry without echoing the value', () => {
    expect(() => validateTrainingWorkerConfig({ API_TOKENS: 'ci:admin:secret-value-0001' })).toThrow(
      /API_TOKENS entry 1 \("ci"\) has unknown role "admin"/,
    );
    expect(() => validateTrainingWorkerConfig({ API_TOKENS: 'ci:admin:secret-value-0001' })).not.toThrow(
      /secret-value/,
    );
  });

  it('names the variable, its problem and its value when a setting of its own is bad', () => {
    expect(() => validateTrainingWorkerConfig({ MODEL_NAME: '../etc' })).toThrow(
      /MODEL_NAME must be a registered model/,
    );
    expect(() => validateTrainingWorkerConfig({ JOB_CONCURRENCY: '0' })).toThrow(
      /JOB_CONCURRENCY must not be less than 1 \(got "0"\)/,
    );
    expect(() => validateTrainingWorkerConfig({ WORKER_ID: 'a b' })).toThrow(/WORKER_ID must be letters/);
    expect(() => validateTrainingWorkerConfig({ SYNTHETIC_ROWS: 'many' })).toThrow(
      /SYNTHETIC_ROWS must be an integer number/,
    );
  });

  it('has the documented heartbeat and lease, and refuses a lease shorter than three heartbeats', () => {
    expect(validateTrainingWorkerConfig({})).toMatchObject({ JOB_HEARTBEAT_MS: 15_000, JOB_LEASE_MS: 120_000 });
    expect(validateTrainingWorkerConfig({ JOB_HEARTBEAT_MS: '500', JOB_LEASE_MS: '1500' })).toMatchObject({
      JOB_HEARTBEAT_MS: 500,
      JOB_LEASE_MS: 1500,
    });
    expect(() => validateTrainingWorkerConfig({ JOB_HEARTBEAT_MS: '1000', JOB_LEASE_MS: '2999' })).toThrow(
      'JOB_LEASE_MS must be at least 3 × JOB_HEARTBEAT_MS (3000) (got "2999")',
    );
    expect(() => validateTrainingWorkerConfig({ JOB_LEASE_MS: '40000' })).toThrow(
      /JOB_LEASE_MS must be at least 3 × JOB_HEARTBEAT_MS \(45000\)/,
    );
    expect(() => validateTrainingWorkerConfig({ JOB_HEARTBEAT_MS: 'often' })).toThrow(
      /JOB_HEARTBEAT_MS must be an integer number/,
    );
  });
});
