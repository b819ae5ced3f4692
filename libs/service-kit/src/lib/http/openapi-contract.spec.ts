import type { OpenAPIObject } from '@nestjs/swagger';

import { checkPathParameter, stateValidationContract, type ContractOptions } from './openapi-contract';

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
    // A declared answer keeps its words and is stated as a problem.
    expect(paths['/aliases'].put?.responses['400']).toMatchObject({
      description: 'their own words',
      content: { 'application/problem+json': { schema: { required: ['type', 'title', 'status', 'detail'] } } },
    });
    expect(paths['/health'].get?.responses['400']).toBeUndefined();
  });

  it('leaves the errors of another protocol as declared, and a body read by hand required', () => {
    const declared = document();
    const mlflowShape = { 'application/json': { schema: { type: 'object', required: ['error_code', 'message'] } } };
    const { put } = declared.paths['/aliases'];
    const { post } = declared.paths['/jobs'];
    if (!put || !post) throw new Error('the fixture lost its operations');
    put.responses['400'] = { description: 'MLflow-shaped', content: mlflowShape };
    post.requestBody = {
      required: true,
      content: { 'text/csv': { schema: { type: 'object' } } },
    };
    const { paths } = stateValidationContract(declared, { ownErrorBodies: ['PUT /aliases'] });
    expect(paths['/aliases'].put?.responses['400']).toEqual({ description: 'MLflow-shaped', content: mlflowShape });
    expect(paths['/jobs'].post?.requestBody).toMatchObject({ required: true });
  });

  const guarded = (): OpenAPIObject => ({
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/models/{name}/versions/{version}': {
        delete: {
          parameters: [
            { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'version', in: 'path', required: true, schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'deleted' }, '404': { description: 'their own words' } },
          'x-required-roles': ['deployer'],
        } as never,
      },
      '/health': { get: { responses: { '200': { description: 'ok' } } } },
    },
  });
  const options: ContractOptions = {
    pathParameters: {
      version: { pattern: /^[1-9][0-9]*$/, rule: 'a version number', problem: (value) => `is not a version: ${value}` },
      name: { pattern: /^[a-z_]+$/, rule: 'a lower-case name' },
    },
    withoutMlflow: ['GET /health'],
  };

  it('declares 401/403 on guarded operations, 404 on named resources and 502/503 where MLflow is asked', () => {
    const { paths } = stateValidationContract(guarded(), options);
    const removal = paths['/models/{name}/versions/{version}'].delete;
    expect(Object.keys(removal?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '502', '503']);
    expect(removal?.responses['404']).toMatchObject({
      description: 'their own words',
      content: { 'application/problem+json': {} },
    });
    expect(removal?.responses['503']).toMatchObject({ headers: { 'Retry-After': { schema: { type: 'integer' } } } });
    expect(Object.keys(paths['/health'].get?.responses ?? {})).toEqual(['200']);
  });

  it('states the patterns of path parameters and checks values against them', () => {
    const { paths } = stateValidationContract(guarded(), options);
    expect(paths['/models/{name}/versions/{version}'].delete?.parameters).toEqual([
      { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z_]+$' } },
      { name: 'version', in: 'path', required: true, schema: { type: 'string', pattern: '^[1-9][0-9]*$' } },
    ]);
    expect(checkPathParameter('version', '3', options.pathParameters)).toBeUndefined();
    expect(checkPathParameter('version', '0', options.pathParameters)).toBe('version is not a version: 0');
    expect(checkPathParameter('name', 'A', options.pathParameters)).toBe('name must be a lower-case name');
    expect(checkPathParameter('other', '!', options.pathParameters)).toBeUndefined();
  });
});
