/**
 * What the shared request handling enforces on every operation, written into the OpenAPI document
 * so that it describes the API a client really meets: the validation pipe refuses unknown body
 * properties (`forbidNonWhitelisted`) and answers any refused field, parameter or body with a 400
 * problem, so request bodies say `additionalProperties: false` and every operation with inputs
 * declares that 400. A body whose every property is optional may be left out, and an optional
 * property may be null (`@IsOptional` takes null as absent).
 */
import type { OpenAPIObject } from '@nestjs/swagger';

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

/** Rewrites `document` in place (and returns it) to state the shared validation's contract. */
export function stateValidationContract(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  const resolve = (schema: unknown): SchemaObject | undefined => {
    const ref = (schema as { $ref?: string } | undefined)?.$ref;
    return ref === undefined ? (schema as SchemaObject | undefined) : schemas[ref.split('/').pop() as string];
  };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      const body = operation.requestBody as
        { required?: boolean; content?: Record<string, { schema?: unknown }> } | undefined;
      for (const media of Object.values(body?.content ?? {})) {
        const schema = resolve(media.schema);
        if (schema === undefined || schema['type'] !== 'object') continue;
        schema['additionalProperties'] = false;
        for (const [name, property] of Object.entries(schema.properties ?? {}))
          if (!(schema.required ?? []).includes(name) && !('$ref' in (property as object)))
            (property as Record<string, unknown>)['nullable'] = true;
        if (body !== undefined && (schema.required ?? []).length === 0) body.required = false;
      }
      const hasInputs = body !== undefined || (operation.parameters ?? []).length > 0;
      if (hasInputs && operation.responses['400'] === undefined)
        operation.responses['400'] = {
          description: 'A parameter or the body is invalid; `field` names it.',
          content: { 'application/problem+json': { schema: PROBLEM_SCHEMA } },
        };
    }
  }
  return document;
}
