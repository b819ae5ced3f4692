import { createHash } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';

import { MlflowClient, ResourceDoesNotExistError, type Webhook, type WebhookEvent } from '@churn/mlflow-client';

import { RegistryAdminConfig } from '../config/registry-admin.config';
import { InvalidFieldError, WebhookNotFoundError, WebhooksUnsupportedError } from '../errors/registry-errors';
import { AliasAuditStore, type ControlAuditOutcome } from '../registry/alias-audit.store';
import { KeyedMutex } from '../registry/keyed-mutex';
import { ModelRegistryService } from '../registry/model-registry.service';

/** Where inference-api receives MLflow's deliveries (its WebhooksController). */
export const RECEIVER_PATH = '/webhooks/mlflow';

/**
 * The events that can change what an alias serves, in the REST API's upper-case enum names (MLflow
 * 3.17 answers 500 to lower-case ones). Pointing an alias at another version is a CREATED event too
 * (mlflow/server/handlers.py `_set_registered_model_alias`).
 */
export const ALIAS_EVENTS: readonly WebhookEvent[] = [
  { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
  { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' },
];

/** A registry webhook as registry-admin shows it; MLflow never returns the secret, and neither do we. */
export interface WebhookView {
  webhook_id: string;
  name: string;
  model: string;
  url: string;
  events: WebhookEvent[];
  status: string;
  description: string | null;
  created_at: string | null;
  updated_at: string | null;
}

export interface RegisterWebhookRequest {
  model: string;
  /** inference-api's base URL, or its receiver URL. */
  url: string;
  /** HMAC key; MLFLOW_WEBHOOK_SECRET when absent. */
  secret?: string;
  actor: string;
}

/**
 * Registers inference-api's webhook receiver in MLflow for a model's alias events. MLflow's webhooks
 * are server-wide (they fire for every model; the receiver ignores other models' events), so the
 * model is registry-admin's bookkeeping: it is encoded in the webhook's name, whose characters and
 * length MLflow restricts (`_validate_webhook_name`), as a digest.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);
  /** Two registrations of one URL in this process would otherwise both see "none yet" and create two. */
  private readonly registrations = new KeyedMutex();

  constructor(
    private readonly mlflow: MlflowClient,
    private readonly registry: ModelRegistryService,
    private readonly audit: AliasAuditStore,
    @Inject(RegistryAdminConfig) private readonly config: RegistryAdminConfig,
  ) {}

  /**
   * Returns the model's webhook for the receiver at `url`, creating it when there is none.
   * @throws {InvalidFieldError} naming `url` or `secret`
   * @throws {ModelNotFoundError}
   */
  async register(
    request: RegisterWebhookRequest,
  ): Promise<{ created: boolean; webhook: WebhookView } & ControlAuditOutcome> {
    const url = receiverUrlOf(request.url);
    const secret = request.secret ?? this.config.MLFLOW_WEBHOOK_SECRET;
    if (secret === '') {
      throw new InvalidFieldError(
        'secret',
        'is required because MLFLOW_WEBHOOK_SECRET is not set: give the HMAC key inference-api verifies deliveries with',
      );
    }
    await this.registry.requireModel(request.model);
    const name = webhookNameOf(request.model, url);
    return this.registrations.run(name, async () => {
      const existing = (await this.modelWebhooks(request.model)).find((webhook) => webhook.url === url);
      if (existing) return { created: false, webhook: viewOf(request.model, existing), audit_record_id: null };
      const webhook = await this.mlflow.webhooks.create({
        name,
        url,
        secret,
        events: [...ALIAS_EVENTS],
        description: `alias events of registered model '${request.model}' for inference-api, registered by ${request.actor} through registry-admin`,
      });
      this.logger.log(
        `${request.actor} registered webhook ${webhook.webhook_id} for alias events of '${request.model}' -> ${url}`,
      );
      const audit = await this.recordChange(request.model, request.actor, {
        change: 'registered',
        webhook_id: webhook.webhook_id,
        url,
        events: ALIAS_EVENTS,
      });
      return { created: true, webhook: viewOf(request.model, webhook), ...audit };
    });
  }

  /** @throws {ModelNotFoundError} */
  async list(model: string): Promise<WebhookView[]> {
    await this.registry.requireModel(model);
    return (await this.modelWebhooks(model)).map((webhook) => viewOf(model, webhook));
  }

  /** @throws {WebhookNotFoundError} for an unknown id or another model's (or a foreign) webhook */
  async delete(
    model: string,
    webhookId: string,
    actor: string,
  ): Promise<{ model: string; webhook_id: string; deleted: true } & ControlAuditOutcome> {
    await this.registry.requireModel(model);
    let webhook: Webhook;
    try {
      webhook = await this.mlflow.webhooks.get(webhookId);
    } catch (error) {
      if (error instanceof ResourceDoesNotExistError) throw new WebhookNotFoundError(model, webhookId);
      throw error;
    }
    if (!webhook.name.startsWith(webhookNamePrefixOf(model))) throw new WebhookNotFoundError(model, webhookId);
    await this.mlflow.webhooks.delete(webhookId);
    this.logger.log(`${actor} deleted webhook ${webhookId} of '${model}' (${webhook.url})`);
    const audit = await this.recordChange(model, actor, { change: 'deleted', webhook_id: webhookId, url: webhook.url });
    return { model, webhook_id: webhookId, deleted: true, ...audit };
  }

  /** The audit record of a webhook change that took effect (never the secret). */
  private recordChange(model: string, actor: string, details: Record<string, unknown>): Promise<ControlAuditOutcome> {
    return this.audit.recordControlDone(
      { model, action: 'webhook', actor, reason: null, forced: false, gates: null, version: null },
      details,
    );
  }

  private async modelWebhooks(model: string): Promise<Webhook[]> {
    const prefix = webhookNamePrefixOf(model);
    let all: Webhook[];
    try {
      all = await this.mlflow.webhooks.list().toArray();
    } catch (error) {
      // A server that predates webhooks answers the list route with a plain 404 page.
      if (error instanceof ResourceDoesNotExistError) throw new WebhooksUnsupportedError();
      throw error;
    }
    return all.filter((webhook) => webhook.name.startsWith(prefix));
  }
}

/**
 * The receiver URL for a base URL (`http://inference-api:8000` → `http://inference-api:8000/webhooks/mlflow`,
 * a path prefix kept) or the receiver URL itself, normalised by WHATWG URL rules so one receiver
 * always gives the same text (which is what idempotency compares).
 * @throws {InvalidFieldError} naming `url`
 */
export function receiverUrlOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidFieldError(
      'url',
      `must be an http(s) URL such as http://inference-api:8000 (got ${JSON.stringify(text)})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidFieldError('url', `must be an http(s) URL (got ${JSON.stringify(text)})`);
  // Every reader of MLflow's webhook list would see them.
  if (url.username !== '' || url.password !== '') throw new InvalidFieldError('url', 'must not contain credentials');
  if (url.search !== '' || url.hash !== '')
    throw new InvalidFieldError('url', `must be a base URL or end in ${RECEIVER_PATH}, without query or fragment`);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(RECEIVER_PATH) ? path : `${path}${RECEIVER_PATH}`;
  return url.toString();
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** `registry-admin-<model digest>-`: every webhook registry-admin made for this model starts so. */
function webhookNamePrefixOf(model: string): string {
  return `registry-admin-${digest(model)}-`;
}

/** 48 characters, within MLflow's 63 and its alphabet, whatever the model's name and URL. */
function webhookNameOf(model: string, receiverUrl: string): string {
  return `${webhookNamePrefixOf(model)}${digest(receiverUrl)}`;
}

function viewOf(model: string, webhook: Webhook): WebhookView {
  const time = (ms: number | undefined) => (ms === undefined ? null : new Date(Number(ms)).toISOString());
  return {
    webhook_id: webhook.webhook_id,
    name: webhook.name,
    model,
    url: webhook.url,
    events: webhook.events,
    status: webhook.status,
    description: webhook.description ?? null,
    created_at: time(webhook.creation_timestamp),
    updated_at: time(webhook.last_updated_timestamp),
  };
}
