import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers MLflow sets on every webhook delivery (mlflow/webhooks/constants.py). */
export const WEBHOOK_HEADERS = {
  signature: 'x-mlflow-signature',
  timestamp: 'x-mlflow-timestamp',
  deliveryId: 'x-mlflow-delivery-id',
} as const;

export interface WebhookDelivery {
  /** The raw request body exactly as received (the signature covers these bytes). */
  body: string | Buffer;
  /** `X-MLflow-Signature`, e.g. `v1,<base64>`. */
  signature: string | undefined;
  /** `X-MLflow-Timestamp`: Unix seconds. */
  timestamp: string | undefined;
  /** `X-MLflow-Delivery-Id`. */
  deliveryId: string | undefined;
}

export type WebhookVerdict = { valid: true } | { valid: false; reason: string };

/**
 * Checks an MLflow webhook delivery: the signature is `v1,` + base64(HMAC-SHA256(secret,
 * `<delivery id>.<timestamp>.<body>`)) (mlflow/webhooks/delivery.py `_generate_hmac_signature`),
 * compared in constant time, and the timestamp must be within `toleranceSeconds` of now so an
 * intercepted delivery cannot be replayed later.
 */
export function verifyWebhookSignature(
  secret: string,
  delivery: WebhookDelivery,
  options: { toleranceSeconds?: number; nowMs?: number } = {},
): WebhookVerdict {
  const { signature, timestamp, deliveryId } = delivery;
  if (!signature || !timestamp || !deliveryId)
    return { valid: false, reason: 'missing X-MLflow-Signature, X-MLflow-Timestamp or X-MLflow-Delivery-Id' };
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds))
    return { valid: false, reason: `X-MLflow-Timestamp '${timestamp}' is not Unix seconds` };
  const skew = Math.abs((options.nowMs ?? Date.now()) / 1000 - seconds);
  const tolerance = options.toleranceSeconds ?? 300;
  if (skew > tolerance)
    return {
      valid: false,
      reason: `X-MLflow-Timestamp is ${Math.round(skew)} s away from now (tolerance ${tolerance} s)`,
    };
  if (!signature.startsWith('v1,')) return { valid: false, reason: 'X-MLflow-Signature is not a v1 signature' };
  const expected = createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.`).update(delivery.body).digest();
  const given = Buffer.from(signature.slice(3), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { valid: false, reason: 'X-MLflow-Signature does not match' };
  return { valid: true };
}
