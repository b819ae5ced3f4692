// Authentication as a real MLflow server answers it: the suite starts its own server with MLflow's
// basic-auth app (the shared test server runs without auth) and drives it with credentials from
// MLflow's own environment variables. Also proves that no password or token reaches the printed
// forms of the client or of the errors it throws.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

import {
  MlflowClient,
  mlflowClientOptionsFromEnv,
  MlflowError,
  PermissionDeniedError,
  UnauthenticatedError,
  type Experiment,
} from '../../src';
import { randomPassword, startAuthServer, type AuthServer } from '../auth-server';
import { uniqueName } from '../support';

// Observed: ~45 s for the auth app's first start on a loaded 2-core machine; a failed start says why.
const START_TIMEOUT_MS = 150_000;

let server: AuthServer | undefined;

beforeAll(async () => {
  // READ is MLflow's shipped default: a signed-in user may read what nobody granted them anything
  // on, so the 403 below is the effect of the explicit DENY grant and nothing else.
  server = await startAuthServer({ defaultPermission: 'READ', startTimeoutMs: START_TIMEOUT_MS });
}, START_TIMEOUT_MS + 20_000);

afterAll(async () => {
  await server?.stop();
}, 20_000);

function running(): AuthServer {
  if (!server) throw new Error('the basic-auth MLflow server did not start (see beforeAll)');
  return server;
}

/** A client configured the way an app would be: from MLflow's environment variables only. */
function clientFromEnv(env: Record<string, string>, fetchImpl?: typeof fetch): MlflowClient {
  const options = mlflowClientOptionsFromEnv({
    MLFLOW_TRACKING_URI: running().url,
    MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
    ...env,
  });
  return new MlflowClient(fetchImpl ? { ...options, fetch: fetchImpl } : options);
}

function adminClient(): MlflowClient {
  const { adminUsername, adminPassword } = running();
  return clientFromEnv({ MLFLOW_TRACKING_USERNAME: adminUsername, MLFLOW_TRACKING_PASSWORD: adminPassword });
}

async function failureOf(call: Promise<unknown>): Promise<MlflowError> {
  const outcome = await call.then(
    (value: unknown) => ({ resolved: value }),
    (error: unknown) => ({ rejected: error }),
  );
  if (!('rejected' in outcome))
    throw new Error(`expected the call to fail, but it returned ${JSON.stringify(outcome.resolved)}`);
  if (!(outcome.rejected instanceof MlflowError)) throw outcome.rejected;
  return outcome.rejected;
}

/** The secret itself and the base64 `user:secret` an `Authorization: Basic` header would carry. */
function basicSecrets(username: string, password: string): string[] {
  return [password, Buffer.from(`${username}:${password}`, 'utf8').toString('base64')];
}

function clientForms(client: MlflowClient): Record<string, string> {
  return {
    'String(client)': String(client),
    'JSON.stringify(client)': JSON.stringify(client),
    'util.inspect(client)': inspect(client),
    // Past the custom inspector too: the credentials live in private fields, not just hidden by it.
    'util.inspect(client, { customInspect: false })': inspect(client, {
      customInspect: false,
      showHidden: true,
      depth: Infinity,
    }),
  };
}

function errorForms(error: Error): Record<string, string> {
  return {
    'error.message': error.message,
    'error.stack': error.stack ?? '',
    'JSON.stringify(error)': JSON.stringify(error),
    'util.inspect(error)': inspect(error, { showHidden: true, depth: Infinity }),
  };
}

/** Fails naming the printed form that leaks, without printing the secret itself. */
function expectNoSecretIn(forms: Record<string, string>, secrets: readonly string[]): void {
  for (const [form, text] of Object.entries(forms)) {
    secrets.forEach((secret, index) => {
      expect({ form, secret: `secret #${index}`, leaked: text.includes(secret) }).toEqual({
        form,
        secret: `secret #${index}`,
        leaked: false,
      });
    });
  }
}

