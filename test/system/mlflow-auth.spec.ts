import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MlflowClient, MlflowError, PermissionDeniedError, UnauthenticatedError } from '@churn/mlflow-client';

import {
  clientAs,
  freshCredentials,
  initEnvironment,
  runInit,
  secretFor,
  startAuthMlflow,
  type AppCredentials,
} from './support/auth-mlflow';
import { MlflowServer } from './support/mlflow-server';

// MLflow's basic-auth app configured as the deployment ships it, set up by the deployment's init
// step, then driven with each app's own MLflow credentials through the client the apps use. Every
// refusal asserted here is MLflow's own 403: these rights do not depend on any app behaving.

const MODEL = 'churn_model';
const EXPERIMENT = 'churn';
const AUDIT = `${MODEL}.alias-audit`;
const RECEIVER = 'http://127.0.0.1:9/webhooks/mlflow';
// Observed: an init run takes 20-50 s on a loaded 2-core machine (every request checks a password hash).
const INIT_TIMEOUT_MS = 240_000;

let dataDir: string;
let server: MlflowServer;
let credentials: AppCredentials;
let webhookSecret: string;
let firstRun: { code: number | null; output: string };

const admin = () => clientAs(server.url, credentials.admin);
const as = (app: 'inference-api' | 'training-worker' | 'registry-admin') => clientAs(server.url, credentials[app]);
const env = () => initEnvironment(server.url, credentials, { url: 'http://127.0.0.1:9', secret: webhookSecret });

/** The call's MlflowError; fails the test when the call succeeds. */
async function failureOf(call: Promise<unknown>): Promise<MlflowError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome === undefined) throw new Error('expected MLflow to refuse the call, but it succeeded');
  if (!(outcome instanceof MlflowError)) throw outcome;
  return outcome;
}

async function expectForbidden(what: string, call: Promise<unknown>): Promise<void> {
  const error = await failureOf(call);
  expect({ what, error: error.name, status: error.status }).toEqual({
    what,
    error: PermissionDeniedError.name,
    status: 403,
  });
}

async function experimentId(name: string): Promise<string> {
  return (await admin().experiments.getByName(name)).experiment_id;
}

/** A run with one artifact under `model/`, registered as a new version by training-worker's user. */
async function registerVersion(): Promise<{ runId: string; version: string; source: string }> {
  const worker = as('training-worker');
  const run = await worker.runs.create({ experiment_id: await experimentId(EXPERIMENT) });
  const file = join(dataDir, 'MLmodel');
  writeFileSync(file, 'flavors: {}\n');
  await worker.artifacts.logFile({ run_id: run.info.run_id, local_path: file, artifact_path: 'model' });
  const source = `${run.info.artifact_uri}/model`;
  const created = await worker.modelVersions.create({
    name: MODEL,
    source,
    run_id: run.info.run_id,
    tags: { gate_passed: 'true' },
  });
  await worker.modelVersions.waitUntilReady({ name: MODEL, version: created.version }, { timeoutMs: 60_000 });
  return { runId: run.info.run_id, version: created.version, source };
}

/** The auth app's grant API, as an admin (or a user holding MANAGE on the resource) calls it. */
async function grant(client: MlflowClient, username: string, resource: [string, string], permission: string) {
  await client.transport.json({
    method: 'POST',
    path: '/api/3.0/mlflow/users/permissions/grant',
    json: { username, resource_type: resource[0], resource_id: resource[1], permission },
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'churn-mlflow-auth-'));
  credentials = freshCredentials();
  webhookSecret = secretFor('webhook');
  server = await startAuthMlflow(join(dataDir, 'mlflow'), credentials.admin);
  firstRun = await runInit(env());
}, 200_000 + INIT_TIMEOUT_MS);

