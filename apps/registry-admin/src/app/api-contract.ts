/**
 * What registry-admin's OpenAPI document states beyond its DTOs: the rules of its path parameters
 * (checked by the kit's pipe before any handler, so a malformed name never reaches MLflow), the
 * cross-field rule of `force` and `reason`, and a webhook `secret` that is required exactly when
 * MLFLOW_WEBHOOK_SECRET gives no default.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';

import {
  ALIAS_PATTERN,
  ALIAS_RULE,
  aliasNameProblem,
  MODEL_NAME_PATTERN,
  MODEL_NAME_RULE,
  VERSION_NUMBER_PATTERN,
} from '@churn/mlflow-client';
import type { ContractOptions } from '@churn/service-kit';

import { RegistryAdminConfig } from './config/registry-admin.config';

export const REGISTRY_ADMIN_CONTRACT: ContractOptions = {
  pathParameters: {
    name: { pattern: MODEL_NAME_PATTERN, rule: MODEL_NAME_RULE, maxLength: 255 },
    alias: {
      pattern: ALIAS_PATTERN,
      rule: ALIAS_RULE,
      problem: aliasNameProblem,
    },
    version: {
      pattern: VERSION_NUMBER_PATTERN,
      rule: 'a positive whole version number such as 3',
      problem: (value) => `must be a positive whole version number such as 3 (got ${JSON.stringify(value)})`,
    },
    // Rollout ids are MLflow run ids, webhook ids MLflow's own: letters, digits and dashes.
    id: { pattern: /^[A-Za-z0-9_-]{1,128}$/, rule: 'an id of ASCII letters, digits, _ and - (at most 128)' },
  },
};

/**
 * `force: true` needs a `reason` (request-fields.ts checks it): force absent, null or false; or a
 * reason with something besides spaces (a blank one counts as none).
 */
const FORCE_NEEDS_REASON = [
  { properties: { force: { enum: [false, null] } } },
  { required: ['reason'], properties: { reason: { type: 'string', pattern: '\\S' } } },
];

/** A traffic change gives at least one setting, not null ("challenger_share or shadow or salt must be given"). */
const given = (name: string, type: string) => ({ required: [name], properties: { [name]: { type } } });
const ONE_TRAFFIC_SETTING = [given('challenger_share', 'number'), given('shadow', 'boolean'), given('salt', 'string')];

/** The last changes to the document, from registry-admin's own settings. */
export function patchRegistryAdminDocument(document: OpenAPIObject, app: NestFastifyApplication): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Record<string, unknown>>;
  for (const name of ['PromoteBody', 'SetAliasBody']) if (schemas[name]) schemas[name]['anyOf'] = FORCE_NEEDS_REASON;
  if (schemas['TrafficBody']) {
    schemas['TrafficBody']['allOf'] = [{ anyOf: FORCE_NEEDS_REASON }, { anyOf: ONE_TRAFFIC_SETTING }];
    // So the body itself is required, though each of its fields is optional.
    const body = document.paths['/models/{name}/traffic']?.put?.requestBody as { required?: boolean } | undefined;
    if (body !== undefined) body.required = true;
  }
  const webhook = schemas['RegisterWebhookBody'] as
    { required?: string[]; properties?: Record<string, Record<string, unknown>> } | undefined;
  if (webhook !== undefined && app.get(RegistryAdminConfig).MLFLOW_WEBHOOK_SECRET === '') {
    webhook.required = [...new Set([...(webhook.required ?? []), 'secret'])];
    delete webhook.properties?.['secret']?.['nullable'];
  }
}