describe('authentication against MLflow’s basic-auth app', () => {
  it('no credentials: UnauthenticatedError (401) naming the request, for reads and writes', async () => {
    const anonymous = clientFromEnv({});
    expect(anonymous.toJSON()).toEqual({ trackingUri: running().url, auth: 'none' });

    const read = await failureOf(anonymous.experiments.getByName('Default'));
    expect(read).toBeInstanceOf(UnauthenticatedError);
    expect(read).toMatchObject({
      status: 401,
      errorCode: undefined,
      request: { method: 'GET', path: '/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default' },
    });
    expect(read.message).toContain(
      'GET /api/2.0/mlflow/experiments/get-by-name?experiment_name=Default failed with HTTP 401',
    );
    expect(read.message).toContain('You are not authenticated');

    const write = await failureOf(anonymous.experiments.create({ name: uniqueName('anonymous') }));
    expect(write).toBeInstanceOf(UnauthenticatedError);
    expect(write).toMatchObject({
      status: 401,
      request: { method: 'POST', path: '/api/2.0/mlflow/experiments/create' },
    });
  });

  it('wrong password: 401, and the wrong password shows in neither the client nor the error', async () => {
    const { adminUsername } = running();
    const wrongPassword = randomPassword();
    const client = clientFromEnv({ MLFLOW_TRACKING_USERNAME: adminUsername, MLFLOW_TRACKING_PASSWORD: wrongPassword });

    const error = await failureOf(client.experiments.getByName('Default'));
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error).toMatchObject({
      status: 401,
      request: { method: 'GET', path: '/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default' },
    });

    const secrets = basicSecrets(adminUsername, wrongPassword);
    expectNoSecretIn(clientForms(client), secrets);
    expectNoSecretIn(errorForms(error), secrets);
  });

  it('MLFLOW_TRACKING_USERNAME/PASSWORD: create an experiment and a run, log a metric, read it back', async () => {
    const { adminUsername, adminPassword } = running();
    const admin = adminClient();
    expect(admin.toJSON()).toEqual({ trackingUri: running().url, auth: 'basic' });
    expectNoSecretIn(clientForms(admin), basicSecrets(adminUsername, adminPassword));

    const name = uniqueName('auth-tracking');
    const experimentId = await admin.experiments.create({ name });
    const run = await admin.runs.create({ experiment_id: experimentId });
    await admin.runs.logMetric({ run_id: run.info.run_id, key: 'auc', value: 0.8125, step: 3 });

    await expect(admin.experiments.get(experimentId)).resolves.toMatchObject<Partial<Experiment>>({
      experiment_id: experimentId,
      name,
    });
    const readBack = await admin.runs.get(run.info.run_id);
    expect(readBack.info.experiment_id).toBe(experimentId);
    expect(readBack.data.metrics).toEqual([expect.objectContaining({ key: 'auc', value: 0.8125, step: 3 })]);
  });

  it('a second user denied on the admin’s experiment: PermissionDeniedError (403) from the server', async () => {
    const admin = adminClient();
    const experimentId = await admin.experiments.create({ name: uniqueName('admin-only') });

    const analyst = uniqueName('analyst');
    const analystPassword = randomPassword();
    // The auth app's user-management REST API, which this client does not wrap: through the transport.
    await expect(
      admin.transport.json({
        method: 'POST',
        path: '/api/2.0/mlflow/users/create',
        json: { username: analyst, password: analystPassword },
      }),
    ).resolves.toMatchObject({ user: { username: analyst, is_admin: false } });
    const analystClient = clientFromEnv({
      MLFLOW_TRACKING_USERNAME: analyst,
      MLFLOW_TRACKING_PASSWORD: analystPassword,
    });

    // Signed in and allowed by default_permission = READ: the credentials work.
    await expect(analystClient.experiments.get(experimentId)).resolves.toMatchObject({ experiment_id: experimentId });

    // MLflow 3.17 grants per user through /api/3.0/.../users/permissions/grant (the 2.x
    // experiments/permissions endpoints are gone) and refuses NO_PERMISSIONS as a resource grant:
    // DENY is how one user is shut out of one experiment.
    await admin.transport.json({
      method: 'POST',
      path: '/api/3.0/mlflow/users/permissions/grant',
      json: { username: analyst, resource_type: 'experiment', resource_id: experimentId, permission: 'DENY' },
    });

    const read = await failureOf(analystClient.experiments.get(experimentId));
    expect(read).toBeInstanceOf(PermissionDeniedError);
    expect(read).toMatchObject({
      status: 403,
      errorCode: undefined,
      request: { method: 'GET', path: `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}` },
    });
    expect(read.message).toContain('Permission denied');

    const write = await failureOf(analystClient.runs.create({ experiment_id: experimentId }));
    expect(write).toBeInstanceOf(PermissionDeniedError);
    expect(write).toMatchObject({ status: 403, request: { method: 'POST', path: '/api/2.0/mlflow/runs/create' } });

    const secrets = basicSecrets(analyst, analystPassword);
    expectNoSecretIn(clientForms(analystClient), secrets);
    expectNoSecretIn(errorForms(read), secrets);
    expectNoSecretIn(errorForms(write), secrets);
  });

  it('MLFLOW_TRACKING_TOKEN: sends exactly `Authorization: Bearer <token>`, which the basic-auth app answers with 401', async () => {
    // Bearer tokens are for servers or proxies that accept them (Databricks, an OAuth/OIDC proxy in
    // front of MLflow). MLflow's basic-auth app reads basic credentials only: a bearer header parses
    // into credentials without a username, which it rejects like no credentials at all.
    const token = `tok-${randomBytes(16).toString('hex')}`;
    const sentAuthorization: Array<string | null> = [];
    // Records what goes over the wire and passes the request on to the real server unchanged.
    const recordingFetch: typeof fetch = (input, init) => {
      sentAuthorization.push(new Headers(init?.headers).get('authorization'));
      return fetch(input, init);
    };
    const client = clientFromEnv({ MLFLOW_TRACKING_TOKEN: token }, recordingFetch);
    expect(client.toJSON()).toEqual({ trackingUri: running().url, auth: 'bearer' });

    const error = await failureOf(client.experiments.getByName('Default'));
    expect(sentAuthorization).toEqual([`Bearer ${token}`]);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error).toMatchObject({
      status: 401,
      request: { method: 'GET', path: '/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default' },
    });

    expectNoSecretIn(clientForms(client), [token]);
    expectNoSecretIn(errorForms(error), [token]);
  });
});
