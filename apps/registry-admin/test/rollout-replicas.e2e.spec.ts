import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { registerTrainedVersion, testClient, uniqueName } from './support/registry-fixtures';
import { asAdmin, createTestApp } from './support/test-app';

interface RolloutJson {
  id: string;
  status: string;
  ended_because: string | null;
}

/**
 * Two registry-admin instances on one MLflow (#19: several replicas never drive one rollout twice):
 * two rollouts of one model started at the same moment on different instances leave exactly one
 * under way, and an abort sent to the instance that does not drive it is carried out by the driver.
 * No inference replica is configured, so the step's window never closes within the test.
 */
describe('rollouts across two registry-admin instances', () => {
  const mlflow = testClient();
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;

  beforeAll(async () => {
    first = await createTestApp({ ROLLOUT_LEASE_MS: '3000' });
    second = await createTestApp({ ROLLOUT_LEASE_MS: '3000' });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  async function call(app: NestFastifyApplication, method: 'GET' | 'POST', url: string, payload?: object) {
    const response = await app.inject({ method, url, headers: asAdmin, payload });
    return { status: response.statusCode, body: response.json() };
  }

  it('lets one of two simultaneous starts through and has its driver carry out an abort sent to the other instance', async () => {
    const model = uniqueName('rollout-race');
    await registerTrainedVersion(mlflow, model);
    await registerTrainedVersion(mlflow, model);
    await mlflow.registeredModels.setAlias({ name: model, alias: 'production', version: '1' });

    const plan = { to: '2', steps: [0.1], step_seconds: 60, min_requests: 1, reason: 'race' };
    const answers = await Promise.all(
      [first, second].map((app) => call(app, 'POST', `/models/${model}/rollouts`, plan)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const winner = answers.find((answer) => answer.status === 201)?.body as RolloutJson;
    const loser = answers.find((answer) => answer.status === 409)?.body as { detail: string };
    expect(loser.detail).toContain(`rollout ${winner.id} of '${model}'`);
    const driver = answers[0].status === 201 ? first : second;
    const other = driver === first ? second : first;

    const aborted = await call(other, 'POST', `/models/${model}/rollouts/${winner.id}/abort`, { reason: 'race over' });
    expect(aborted.status).toBe(200);
    expect([aborted.body.status, aborted.body.ended_because]).toEqual(['aborted', 'aborted by alice: race over']);
    // The driver reverted it (the challenger cleared) and both instances read it ended.
    for (const app of [first, second])
      expect((await call(app, 'GET', `/models/${model}/rollouts/${winner.id}`)).body.status).toBe('aborted');
    const registered = await mlflow.registeredModels.get(model);
    expect((registered.aliases ?? []).map((alias) => alias.alias).sort()).toEqual(['champion', 'production']);
  }, 120_000);
});
