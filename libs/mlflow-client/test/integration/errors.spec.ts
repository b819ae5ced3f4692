// Each error class as the real server (or the real network) produces it, not constructed by hand.
// UnauthenticatedError (401) and the auth app's PermissionDeniedError (403) come from a server with
// MLflow's basic-auth app, in authentication.spec.ts. RateLimitedError (429) is the exception: MLflow
// has no rate limiting, so it is covered with an injected fetch in test/unit/transport.spec.ts.
import { createServer } from 'node:net';

import {
  AliasNotFoundError,
  InvalidParameterValueError,
  MlflowConnectionError,
  MlflowError,
  MlflowServerError,
  MlflowTimeoutError,
  PermissionDeniedError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  type WebhookEvent,
} from '../../src';
import { testClient, trackingUri, uniqueName } from '../support';

describe('errors from the real server', () => {
  const client = testClient({ maxRetries: 0 });

  it('ResourceDoesNotExistError: 404 RESOURCE_DOES_NOT_EXIST with the request', async () => {
    const error = await client.runs.get('0123456789abcdef').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceDoesNotExistError);
    expect(error).toBeInstanceOf(MlflowError);
    expect(error).toMatchObject({
      status: 404,
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      request: { method: 'GET', path: '/api/2.0/mlflow/runs/get?run_id=0123456789abcdef' },
    });
    expect((error as Error).message).toContain('Run with id=0123456789abcdef not found');
  });

  it('ResourceAlreadyExistsError: MLflow’s 400 RESOURCE_ALREADY_EXISTS', async () => {
    const name = uniqueName('dup');
    await client.registeredModels.create({ name });
    await expect(client.registeredModels.create({ name })).rejects.toMatchObject({
      constructor: ResourceAlreadyExistsError,
      status: 400,
      errorCode: 'RESOURCE_ALREADY_EXISTS',
      request: { method: 'POST', path: '/api/2.0/mlflow/registered-models/create' },
    });
  });

  it('InvalidParameterValueError: 400 INVALID_PARAMETER_VALUE', async () => {
    await expect(client.runs.searchPage({ experiment_ids: ['0'], filter: 'metrics.x >>> 1' })).rejects.toMatchObject({
      constructor: InvalidParameterValueError,
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
    });
  });

  it('AliasNotFoundError: MLflow’s 400 for a missing alias, mapped to a "does not exist"', async () => {
    const name = uniqueName('no_alias');
    await client.registeredModels.create({ name });
    await expect(client.registeredModels.getVersionByAlias({ name, alias: 'production' })).rejects.toBeInstanceOf(
      AliasNotFoundError,
    );
  });

  it('PermissionDeniedError: 403 from the server’s cross-origin guard', async () => {
    const crossOrigin = testClient({ maxRetries: 0, defaultHeaders: { Origin: 'https://elsewhere.example' } });
    await expect(crossOrigin.experiments.create({ name: uniqueName('blocked') })).rejects.toMatchObject({
      constructor: PermissionDeniedError,
      status: 403,
      errorCode: undefined,
      message: expect.stringContaining('Cross-origin request blocked'),
    });
  });

  it('MlflowServerError: a 500 (MLflow 3.17 fails on lower-case webhook enum names)', async () => {
    const lowerCase = [{ entity: 'model_version', action: 'created' }] as unknown as WebhookEvent[];
    await expect(
      client.webhooks.create({ name: uniqueName('bad'), url: 'http://127.0.0.1:9/x', events: lowerCase }),
    ).rejects.toMatchObject({
      constructor: MlflowServerError,
      status: 500,
      message: expect.stringContaining('Internal Server Error'),
    });
  });

  it('MlflowConnectionError: nothing listens on the port', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const offline = testClient({ trackingUri: `http://127.0.0.1:${closedPort}`, maxRetries: 0 });
    const error = await offline.experiments.getByName('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowConnectionError);
    expect(error).not.toBeInstanceOf(MlflowTimeoutError);
    expect(error).toMatchObject({ status: undefined, request: { method: 'GET' } });
  });

  it('MlflowTimeoutError: the real server cannot answer a search within 1 ms', async () => {
    const impatient = testClient({ trackingUri: trackingUri(), timeoutMs: 1, maxRetries: 0 });
    await expect(impatient.registeredModels.searchPage({ max_results: 1000 })).rejects.toMatchObject({
      constructor: MlflowTimeoutError,
      timeoutMs: 1,
      request: { method: 'GET', path: '/api/2.0/mlflow/registered-models/search?max_results=1000' },
    });
  });
});
