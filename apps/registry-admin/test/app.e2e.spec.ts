import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { registerTrainedVersion, testClient, uniqueName } from './support/registry-fixtures';
import { asAdmin, asViewer, createTestApp, TOKENS } from './support/test-app';

describe('registry-admin app: health, docs, access control, validation, traffic', () => {
  const mlflow = testClient();
  let app: NestFastifyApplication;
  let model: string;

  beforeAll(async () => {
    app = await createTestApp();
    model = uniqueName('app-model');
    await registerTrainedVersion(mlflow, model);
  });

  afterAll(() => app.close());

  it('answers GET /health without a token', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI spec at /docs-json with every admin endpoint, and Swagger UI at /docs', async () => {
    const spec = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(spec.statusCode).toBe(200);
    expect(Object.keys(spec.json().paths).sort()).toEqual([
      '/health',
      '/models',
      '/models/{name}/aliases/{alias}',
      '/models/{name}/history',
      '/models/{name}/promote',
      '/models/{name}/rollback',
      '/models/{name}/rollouts',
      '/models/{name}/rollouts/{id}',
      '/models/{name}/rollouts/{id}/abort',
      '/models/{name}/traffic',
      '/models/{name}/versions',
      '/models/{name}/versions/{version}',
      '/models/{name}/webhooks',
      '/models/{name}/webhooks/{id}',
    ]);
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  describe('access control', () => {
    it('401 without a token, with a malformed header or an unknown token', async () => {
      for (const headers of [{}, { authorization: TOKENS.admin }, { authorization: 'Bearer not-a-known-token' }]) {
        const response = await app.inject({ method: 'GET', url: '/models', headers });
        expect(response.statusCode).toBe(401);
        expect(response.json().detail).toMatch(/missing bearer token|unknown bearer token/);
      }
    });

    it('403 naming the caller and the role when the token lacks it', async () => {
      const promote = await app.inject({
        method: 'POST',
        url: `/models/${model}/promote`,
        headers: asViewer,
        payload: { to: 1 },
      });
      expect(promote.statusCode).toBe(403);
      expect(promote.json().detail).toBe('victor lacks the deployer role (has viewer)');
      const read = await app.inject({
        method: 'GET',
        url: '/models',
        headers: { authorization: `Bearer ${TOKENS.deployOnly}` },
      });
      expect(read.statusCode).toBe(403);
      expect(read.json().detail).toBe('dora lacks the viewer role (has deployer)');
    });

    it('401 saying so when no tokens are configured', async () => {
      const closed = await createTestApp({ API_TOKENS: '' });
      try {
        const response = await closed.inject({ method: 'GET', url: '/models', headers: asAdmin });
        expect(response.statusCode).toBe(401);
        expect(response.json().detail).toMatch(/no API tokens are configured/);
      } finally {
        await closed.close();
      }
    });

    it('lets a viewer read the models and their versions with metrics, tags and source run', async () => {
      const models = await app.inject({ method: 'GET', url: '/models', headers: asViewer });
      expect(models.statusCode).toBe(200);
      expect(models.json()).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: model, latest_version: '1' })]),
      );
      const versions = await app.inject({ method: 'GET', url: `/models/${model}/versions`, headers: asViewer });
      expect(versions.statusCode).toBe(200);
      const [v1] = versions.json();
      expect(v1).toMatchObject({ version: '1', status: 'READY', aliases: [] });
      expect(v1.run_id).toMatch(/^[0-9a-f]{32}$/);
      expect(v1.tags).toMatchObject({ gate_passed: 'true', run_id: v1.run_id });
      expect(Number(v1.tags.f1)).toBeCloseTo(v1.metrics.f1, 12);
      expect(v1.metrics).toHaveProperty('roc_auc');
    });
  });

  describe('validation: the field is named, nothing is written', () => {
    it.each([
      ['latest', "alias 'latest' is reserved by MLflow"],
      ['v3', "alias 'v3' is reserved by MLflow for version references"],
      ['has%20space', "alias 'has space' may only contain ASCII letters, digits, underscores (_) and dashes (-)"],
      ['a%2Fb', "alias 'a/b' may only contain ASCII letters, digits, underscores (_) and dashes (-)"],
    ])('alias %s → 400', async (alias, message) => {
      const response = await app.inject({
        method: 'PUT',
        url: `/models/${model}/aliases/${alias}`,
        headers: asAdmin,
        payload: { version: 1 },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().detail).toBe(message);
    });

    it('a malformed model name or id in the path → 400 naming it, before MLflow is asked', async () => {
      for (const [url, field] of [
        ['/models/has%20space/versions', 'name'],
        ['/models/%C3%BCml/traffic', 'name'],
        [`/models/${model}/rollouts/a%2Fb`, 'id'],
      ]) {
        const response = await app.inject({ method: 'GET', url, headers: asAdmin });
        expect({ url, status: response.statusCode, field: response.json().field }).toEqual({ url, status: 400, field });
      }
    });

    it('a JSON null body → 400 naming body (an absent body keeps its defaults)', async () => {
      const response = await app.inject({
        method: 'POST',
        url: `/models/${model}/promote`,
        headers: { ...asAdmin, 'content-type': 'application/json' },
        payload: 'null',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ field: 'body', detail: 'the body must be a JSON object, not null' });
    });

    it('a non-numeric version or target → 400 naming version / to', async () => {
      const put = await app.inject({
        method: 'PUT',
        url: `/models/${model}/aliases/staging`,
        headers: asAdmin,
        payload: { version: 'two' },
      });
      expect(put.statusCode).toBe(400);
      expect(put.json().detail).toBe('version must be a positive whole version number such as 3');
      const promote = await app.inject({
        method: 'POST',
        url: `/models/${model}/promote`,
        headers: asAdmin,
        payload: { to: '1.5' },
      });
      expect(promote.statusCode).toBe(400);
      expect(promote.json().detail).toBe('to must be a positive whole version number such as 3');
      const remove = await app.inject({ method: 'DELETE', url: `/models/${model}/versions/abc`, headers: asAdmin });
      expect(remove.statusCode).toBe(400);
      expect(remove.json().detail).toBe('version must be a positive whole version number such as 3 (got "abc")');
    });

    it('a reason over 500 characters → 400 naming reason; force without a reason → 400 naming reason', async () => {
      const long = await app.inject({
        method: 'POST',
        url: `/models/${model}/rollback`,
        headers: asAdmin,
        payload: { reason: 'x'.repeat(501) },
      });
      expect(long.statusCode).toBe(400);
      expect(long.json().detail).toBe('reason must be shorter than or equal to 500 characters');
      const force = await app.inject({
        method: 'POST',
        url: `/models/${model}/promote`,
        headers: asAdmin,
        payload: { to: 1, force: true },
      });
      expect(force.statusCode).toBe(400);
      expect(force.json().detail).toBe('reason is required when force is true (say why the gates are overridden)');
    });

    it('unknown fields → 400 naming them', async () => {
      const response = await app.inject({
        method: 'POST',
        url: `/models/${model}/promote`,
        headers: asAdmin,
        payload: { version: 1 },
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(response.json()).toEqual({
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'property version should not exist',
        field: 'version',
        errors: [{ field: 'version', detail: 'property version should not exist' }],
      });
    });

    it('an undeclared method on a declared path → 405 with Allow; an undeclared path → 404', async () => {
      const response = await app.inject({
        method: 'PATCH',
        url: `/models/${model}/aliases/production`,
        headers: asAdmin,
      });
      expect(response.statusCode).toBe(405);
      expect(response.headers['allow']).toBe('DELETE, GET, HEAD, PUT');
      expect(response.json()).toMatchObject({ title: 'Method Not Allowed', status: 405 });
      expect((await app.inject({ method: 'GET', url: '/nowhere' })).json()).toMatchObject({ status: 404 });
      // A method that may carry a body is told about the method, not about a missing content type.
      const query = await app.inject({ method: 'QUERY' as 'GET', url: `/models/${model}/versions`, headers: asAdmin });
      expect([query.statusCode, query.headers['allow']]).toEqual([405, 'GET, HEAD']);
      expect(query.json()).toMatchObject({ title: 'Method Not Allowed', status: 405 });
    });

    it('unknown model → 404 on every endpoint', async () => {
      const missing = uniqueName('no-such-model');
      const requests = [
        { method: 'GET' as const, url: `/models/${missing}/versions` },
        { method: 'GET' as const, url: `/models/${missing}/aliases/production` },
        { method: 'GET' as const, url: `/models/${missing}/history` },
        { method: 'GET' as const, url: `/models/${missing}/traffic` },
        { method: 'POST' as const, url: `/models/${missing}/promote`, payload: {} },
        { method: 'POST' as const, url: `/models/${missing}/rollback`, payload: {} },
      ];
      for (const request of requests) {
        const response = await app.inject({ ...request, headers: asAdmin });
        expect(response.statusCode).toBe(404);
        expect(response.json().detail).toBe(`registered model '${missing}' does not exist`);
      }
    });

    it('an unset alias → 404; an unknown version → 404 listing the valid versions', async () => {
      const alias = await app.inject({ method: 'GET', url: `/models/${model}/aliases/staging`, headers: asAdmin });
      expect(alias.statusCode).toBe(404);
      expect(alias.json().detail).toBe(`alias 'staging' of '${model}' is not set`);
      const version = await app.inject({
        method: 'PUT',
        url: `/models/${model}/aliases/staging`,
        headers: asAdmin,
        payload: { version: 99 },
      });
      expect(version.statusCode).toBe(404);
      expect(version.json().detail).toBe(`version 99 of '${model}' does not exist (valid versions: 1)`);
    });
  });

  describe('traffic settings', () => {
    it('stores challenger share, shadow and salt as registered-model tags that MLflow returns', async () => {
      const initial = await app.inject({ method: 'GET', url: `/models/${model}/traffic`, headers: asViewer });
      expect(initial.json()).toEqual({ challenger_share: 0, shadow: false, salt: null, problems: [] });
      const put = await app.inject({
        method: 'PUT',
        url: `/models/${model}/traffic`,
        headers: asAdmin,
        payload: { challenger_share: 0.25, shadow: true, salt: 'spring' },
      });
      expect(put.statusCode).toBe(200);
      // No INFERENCE_URLS here, so no replica to push to.
      expect(put.json()).toEqual({
        challenger_share: 0.25,
        shadow: true,
        salt: 'spring',
        problems: [],
        pushes: [],
        audit_record_id: expect.any(String),
      });
      const partial = await app.inject({
        method: 'PUT',
        url: `/models/${model}/traffic`,
        headers: asAdmin,
        payload: { shadow: false },
      });
      expect(partial.json()).toEqual({
        challenger_share: 0.25,
        shadow: false,
        salt: 'spring',
        problems: [],
        pushes: [],
        audit_record_id: expect.any(String),
      });
      const tags = Object.fromEntries(
        ((await mlflow.registeredModels.get(model)).tags ?? []).map((tag) => [tag.key, tag.value]),
      );
      expect(tags).toMatchObject({
        'traffic.challenger_share': '0.25',
        'traffic.shadow': 'false',
        'traffic.salt': 'spring',
      });
    });

    it('reads tags written in MLflow itself as inference-api routes by them', async () => {
      for (const [key, value] of Object.entries({
        'traffic.challenger_share': '1.5',
        'traffic.shadow': ' TRUE ',
        'traffic.salt': '  ',
      }))
        await mlflow.registeredModels.setTag({ name: model, key, value });
      try {
        const read = await app.inject({ method: 'GET', url: `/models/${model}/traffic`, headers: asViewer });
        // An out-of-range share splits nothing (and is named); a blank salt means the model name.
        expect(read.json()).toEqual({
          challenger_share: 0,
          shadow: true,
          salt: null,
          problems: ['traffic.challenger_share must be a number from 0 to 1, got "1.5"; no split applied'],
        });
      } finally {
        for (const key of ['traffic.challenger_share', 'traffic.shadow', 'traffic.salt'])
          await mlflow.registeredModels.deleteTag({ name: model, key });
      }
    });

    it('rejects a share outside 0..1 naming the field, and an empty update', async () => {
      const bad = await app.inject({
        method: 'PUT',
        url: `/models/${model}/traffic`,
        headers: asAdmin,
        payload: { challenger_share: 1.5 },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().detail).toBe('challenger_share must not be greater than 1');
      const empty = await app.inject({ method: 'PUT', url: `/models/${model}/traffic`, headers: asAdmin, payload: {} });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().detail).toBe('challenger_share or shadow or salt must be given');
    });
  });
});