afterAll(() => {
  server?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the init step (docker/mlflow/init_mlflow.py) against MLflow with its basic-auth app', () => {
  it('creates the experiments, the model, one user per app with its grants, and the webhook', async () => {
    expect({ code: firstRun.code, output: firstRun.output }).toMatchObject({ code: 0 });
    for (const line of [
      `experiment '${EXPERIMENT}': created`,
      `experiment '${AUDIT}': created`,
      `registered model '${MODEL}': created`,
      "user 'inference-api' (inference-api): created",
      "user 'training-worker' (training-worker): created",
      "user 'registry-admin' (registry-admin): created",
      `-> ${RECEIVER}: created`,
      '[mlflow-init] done',
    ])
      expect(firstRun.output).toContain(line);

    const webhooks = await admin().webhooks.list().toArray();
    expect(webhooks).toEqual([
      expect.objectContaining({
        url: RECEIVER,
        status: 'ACTIVE',
        events: expect.arrayContaining([
          { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
          { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' },
        ]),
      }),
    ]);
    expect(webhooks[0].events).toHaveLength(2);
    // No password reaches the output.
    for (const secret of [webhookSecret, ...Object.values(credentials).map((c) => c.password)])
      expect(firstRun.output.includes(secret)).toBe(false);
  });

  it(
    'changes nothing when run again (every grant already as planned, one webhook)',
    async () => {
      const again = await runInit(env());
      expect({ code: again.code, output: again.output }).toMatchObject({ code: 0 });
      expect(again.output).not.toMatch(/: created|-> (READ|EDIT|MANAGE|none)$/m);
      expect(again.output).toContain(`experiment '${EXPERIMENT}' (id ${await experimentId(EXPERIMENT)}): exists`);
      expect(again.output).toContain(`registered model '${MODEL}': exists`);
      expect(await admin().webhooks.list().toArray()).toHaveLength(1);
    },
    INIT_TIMEOUT_MS,
  );

  it.each([
    ['INFERENCE_API_MLFLOW_PASSWORD', '', 'INFERENCE_API_MLFLOW_PASSWORD is required'],
    [
      'TRAINING_WORKER_MLFLOW_PASSWORD',
      'short-secret',
      'TRAINING_WORKER_MLFLOW_PASSWORD must be at least 16 characters',
    ],
    ['MLFLOW_WEBHOOK_SECRET', 'short', 'MLFLOW_WEBHOOK_SECRET must be at least 16 characters'],
    [
      'INFERENCE_WEBHOOK_URL',
      'http://user:pw@inference-api:9000',
      'INFERENCE_WEBHOOK_URL must not contain credentials',
    ],
    ['REGISTRY_ADMIN_MLFLOW_USERNAME', 'training-worker', 'four different names'],
  ])('refuses %s=%j with exit code 2 and a message naming it, before any change', async (name, value, message) => {
    const run = await runInit({ ...env(), [name]: value, INFERENCE_API_MLFLOW_USERNAME: 'never-created' });
    expect({ code: run.code, output: run.output }).toEqual({
      code: 2,
      output: expect.stringMatching(new RegExp(`^mlflow-init: invalid configuration: .*${message}`, 'm')),
    });
    const lookup = await failureOf(
      admin().transport.json({
        method: 'GET',
        path: '/api/2.0/mlflow/users/get',
        query: { username: 'never-created' },
      }),
    );
    expect(lookup.status).toBe(404);
  });

  it(
    'exits 1 on a wrong admin password, saying MLflow refused it, without printing it',
    async () => {
      const wrong = secretFor('wrong-admin');
      const run = await runInit({ ...env(), MLFLOW_TRACKING_PASSWORD: wrong });
      expect(run.code).toBe(1);
      expect(run.output).toMatch(/mlflow-init: .*401/);
      expect(run.output.includes(wrong)).toBe(false);
    },
    INIT_TIMEOUT_MS,
  );
});

describe('what each app’s MLflow user may do, as MLflow itself decides', () => {
  it('no credentials: 401; a signed-in user with no grant: 403 (default_permission NO_PERMISSIONS)', async () => {
    const anonymous = await failureOf(clientAs(server.url).registeredModels.get(MODEL));
    expect(anonymous).toBeInstanceOf(UnauthenticatedError);
    const stranger = { username: 'stranger', password: secretFor('stranger') };
    await admin().transport.json({ method: 'POST', path: '/api/2.0/mlflow/users/create', json: stranger });
    await expectForbidden('stranger reads the model', clientAs(server.url, stranger).registeredModels.get(MODEL));
    await expectForbidden(
      'stranger reads the experiment',
      clientAs(server.url, stranger).experiments.getByName(EXPERIMENT),
    );
  });

  it('inference-api reads and downloads what it serves; MLflow refuses it every write', async () => {
    const { runId, version, source } = await registerVersion();
    await admin().registeredModels.setAlias({ name: MODEL, alias: 'production', version });
    const inference = as('inference-api');
    await expect(
      inference.registeredModels.getVersionByAlias({ name: MODEL, alias: 'production' }),
    ).resolves.toMatchObject({ version });
    await expect(inference.registeredModels.get(MODEL)).resolves.toMatchObject({ name: MODEL });
    expect((await inference.artifacts.readBytes(`${source}/MLmodel`)).toString()).toBe('flavors: {}\n');

    await expectForbidden(
      'inference-api moves production',
      inference.registeredModels.setAlias({ name: MODEL, alias: 'production', version }),
    );
    await expectForbidden(
      'inference-api deletes production',
      inference.registeredModels.deleteAlias({ name: MODEL, alias: 'production' }),
    );
    await expectForbidden(
      'inference-api creates a version',
      inference.modelVersions.create({ name: MODEL, source, run_id: runId }),
    );
    await expectForbidden(
      'inference-api sets a traffic tag',
      inference.registeredModels.setTag({ name: MODEL, key: 'traffic.challenger_share', value: '1' }),
    );
    await expectForbidden(
      'inference-api rewrites a gate tag',
      inference.modelVersions.setTag({ name: MODEL, version, key: 'gate_passed', value: 'false' }),
    );
    await expectForbidden(
      'inference-api starts a run',
      inference.runs.create({ experiment_id: await experimentId(EXPERIMENT) }),
    );
    await expectForbidden('inference-api reads the audit', inference.experiments.getByName(AUDIT));
    expect((await admin().registeredModels.getVersionByAlias({ name: MODEL, alias: 'production' })).version).toBe(
      version,
    );
  });

  it('training-worker tracks runs and creates versions; MLflow refuses it version edits, deletes and the audit', async () => {
    const { runId, version } = await registerVersion();
    const worker = as('training-worker');
    await expect(worker.runs.get(runId)).resolves.toMatchObject({ info: { run_id: runId } });
    await expectForbidden(
      'training-worker rewrites a gate tag',
      worker.modelVersions.setTag({ name: MODEL, version, key: 'gate_passed', value: 'false' }),
    );
    await expectForbidden('training-worker deletes a version', worker.modelVersions.delete({ name: MODEL, version }));
    await admin().registeredModels.setAlias({ name: MODEL, alias: 'staging', version });
    await expectForbidden(
      'training-worker deletes an alias',
      worker.registeredModels.deleteAlias({ name: MODEL, alias: 'staging' }),
    );
    await expectForbidden(
      'training-worker writes a run into the audit',
      worker.runs.create({ experiment_id: await experimentId(AUDIT) }),
    );
    await expectForbidden('training-worker reads the audit', worker.experiments.getByName(AUDIT));
  });

  it('registry-admin moves and deletes aliases, sets traffic, deletes versions, writes the audit; not more', async () => {
    const { version } = await registerVersion();
    const registry = as('registry-admin');
    await registry.registeredModels.setAlias({ name: MODEL, alias: 'challenger', version });
    await registry.registeredModels.setTag({ name: MODEL, key: 'traffic.challenger_share', value: '0.1' });
    await registry.registeredModels.deleteAlias({ name: MODEL, alias: 'challenger' });
    await registry.modelVersions.delete({ name: MODEL, version });

    const record = await registry.runs.create({ experiment_id: await experimentId(AUDIT) });
    await registry.runs.setTag({ run_id: record.info.run_id, key: 'audit.outcome', value: 'committed' });
    await expectForbidden(
      'registry-admin deletes an audit record',
      registry.transport.json({
        method: 'POST',
        path: '/api/2.0/mlflow/runs/delete',
        json: { run_id: record.info.run_id },
      }),
    );
    await expectForbidden(
      'registry-admin writes a training run',
      registry.runs.create({ experiment_id: await experimentId(EXPERIMENT) }),
    );
    await expectForbidden('registry-admin lists webhooks (admins only)', registry.webhooks.list().toArray());
  });

  it('known residual risks (README): MLflow cannot separate these rights, so each holder has them', async () => {
    const { runId, version, source } = await registerVersion();
    // Creating versions needs EDIT on the model, and EDIT also moves aliases and sets the model's tags.
    await as('training-worker').registeredModels.setAlias({ name: MODEL, alias: 'production', version });
    await as('training-worker').registeredModels.setTag({ name: MODEL, key: 'traffic.shadow', value: 'true' });
    // Deleting aliases and versions needs MANAGE, which also creates versions and grants rights on the model.
    await as('registry-admin').modelVersions.create({ name: MODEL, source, run_id: runId });
    const accomplice = { username: 'accomplice', password: secretFor('accomplice') };
    await admin().transport.json({ method: 'POST', path: '/api/2.0/mlflow/users/create', json: accomplice });
    await grant(as('registry-admin'), accomplice.username, ['registered_model', MODEL], 'MANAGE');
    await clientAs(server.url, accomplice).registeredModels.deleteAlias({ name: MODEL, alias: 'production' });
  });

  it(
    'a second run restores a tampered grant and rotates a changed password',
    async () => {
      const inference = credentials['inference-api'];
      await admin().transport.json({
        method: 'POST',
        path: '/api/3.0/mlflow/users/permissions/revoke',
        json: { username: inference.username, resource_type: 'registered_model', resource_id: MODEL },
      });
      await grant(admin(), inference.username, ['registered_model', MODEL], 'EDIT');
      const { version } = await registerVersion();
      await as('inference-api').registeredModels.setAlias({ name: MODEL, alias: 'staging', version });

      const previous = { ...inference };
      credentials['inference-api'] = { ...inference, password: secretFor('inference-rotated') };
      const run = await runInit(env());
      expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
      expect(run.output).toContain(`grant ${inference.username} on registered_model ${MODEL}: EDIT -> READ`);

      await expectForbidden(
        'inference-api moves staging after the re-run',
        as('inference-api').registeredModels.setAlias({ name: MODEL, alias: 'staging', version }),
      );
      await expect(as('inference-api').registeredModels.get(MODEL)).resolves.toMatchObject({ name: MODEL });
      const stale = await failureOf(clientAs(server.url, previous).registeredModels.get(MODEL));
      expect(stale).toBeInstanceOf(UnauthenticatedError);
    },
    INIT_TIMEOUT_MS,
  );
});
