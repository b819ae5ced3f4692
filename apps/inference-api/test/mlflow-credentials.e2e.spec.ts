import { MlflowClient } from '@churn/mlflow-client';

import { MLFLOW_ENVIRONMENT } from '../src/app/config/mlflow-environment.module';
import { startApp } from './support/app-harness';

// MLflow's credential variables are read from the environment the app is built for, like every
// other setting: two apps in one process can talk to MLflow as different users, and a variable
// left in process.env never leaks into an app that was not given it. (The suites' shared MLflow
// runs without auth and ignores credentials; the client's own tests show they are sent.)

const TRACKING_URI = process.env['MLFLOW_TRACKING_URI'];
const PROCESS_TOKEN = 'token-in-process-env-only';

describe("inference-api's MLflow client", () => {
  beforeAll(() => {
    process.env['MLFLOW_TRACKING_TOKEN'] = PROCESS_TOKEN;
  });
  afterAll(() => {
    delete process.env['MLFLOW_TRACKING_TOKEN'];
  });

  it('takes its credentials from the environment the app is built for, not from process.env', async () => {
    const basic = await startApp({ MLFLOW_TRACKING_USERNAME: 'reader', MLFLOW_TRACKING_PASSWORD: 'reader-password' });
    const bearer = await startApp({ MLFLOW_TRACKING_TOKEN: 'token-of-this-app' });
    const none = await startApp({});
    try {
      expect(String(basic.app.get(MlflowClient))).toBe(`MlflowClient(${TRACKING_URI}, auth: basic)`);
      expect(String(bearer.app.get(MlflowClient))).toBe(`MlflowClient(${TRACKING_URI}, auth: bearer)`);
      expect(String(none.app.get(MlflowClient))).toBe(`MlflowClient(${TRACKING_URI}, auth: none)`);
      // Only MLflow's client variables are injectable, not the app's tokens or store URL beside them.
      expect(basic.app.get(MLFLOW_ENVIRONMENT)).toEqual({
        MLFLOW_TRACKING_USERNAME: 'reader',
        MLFLOW_TRACKING_PASSWORD: 'reader-password',
      });
    } finally {
      await Promise.all([basic.close(), bearer.close(), none.close()]);
    }
  });

  it('refuses to start with half of the basic credentials, naming the missing variable', async () => {
    await expect(startApp({ MLFLOW_TRACKING_USERNAME: 'reader' })).rejects.toThrow(
      'MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not',
    );
  });
});
