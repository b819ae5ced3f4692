import type { OpenAPIObject } from '@nestjs/swagger';

import { stateValidationContract } from './openapi-contract';

describe('stateValidationContract', () => {
  const document = (): OpenAPIObject => ({
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/jobs': {
        post: {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } },
          },
          responses: { '202': { description: 'queued' } },
        },
        get: {
          parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer' } }],
          responses: { '200': { description: 'jobs' } },
        },
      },
      '/health': { get: { responses: { '200': { description: 'ok' } } } },
      '/aliases': {
        put: {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Move' } } },
          },
          responses: { '200': { description: 'moved' }, '400': { description: 'their own words' } },
        },
      },
    },
    components: {
      schemas: {
        Job: {
          type: 'object',
          properties: { seed: { type: 'integer' }, nested: { $ref: '#/components/schemas/Move' } },
        },
        Move: {
          type: 'object',
          properties: { version: { type: 'string' }, reason: { type: 'string' } },
          required: ['version'],
        },
      },
    },
  });

  it('closes request bodies to unknown properties and lets optional ones be null', () => {
    const { components } = stateValidationContract(document());
    expect(components?.schemas?.['Job']).toMatchObject({
      additionalProperties: false,
      properties: { seed: { type: 'integer', nullable: true }, nested: { $ref: '#/components/schemas/Move' } },
    });
    expect(components?.schemas?.['Move']).toMatchObject({
      additionalProperties: false,
      properties: { version: { type: 'string' }, reason: { type: 'string', nullable: true } },
    });
    expect(
      (components?.schemas?.['Move'] as { properties: Record<string, object> }).properties['version'],
    ).not.toHaveProperty('nullable');
  });

  it('makes a body whose every property is optional optional itself, and keeps others required', () => {
    const { paths } = stateValidationContract(document());
    expect(paths['/jobs'].post?.requestBody).toMatchObject({ required: false });
    expect(paths['/aliases'].put?.requestBody).toMatchObject({ required: true });
  });

  it('declares a 400 problem on every operation with inputs, keeping a declared one and adding none elsewhere', () => {
    const { paths } = stateValidationContract(document());
    expect(paths['/jobs'].post?.responses['400']).toMatchObject({
      content: { 'application/problem+json': { schema: { required: ['type', 'title', 'status', 'detail'] } } },
    });
    expect(paths['/jobs'].get?.responses['400']).toBeDefined();
    expect(paths['/aliases'].put?.responses['400']).toEqual({ description: 'their own words' });
    expect(paths['/health'].get?.responses['400']).toBeUndefined();
  });
});
