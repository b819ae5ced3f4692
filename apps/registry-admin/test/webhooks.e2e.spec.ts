// Registering inference-api's webhook receiver in the test run's real MLflow server, with a real
// node:http receiver standing in for inference-api's POST /webhooks/mlflow. The test server's
// MLFLOW_WEBHOOK_CACHE_TTL is 1 s (tools/mlflow/mlflow.mjs), so real alias events reach a webhook
// registered a moment earlier.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { ResourceDoesNotExistError, verifyWebhookSignature, WEBHOOK_HEADERS } from '@churn/mlflow-client';
import { waitFor } from '@churn/service-kit/testing';

import { registerTrainedVersion, testClient, uniqueName } from './support/registry-fixtures';
import { asAdmin, asViewer, createTestApp, TOKENS } from './support/test-app';

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in for inference-api's webhook receiver that keeps every delivery, raw. */
async function startWebhookReceiver(): Promise<{
  baseUrl: string;
  deliveries: Delivery[];
  close: () => Promise<void>;
}> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    deliveries,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function signedDelivery(delivery: Delivery) {
  const header = (name: string) => String(delivery.headers[name]);
  return {
    body: delivery.body,
    signature: header(WEBHOOK_HEADERS.signature),
    timestamp: header(WEBHOOK_HEADERS.timestamp),
    deliveryId: header(WEBHOOK_HEADERS.deliveryId),
  };
}

