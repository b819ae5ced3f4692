import { Paginated, type Page } from '../core/pagination';
import { API, encodePathSegments } from '../core/paths';
import type { MlflowTransport } from '../core/transport';

export type WebhookEntity =
  | 'REGISTERED_MODEL'
  | 'MODEL_VERSION'
  | 'MODEL_VERSION_TAG'
  | 'MODEL_VERSION_ALIAS'
  | 'PROMPT'
  | 'PROMPT_VERSION'
  | 'PROMPT_TAG'
  | 'PROMPT_VERSION_TAG'
  | 'PROMPT_ALIAS';
export type WebhookAction = 'CREATED' | 'UPDATED' | 'DELETED' | 'SET';
export type WebhookStatus = 'ACTIVE' | 'DISABLED';

/**
 * An event a webhook subscribes to, in the REST API's upper-case enum names (MLflow answers 500 to
 * lower-case ones). Deliveries carry the lower-case forms: `{"entity": "model_version_alias", ...}`.
 */
export interface WebhookEvent {
  entity: WebhookEntity;
  action: WebhookAction;
}

/** MLflow's Webhook message (mlflow/protos/webhooks.proto). The secret is never returned. */
export interface Webhook {
  webhook_id: string;
  name: string;
  description?: string;
  url: string;
  events: WebhookEvent[];
  status: WebhookStatus;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
}

export interface CreateWebhookParams {
  name: string;
  url: string;
  events: WebhookEvent[];
  description?: string;
  /** HMAC key for `X-MLflow-Signature`; see `verifyWebhookSignature`. */
  secret?: string;
  status?: WebhookStatus;
}

/** What the server saw when it sent a test delivery. */
export interface WebhookTestResult {
  success: boolean;
  response_status?: number;
  response_body?: string;
  error_message?: string;
}

/**
 * Registry webhooks (MLflow 3.3+): `/api/2.0/mlflow/webhooks`. The server caches each event's
 * webhooks for MLFLOW_WEBHOOK_CACHE_TTL seconds (60 by default), so a new or deleted webhook may take
 * that long to start or stop receiving real events; receivers should not be the only way to learn
 * of a change.
 */
export class Webhooks {
  constructor(private readonly transport: MlflowTransport) {}

  async create(params: CreateWebhookParams): Promise<Webhook> {
    const body = await this.transport.json<{ webhook: Webhook }>({
      method: 'POST',
      path: `${API}/webhooks`,
      json: params,
    });
    return body.webhook;
  }

  /** @throws ResourceDoesNotExistError */
  async get(webhookId: string): Promise<Webhook> {
    const body = await this.transport.json<{ webhook: Webhook }>({
      method: 'GET',
      path: `${API}/webhooks/${encodePathSegments(webhookId, 'webhook_id')}`,
    });
    return body.webhook;
  }

  list(params: { max_results?: number } = {}): Paginated<Webhook> {
    return new Paginated((page_token) => this.listPage({ ...params, page_token }));
  }

  async listPage(params: { max_results?: number; page_token?: string } = {}): Promise<Page<Webhook>> {
    const body = await this.transport.json<{ webhooks?: Webhook[]; next_page_token?: string }>({
      method: 'GET',
      path: `${API}/webhooks`,
      query: params,
    });
    return { items: body.webhooks ?? [], next_page_token: body.next_page_token };
  }

  async delete(webhookId: string): Promise<void> {
    await this.transport.json({
      method: 'DELETE',
      path: `${API}/webhooks/${encodePathSegments(webhookId, 'webhook_id')}`,
    });
  }

  /** Asks the server to send an example delivery now (for `event`, or the webhook's first event). */
  async test(webhookId: string, event?: WebhookEvent): Promise<WebhookTestResult> {
    const body = await this.transport.json<{ result: WebhookTestResult }>({
      method: 'POST',
      path: `${API}/webhooks/${encodePathSegments(webhookId, 'webhook_id')}/test`,
      json: event ? { event } : {},
    });
    return body.result;
  }
}
