import { createHmac, randomUUID } from 'node:crypto';

import type { ModelVersion, Webhook } from '@churn/mlflow-client';

import { postJson, startApp, waitForVersion, type RunningApp } from './support/app-harness';
import { fixtureSource, mlflowClient, registerTrainedVersion } from './support/model-fixtures';

const MODEL = 'iapi_webhook';
const SECRET = 'webhook-test-secret';

describe(`MLflow registry webhook (polling off; versions from the ${fixtureSource()})`, () => {
  const client = mlflowClient();
  let app: RunningApp;
  let v1: ModelVersion;
  let v2: ModelVersion;
  let webhook: Webhook | undefined;

  beforeAll(async () => {
    v1 = await registerTrainedVersion(client, MODEL, 31);
    v2 = await registerTrainedVersion(client, MODEL, 32);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: v1.version });
    app = await startApp({ MODEL_NAME: MODEL, POLL_INTERVAL_MS: '0', MLFLOW_WEBHOOK_SECRET: SECRET });
    await waitForVersion(app, v1.version);
    webhook = await client.webhooks.create({
      name: `inference-api-test-${randomUUID().slice(0, 8)}`,
      url: `${app.internalUrl}/webhooks/mlflow`,
      events: [{ entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' }],
      secret: SECRET,
    });
  }, 120_000);

  afterAll(async () => {
    if (webhook) await client.webhooks.delete(webhook.webhook_id);
    await app?.close();
  });

  it('reloads when MLflow delivers an alias move', async () => {
    // The alias event of beforeAll may have cached "no webhooks" for MLFLOW_WEBHOOK_CACHE_TTL (1 s here).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: v2.version });
    await waitForVersion(app, v2.version, 20_000);
    const metrics = await (await fetch(`${app.internalUrl}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `inference_model_swaps_total\\{name="${MODEL}",alias="production",version="${v2.version}",trigger="webhook"\\} 1`,
      ),
    );
  });

  it('answers 401 to a delivery signed with another secret, and ignores events for other models', async () => {
    const deliver = (secret: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      const deliveryId = randomUUID();
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = `v1,${createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.${body}`).digest('base64')}`;
      return postJson(`${app.internalUrl}/webhooks/mlflow`, body, {
        'x-mlflow-signature': signature,
        'x-mlflow-timestamp': timestamp,
        'x-mlflow-delivery-id': deliveryId,
      });
    };
    const event = {
      entity: 'model_version_alias',
      action: 'created',
      timestamp: new Date().toISOString(),
      data: { name: 'other_model', alias: 'production', version: '1' },
    };
    const forged = await deliver('not-the-secret', event);
    expect(forged.status).toBe(401);
    expect(forged.json.detail).toMatch(/signature/);
    const ignored = await deliver(SECRET, event);
    expect(ignored.status).toBe(200);
    expect(ignored.json).toEqual({ accepted: true, reloading: [] });
  });
});