describe("registry-admin webhooks: registering inference-api's receiver for alias events", () => {
  const mlflow = testClient();
  const secret = 'configured-webhook-secret';
  let app: NestFastifyApplication;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let model: string;
  let otherModel: string;

  beforeAll(async () => {
    app = await createTestApp({ MLFLOW_WEBHOOK_SECRET: secret });
    receiver = await startWebhookReceiver();
    model = uniqueName('hooked-model');
    otherModel = uniqueName('other-model');
    await registerTrainedVersion(mlflow, model);
    await mlflow.registeredModels.create({ name: otherModel });
  });

  afterAll(async () => {
    await app.close();
    await receiver.close();
  });

  const register = (payload: object, name = model, headers: Record<string, string> = asAdmin) =>
    app.inject({ method: 'POST', url: `/models/${name}/webhooks`, headers, payload });

  it('401 without a token, 403 for a viewer registering or deleting and for a deployer without viewer listing', async () => {
    const anonymous = await app.inject({
      method: 'POST',
      url: `/models/${model}/webhooks`,
      payload: { url: receiver.baseUrl },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().detail).toBe('missing bearer token: send "Authorization: Bearer <token>"');
    const byViewer = await register({ url: receiver.baseUrl }, model, asViewer);
    expect(byViewer.statusCode).toBe(403);
    expect(byViewer.json().detail).toBe('victor lacks the deployer role (has viewer)');
    const deleteByViewer = await app.inject({
      method: 'DELETE',
      url: `/models/${model}/webhooks/some-id`,
      headers: asViewer,
    });
    expect(deleteByViewer.statusCode).toBe(403);
    const listByDeployer = await app.inject({
      method: 'GET',
      url: `/models/${model}/webhooks`,
      headers: { authorization: `Bearer ${TOKENS.deployOnly}` },
    });
    expect(listByDeployer.statusCode).toBe(403);
    expect(listByDeployer.json().detail).toBe('dora lacks the viewer role (has deployer)');
  });

  it('400 naming url for a missing or non-http(s) URL, and for fields it does not know', async () => {
    for (const payload of [
      {},
      { url: 'ftp://inference-api:8000' },
      { url: 'inference-api:8000' },
      { url: 'http://inference-api:8000/?reload=1' },
    ]) {
      const response = await register(payload);
      expect({ payload, status: response.statusCode }).toEqual({ payload, status: 400 });
      expect(String(response.json().detail)).toMatch(/^url /);
    }
    const unknownField = await register({ url: receiver.baseUrl, events: ['all'] });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().detail).toBe('property events should not exist');
  });

  it('400 naming secret when the request brings none and MLFLOW_WEBHOOK_SECRET is not set', async () => {
    const unconfigured = await createTestApp();
    try {
      const response = await unconfigured.inject({
        method: 'POST',
        url: `/models/${model}/webhooks`,
        headers: asAdmin,
        payload: { url: receiver.baseUrl },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().detail).toBe(
        'secret is required because MLFLOW_WEBHOOK_SECRET is not set: give the HMAC key inference-api verifies deliveries with',
      );
    } finally {
      await unconfigured.close();
    }
  });

  it('404 for an unknown model', async () => {
    const missing = uniqueName('no-such-model');
    const response = await register({ url: receiver.baseUrl }, missing);
    expect(response.statusCode).toBe(404);
    expect(response.json().detail).toBe(`registered model '${missing}' does not exist`);
    expect(
      (await app.inject({ method: 'GET', url: `/models/${missing}/webhooks`, headers: asViewer })).statusCode,
    ).toBe(404);
  });

  it('registers, lists, delivers signed test and real alias events, stays idempotent and deletes', async () => {
    const receiverUrl = `${receiver.baseUrl}/webhooks/mlflow`;
    const first = await register({ url: receiver.baseUrl });
    expect(first.statusCode).toBe(201);
    expect(first.body).not.toContain(secret);
    const { created, webhook } = first.json();
    expect(created).toBe(true);
    expect(webhook).toMatchObject({
      model,
      url: receiverUrl,
      status: 'ACTIVE',
      events: [
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' },
      ],
    });
    expect(webhook).not.toHaveProperty('secret');
    expect(webhook.name).toMatch(/^registry-admin-[0-9a-f]{16}-[0-9a-f]{16}$/);
    expect(Date.parse(webhook.created_at)).toBeGreaterThan(Date.now() - 60_000);

    // The same receiver named as its full URL, or with a trailing slash: the same webhook, not a second one.
    for (const url of [receiverUrl, `${receiver.baseUrl}/`]) {
      const again = await register({ url });
      expect({ url, status: again.statusCode }).toEqual({ url, status: 200 });
      expect(again.json()).toEqual({ created: false, webhook, audit_record_id: null });
    }
    const inMlflow = (await mlflow.webhooks.list().toArray()).filter((hook) => hook.url === receiverUrl);
    expect(inMlflow.map((hook) => hook.webhook_id)).toEqual([webhook.webhook_id]);

    const listed = await app.inject({ method: 'GET', url: `/models/${model}/webhooks`, headers: asViewer });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual([webhook]);
    const otherListed = await app.inject({ method: 'GET', url: `/models/${otherModel}/webhooks`, headers: asViewer });
    expect(otherListed.json()).toEqual([]);

    // MLflow's test delivery, signed with the configured secret.
    const result = await mlflow.webhooks.test(webhook.webhook_id);
    expect(result).toMatchObject({ success: true, response_status: 200 });
    const testDelivery = await waitFor('the test delivery', () => receiver.deliveries.at(-1));
    expect(testDelivery.path).toBe('/webhooks/mlflow');
    expect(JSON.parse(testDelivery.body)).toMatchObject({ entity: 'model_version_alias', action: 'created' });
    expect(verifyWebhookSignature(secret, signedDelivery(testDelivery))).toEqual({ valid: true });
    expect(verifyWebhookSignature('another-secret', signedDelivery(testDelivery))).toEqual({
      valid: false,
      reason: 'X-MLflow-Signature does not match',
    });

    // A real alias move through registry-admin, once MLflow's 1 s webhook cache has seen the new webhook.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const isAliasEvent = (action: string) => (delivery: Delivery) => {
      const payload = JSON.parse(delivery.body);
      return payload.action === action && payload.data?.name === model && payload.data?.alias === 'staging';
    };
    const moved = await app.inject({
      method: 'PUT',
      url: `/models/${model}/aliases/staging`,
      headers: asAdmin,
      payload: { version: '1' },
    });
    expect(moved.statusCode).toBe(200);
    const set = await waitFor('the alias-created delivery', () => receiver.deliveries.find(isAliasEvent('created')));
    expect(JSON.parse(set.body)).toMatchObject({
      entity: 'model_version_alias',
      action: 'created',
      data: { name: model, alias: 'staging', version: '1' },
    });
    expect(verifyWebhookSignature(secret, signedDelivery(set))).toEqual({ valid: true });
    const unset = await app.inject({ method: 'DELETE', url: `/models/${model}/aliases/staging`, headers: asAdmin });
    expect(unset.statusCode).toBe(200);
    const deleted = await waitFor('the alias-deleted delivery', () =>
      receiver.deliveries.find(isAliasEvent('deleted')),
    );
    expect(verifyWebhookSignature(secret, signedDelivery(deleted))).toEqual({ valid: true });

    // Deleting through another model's path is refused; through its own it removes the webhook from MLflow.
    const wrongModel = await app.inject({
      method: 'DELETE',
      url: `/models/${otherModel}/webhooks/${webhook.webhook_id}`,
      headers: asAdmin,
    });
    expect(wrongModel.statusCode).toBe(404);
    expect(wrongModel.json().detail).toBe(
      `webhook ${webhook.webhook_id} is not one of registry-admin's webhooks for '${otherModel}'`,
    );
    const removed = await app.inject({
      method: 'DELETE',
      url: `/models/${model}/webhooks/${webhook.webhook_id}`,
      headers: asAdmin,
    });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({
      model,
      webhook_id: webhook.webhook_id,
      deleted: true,
      audit_record_id: expect.any(String),
    });
    // Both changes are in the audit, newest first, under the webhooks' pseudo-alias; the secret is not.
    const history = await app.inject({
      method: 'GET',
      url: `/models/${model}/history?alias=registry.webhooks`,
      headers: asAdmin,
    });
    expect(history.body).not.toContain(secret);
    expect(history.json().records).toMatchObject([
      {
        id: removed.json().audit_record_id,
        action: 'webhook',
        actor: 'alice',
        details: { change: 'deleted', webhook_id: webhook.webhook_id, url: receiverUrl },
      },
      {
        id: first.json().audit_record_id,
        action: 'webhook',
        details: { change: 'registered', webhook_id: webhook.webhook_id, url: receiverUrl },
      },
    ]);
    await expect(mlflow.webhooks.get(webhook.webhook_id)).rejects.toBeInstanceOf(ResourceDoesNotExistError);
    expect((await app.inject({ method: 'GET', url: `/models/${model}/webhooks`, headers: asViewer })).json()).toEqual(
      [],
    );
    const twice = await app.inject({
      method: 'DELETE',
      url: `/models/${model}/webhooks/${webhook.webhook_id}`,
      headers: asAdmin,
    });
    expect(twice.statusCode).toBe(404);
  });

  it("signs with the request's own secret when it brings one, and keeps a receiver's path prefix", async () => {
    const ownSecret = 'per-request-webhook-secret';
    const response = await register({ url: `${receiver.baseUrl}/churn`, secret: ownSecret });
    expect(response.statusCode).toBe(201);
    expect(response.body).not.toContain(ownSecret);
    const { webhook } = response.json();
    expect(webhook.url).toBe(`${receiver.baseUrl}/churn/webhooks/mlflow`);
    try {
      const before = receiver.deliveries.length;
      expect(await mlflow.webhooks.test(webhook.webhook_id)).toMatchObject({ success: true });
      const delivery = await waitFor('the test delivery', () =>
        receiver.deliveries.slice(before).find((entry) => entry.path === '/churn/webhooks/mlflow'),
      );
      expect(verifyWebhookSignature(ownSecret, signedDelivery(delivery))).toEqual({ valid: true });
      expect(verifyWebhookSignature(secret, signedDelivery(delivery)).valid).toBe(false);
    } finally {
      await mlflow.webhooks.delete(webhook.webhook_id);
    }
  });

  it('registers one webhook when two registrations of one URL arrive at once', async () => {
    const url = `${receiver.baseUrl}/concurrent`;
    const responses = await Promise.all([register({ url }), register({ url })]);
    expect(responses.map((response) => response.statusCode).sort()).toEqual([200, 201]);
    const ids = new Set(responses.map((response) => response.json().webhook.webhook_id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    const removed = await app.inject({ method: 'DELETE', url: `/models/${model}/webhooks/${id}`, headers: asAdmin });
    expect(removed.statusCode).toBe(200);
  });
});
