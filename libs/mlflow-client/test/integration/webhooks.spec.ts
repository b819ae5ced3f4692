// Registry webhooks against the real server, delivering to a small local receiver. Deliveries of
// real registry events are not asserted here: MLflow caches the webhooks of each event for
// MLFLOW_WEBHOOK_CACHE_TTL (60 s by default), so a webhook created while other suites already
// triggered that event would only hear of it a minute later. The test endpoint bypasses that cache.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ResourceDoesNotExistError, verifyWebhookSignature, WEBHOOK_HEADERS } from '../../src';
import { testClient, uniqueName } from '../support';

interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
}

describe('webhooks', () => {
  const client = testClient();
  const deliveries: Delivery[] = [];
  let receiver: Server;
  let receiverUrl: string;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/mlflow`;
  });

  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('creates, gets, lists, tests (a signed delivery arrives) and deletes a webhook', async () => {
    const secret = 'whsec-test-only';
    const name = uniqueName('hook');
    const created = await client.webhooks.create({
      name,
      url: receiverUrl,
      secret,
      description: 'alias moves',
      events: [
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' },
      ],
    });
    expect(created).toMatchObject({ name, url: receiverUrl, status: 'ACTIVE', description: 'alias moves' });
    expect(created).not.toHaveProperty('secret');
    expect(await client.webhooks.get(created.webhook_id)).toMatchObject({ webhook_id: created.webhook_id, name });

    const extra = await client.webhooks.create({
      name: uniqueName('hook'),
      url: receiverUrl,
      events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
    });
    const third = await client.webhooks.create({
      name: uniqueName('hook'),
      url: receiverUrl,
      events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
    });
    const pages: number[] = [];
    for await (const page of client.webhooks.list({ max_results: 1 }).pages()) pages.push(page.items.length);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const listed = (await client.webhooks.list().toArray()).map((w) => w.webhook_id);
    expect(listed).toEqual(expect.arrayContaining([created.webhook_id, extra.webhook_id, third.webhook_id]));

    const result = await client.webhooks.test(created.webhook_id, { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' });
    expect(result).toMatchObject({ success: true, response_status: 200, response_body: 'received' });
    const delivery = deliveries.at(-1);
    if (!delivery) throw new Error('the receiver got no delivery');
    expect(JSON.parse(delivery.body)).toMatchObject({ entity: 'model_version_alias', action: 'deleted' });
    const signed = {
      body: delivery.body,
      signature: String(delivery.headers[WEBHOOK_HEADERS.signature]),
      timestamp: String(delivery.headers[WEBHOOK_HEADERS.timestamp]),
      deliveryId: String(delivery.headers[WEBHOOK_HEADERS.deliveryId]),
    };
    expect(verifyWebhookSignature(secret, signed)).toEqual({ valid: true });
    expect(verifyWebhookSignature('another-secret', signed)).toEqual({
      valid: false,
      reason: 'X-MLflow-Signature does not match',
    });
    expect(verifyWebhookSignature(secret, { ...signed, body: `${signed.body} ` }).valid).toBe(false);
    expect(verifyWebhookSignature(secret, signed, { nowMs: (Number(signed.timestamp) + 3600) * 1000 }).valid).toBe(
      false,
    );

    for (const id of [created.webhook_id, extra.webhook_id, third.webhook_id]) await client.webhooks.delete(id);
    await expect(client.webhooks.get(created.webhook_id)).rejects.toBeInstanceOf(ResourceDoesNotExistError);
    expect((await client.webhooks.list().toArray()).map((w) => w.webhook_id)).not.toContain(created.webhook_id);
  });
});
