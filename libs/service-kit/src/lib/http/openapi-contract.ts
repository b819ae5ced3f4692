/**
 * What the shared request handling enforces on every operation, written into the OpenAPI document
 * so that it describes the API a client really meets: the validation pipe refuses unknown body
 * properties (`forbidNonWhitelisted`) and answers any refused field, parameter or body with a 400
 * problem, so request bodies say `additionalProperties: false` and every operation with inputs
 * declares that 400. A body whose every property is optional may be left out, and an optional
 * property may be null (`@IsOptional` takes null as absent). The answers every app gives the same
 * way are declared too: 401 and 403 where a role is required (the bearer guard), 404 where the path
 * names a resource, and 502/503 (with Retry-After) where MLflow is asked (the one mapping of MLflow
 * failures, mlflow-problems.ts); path parameters get the patterns the app checks them with; and
 * every 4xx and 5xx an operation declares is stated as `application/problem+json`.
 */
import type { OpenAPIObject } from '@nestjs/swagger';

import { REQUIRED_ROLES_EXTENSION } from '../auth/bearer-auth.guard';
import { MLFLOW_RETRY_AFTER_SECONDS } from './mlflow-problems';

type SchemaObject = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details; `field` names the input at fault.',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    field: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail'],
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** A path parameter's rule: what {@link checkPathParameter} enforces and the document states. */
export interface PathParameterRule {
  /** Anchored, without flags, in the syntax JSON Schema patterns share (no `\\p{…}`). */
  pattern: RegExp;
  /** The rule in words, after the parameter's name: `name must be …`. */
  rule: string;
  /** Longest value, when the pattern does not bound it (at most the router's 1024). */
  maxLength?: number;
  /** A more precise sentence for a value that breaks the rule, after the parameter's name (`alias 'v3' is reserved…`). */
  problem?: (value: string) => string | undefined;
}

/** What the document says beyond validation. */
export interface ContractOptions {
  /** Rules of path parameters by name (every operation's `{name}` follows its rule). */
  pathParameters?: Readonly<Record<string, PathParameterRule>>;
  /** Operations (`METHOD /path`) that never ask MLflow; every other one may answer 502/503. */
  withoutMlflow?: readonly string[];
  /**
   * Operations (`METHOD /path`) whose errors keep another protocol's shape (inference-api's
   * `/invocations` answers as `mlflow models serve`); every other operation's 4xx and 5xx are
   * stated as problem details, whatever its decorators said.
   */
  ownErrorBodies?: readonly string[];
}

type ResponseEntry = NonNullable<OpenAPIObject['paths'][string]['get']>['responses'][string];

const PROBLEM_CONTENT = { 'application/problem+json': { schema: PROBLEM_SCHEMA } };

const problemResponse = (description: string, headers?: Record<string, object>): ResponseEntry => ({
  description,
  ...(headers ? { headers } : {}),
  content: PROBLEM_CONTENT,
});

/** Rewrites `document` in place (and returns it) to state the shared validation's contract. */
export function stateValidationContract(document: OpenAPIObject, options: ContractOptions = {}): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  const resolve = (schema: unknown): SchemaObject | undefined => {
    const ref = (schema as { $ref?: string } | undefined)?.$ref;
    return ref === undefined ? (schema as SchemaObject | undefined) : schemas[ref.split('/').pop() as string];
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      const name = `${method.toUpperCase()} ${path}`;
      const body = operation.requestBody as
        { required?: boolean; content?: Record<string, { schema?: unknown }> } | undefined;
      for (const media of Object.values(body?.content ?? {})) {
        const schema = resolve(media.schema);
        if (schema === undefined || schema['type'] !== 'object') continue;
        schema['additionalProperties'] = false;
        for (const [name, property] of Object.entries(schema.properties ?? {}))
          if (!(schema.required ?? []).includes(name) && !('$ref' in (property as object)))
            (property as Record<string, unknown>)['nullable'] = true;
        // A DTO whose every property is optional; a body read by hand states no properties.
        if (
          body !== undefined &&
          Object.keys(schema.properties ?? {}).length > 0 &&
          (schema.required ?? []).length === 0
        )
          body.required = false;
      }
      const parameters = (operation.parameters ?? []) as { name: string; in: string; schema?: object }[];
      for (const parameter of parameters) {
        const rule = parameter.in === 'path' ? options.pathParameters?.[parameter.name] : undefined;
        if (rule !== undefined)
          parameter.schema = {
            type: 'string',
            pattern: rule.pattern.source,
            ...(rule.maxLength === undefined ? {} : { maxLength: rule.maxLength }),
          };
      }
      if (!(options.ownErrorBodies ?? []).includes(name))
        for (const [status, response] of Object.entries(operation.responses))
          if (Number(status) >= 400)
            operation.responses[status] = { ...response, content: PROBLEM_CONTENT } as ResponseEntry;
      const declare = (status: string, response: ResponseEntry) => {
        if (operation.responses[status] === undefined) operation.responses[status] = response;
      };
      if (body !== undefined || parameters.length > 0)
        declare('400', problemResponse('A parameter or the body is invalid; `field` names it.'));
      if ((operation as unknown as Record<string, unknown>)[REQUIRED_ROLES_EXTENSION] !== undefined) {
        declare('401', problemResponse('No bearer token, an unknown one, or no API_TOKENS configured.'));
        declare('403', problemResponse('The token lacks every role this operation accepts.'));
      }
      if (parameters.some((parameter) => parameter.in === 'path'))
        declare('404', problemResponse('A resource the path names does not exist.'));
      if (!(options.withoutMlflow ?? []).includes(name)) {
        declare('502', problemResponse("MLflow refused this app's credentials or answered unexpectedly."));
        declare(
          '503',
          problemResponse('MLflow is unreachable, timing out, failing or rate limiting; nothing was changed.', {
            'Retry-After': {
              description: `Seconds to wait (${MLFLOW_RETRY_AFTER_SECONDS}).`,
              schema: { type: 'integer' },
            },
          }),
        );
      }
    }
  }
  return document;
}

/**
 * Checks a path parameter against its rule.
 * @returns the problem in words (`name must be …`), or undefined when it follows the rule
 */
export function checkPathParameter(
  name: string,
  value: string,
  rules: ContractOptions['pathParameters'],
): string | undefined {
  const rule = rules?.[name];
  if (rule === undefined) return undefined;
  if (rule.maxLength !== undefined && value.length > rule.maxLength)
    return `${name} must have at most ${rule.maxLength} characters`;
  if (rule.pattern.test(value)) return undefined;
  return `${name} ${rule.problem?.(value) ?? `must be ${rule.rule}`}`;
}
