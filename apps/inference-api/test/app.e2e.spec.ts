import { createServer, request } from 'node:http';

import { defaultChurnSchema } from '@churn/churn-pipeline';
import type { ModelVersion } from '@churn/mlflow-client';

import { ScoringFastPath } from '../src/app/bootstrap/scoring-fast-path';
import { ServingMetricsService } from '../src/app/metrics/serving-metrics.service';
import { ScoringService } from '../src/app/scoring/scoring.service';
import { ADMIN_TOKEN, postJson, startApp, waitFor, waitForVersion, type RunningApp } from './support/app-harness';
import { fixtureSource, mlflowClient, registerTrainedVersion, telcoCustomers } from './support/model-fixtures';

const MODEL = 'iapi_endpoints';

const PUBLIC_ROUTES = ['/health', '/invocations', '/predict', '/ready'];
const INTERNAL_ROUTES = [
  '/ab/report',
  '/admin/reload',
  '/drift',
  '/feedback',
  '/metrics',
  '/model',
  '/webhooks/mlflow',
];

describe(`inference-api endpoints (versions from the ${fixtureSource()})`, () => {
  const client = mlflowClient();
  let app: RunningApp;
  let v1: ModelVersion;
  let customers: Record<string, string | number | null>[];

  beforeAll(async () => {
    v1 = await registerTrainedVersion(client, MODEL, 1);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: v1.version });
    customers = await telcoCustomers(20);
    app = await startApp({ MODEL_NAME: MODEL, MAX_BATCH_ROWS: '50', BODY_LIMIT_BYTES: '65536' });
    await waitForVersion(app, v1.version);
  });

  afterAll(() => app?.close());

  it('answers GET /health with the served version', async () => {
    const response = await fetch(`${app.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', model: `${MODEL}@production (v${v1.version})` });
  });

  it('predicts one customer, naming the version in the body and the x-model-version header', async () => {
    const response = await postJson(`${app.url}/predict`, { ...customers[0], user_id: 'u-1', request_id: 'req-1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-model-version')).toBe(v1.version);
    expect(response.json).toEqual({
      prediction: expect.any(Number),
      probability: expect.any(Number),
      model: { name: MODEL, alias: 'production', version: v1.version },
      variant: 'production',
      request_id: 'req-1',
      warnings: [],
    });
    expect(response.json.prediction).toBe(response.json.probability >= 0.5 ? 1 : 0);
  });

  it('generates a request_id when none is sent', async () => {
    const response = await postJson(`${app.url}/predict`, customers[1]);
    expect(response.json.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('predicts a batch given as { customers } or as an array, row for row the same as one at a time', async () => {
    const wrapped = await postJson(`${app.url}/predict`, { customers: customers.slice(0, 5), request_id: 'batch-1' });
    const bare = await postJson(`${app.url}/predict`, customers.slice(0, 5));
    expect(wrapped.status).toBe(200);
    expect(wrapped.json.model).toEqual({ name: MODEL, alias: 'production', version: v1.version });
    expect(wrapped.json.request_id).toBe('batch-1');
    expect(wrapped.json.predictions).toHaveLength(5);
    expect(bare.json.predictions).toEqual(wrapped.json.predictions);
    for (let row = 0; row < 5; row++) {
      const single = await postJson(`${app.url}/predict`, customers[row]);
      expect(wrapped.json.predictions[row]).toEqual({
        prediction: single.json.prediction,
        probability: single.json.probability,
        warnings: [],
      });
    }
  });

  it('accepts numeric text and blank or null numeric values (imputed), and numbers for categorical columns', async () => {
    const base = await postJson(`${app.url}/predict`, customers[2]);
    const asText = await postJson(`${app.url}/predict`, {
      ...customers[2],
      tenure: String(customers[2].tenure),
      SeniorCitizen: Number(customers[2].SeniorCitizen),
    });
    expect(asText.json.probability).toBe(base.json.probability);
    const missing = await postJson(`${app.url}/predict`, { ...customers[2], TotalCharges: ' ' });
    const nulled = await postJson(`${app.url}/predict`, { ...customers[2], TotalCharges: null });
    expect(missing.status).toBe(200);
    expect(nulled.json.probability).toBe(missing.json.probability);
  });

  it('scores unknown categories and reports them and ignored fields in warnings', async () => {
    const response = await postJson(`${app.url}/predict`, {
      ...customers[0],
      Contract: 'Ten years',
      favourite_colour: 'green',
    });
    expect(response.status).toBe(200);
    expect(response.json.warnings).toEqual([
      'Contract: unknown category "Ten years" scored as none of the known categories',
      'field "favourite_colour" is not a model input; ignored',
    ]);
  });

  it.each([
    ['a wrong type', { tenure: { years: 2 } }, 'tenure', /expected a finite number/],
    ['non-numeric text', { MonthlyCharges: 'lots' }, 'MonthlyCharges', /text "lots"/],
    ['NaN as text', { MonthlyCharges: 'NaN' }, 'MonthlyCharges', /"NaN"/],
    ['Infinity as text', { TotalCharges: 'Infinity' }, 'TotalCharges', /"Infinity"/],
    ['a boolean category', { Contract: true }, 'Contract', /expected text, a finite number or null/],
  ])('answers 400 naming the field for %s', async (_case, change, field, message) => {
    const response = await postJson(`${app.url}/predict`, { ...customers[0], ...change });
    expect(response.status).toBe(400);
    expect(response.json.field).toBe(field);
    expect(response.json.detail).toMatch(message);
  });

  it('answers 400 naming the row and field of a bad value in a batch', async () => {
    const batch = customers.slice(0, 4).map((customer, row) => (row === 2 ? { ...customer, tenure: 'x' } : customer));
    const response = await postJson(`${app.url}/predict`, { customers: batch });
    expect(response.status).toBe(400);
    expect(response.json.field).toBe('customers[2].tenure');
  });

  it('answers 400 for a missing required feature, malformed JSON, a non-object body and an empty batch', async () => {
    const { tenure: _dropped, ...withoutTenure } = customers[0];
    const missing = await postJson(`${app.url}/predict`, withoutTenure);
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({
      field: 'tenure',
      detail: 'tenure: required feature is missing (send null for an unknown value)',
    });
    const malformed = await postJson(`${app.url}/predict`, '{"tenure": 1,');
    expect(malformed.status).toBe(400);
    expect(malformed.json.detail).toMatch(/^body: malformed JSON/);
    const literalNaN = await postJson(`${app.url}/predict`, '{"tenure": NaN}');
    expect(literalNaN.status).toBe(400);
    expect((await postJson(`${app.url}/predict`, '42')).status).toBe(400);
    const empty = await postJson(`${app.url}/predict`, { customers: [] });
    expect(empty.json).toMatchObject({ status: 400, field: 'customers' });
    const badId = await postJson(`${app.url}/predict`, { ...customers[0], request_id: { id: 1 } });
    expect(badId.json.field).toBe('request_id');
  });

  it('answers 413 for more rows than MAX_BATCH_ROWS and for bodies over BODY_LIMIT_BYTES', async () => {
    const tooMany = await postJson(
      `${app.url}/predict`,
      Array.from({ length: 51 }, () => customers[0]),
    );
    expect(tooMany.status).toBe(413);
    expect(tooMany.json.detail).toMatch(/51 customers exceed the limit of 50/);
    const huge = await postJson(`${app.url}/predict`, { ...customers[0], padding: 'x'.repeat(70_000) });
    expect(huge.status).toBe(413);
    expect(huge.json.detail).toMatch(/larger than 65536 bytes \(BODY_LIMIT_BYTES\)/);
  });

  it('answers errors as RFC 9457 problem details, and 405 with Allow for a method a path does not take', async () => {
    const bad = await postJson(`${app.url}/predict`, { ...customers[0], tenure: 'ten' });
    expect({ type: bad.headers.get('content-type'), body: bad.json }).toEqual({
      type: 'application/problem+json; charset=utf-8',
      body: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: expect.stringMatching(/^tenure: /),
        field: 'tenure',
      },
    });
    const getPredict = await fetch(`${app.url}/predict`);
    expect({ status: getPredict.status, allow: getPredict.headers.get('allow') }).toEqual({
      status: 405,
      allow: 'POST',
    });
    const deleteReport = await fetch(`${app.internalUrl}/ab/report`, { method: 'DELETE' });
    expect({ status: deleteReport.status, allow: deleteReport.headers.get('allow') }).toEqual({
      status: 405,
      allow: expect.stringMatching(/^GET\b/),
    });
    // A path of the other listener stays unknown here, whatever the method.
    const elsewhere = await fetch(`${app.url}/ab/report`, { method: 'DELETE' });
    expect({ status: elsewhere.status, allow: elsewhere.headers.get('allow') }).toEqual({ status: 404, allow: null });
    const nowhere = await fetch(`${app.url}/nowhere`);
    expect({ type: nowhere.headers.get('content-type'), body: await nowhere.json() }).toMatchObject({
      type: 'application/problem+json; charset=utf-8',
      body: { type: 'about:blank', title: 'Not Found', status: 404 },
    });
  });

  describe('POST /invocations (MLflow scoring protocol)', () => {
    const columns = () => Object.keys(customers[0]);
    const expected = async () =>
      (await postJson(`${app.url}/predict`, customers.slice(0, 3))).json.predictions.map(
        (p: { prediction: number; probability: number }) => ({ label: p.prediction, probability: p.probability }),
      );

    it.each([
      [
        'dataframe_split',
        () => ({
          dataframe_split: { columns: columns(), data: customers.slice(0, 3).map((c) => columns().map((k) => c[k])) },
        }),
      ],
      [
        'dataframe_split with an index',
        () => ({
          dataframe_split: {
            index: [7, 8, 9],
            columns: columns(),
            data: customers.slice(0, 3).map((c) => columns().map((k) => c[k])),
          },
        }),
      ],
      ['dataframe_records', () => ({ dataframe_records: customers.slice(0, 3) })],
      ['instances as records', () => ({ instances: customers.slice(0, 3) })],
      [
        'inputs as columns',
        () => ({ inputs: Object.fromEntries(columns().map((k) => [k, customers.slice(0, 3).map((c) => c[k])])) }),
      ],
      ['params beside the data', () => ({ dataframe_records: customers.slice(0, 3), params: {} })],
    ])('answers %s with { predictions: [{ label, probability }] }', async (_format, body) => {
      const response = await postJson(`${app.url}/invocations`, body());
      expect(response.status).toBe(200);
      expect(response.headers.get('x-model-version')).toBe(v1.version);
      expect(response.json).toEqual({ predictions: await expected() });
    });

    it('answers a text/csv body', async () => {
      const csv = [
        columns().join(','),
        ...customers.slice(0, 3).map((c) =>
          columns()
            .map((k) => (c[k] === null ? '' : String(c[k])))
            .join(','),
        ),
      ].join('\n');
      const response = await fetch(`${app.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: csv,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ predictions: await expected() });
    });

    it("answers errors in MLflow's { error_code, message } form", async () => {
      const twoFormats = await postJson(`${app.url}/invocations`, { dataframe_records: [], instances: [] });
      expect(twoFormats.status).toBe(400);
      expect(twoFormats.json).toEqual({
        error_code: 'BAD_REQUEST',
        message: expect.stringMatching(/exactly one of the input fields/),
      });
      const badValue = await postJson(`${app.url}/invocations`, {
        dataframe_records: [{ ...customers[0], tenure: 'ten' }],
      });
      expect(badValue.json).toEqual({
        error_code: 'BAD_REQUEST',
        message: expect.stringMatching(/^dataframe_records\[0\]\.tenure: /),
      });
      const list = await postJson(`${app.url}/invocations`, [customers[0]]);
      expect(list.json.message).toMatch(/Received a list/);
      const unsupported = await fetch(`${app.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: '<x/>',
      });
      expect(unsupported.status).toBe(415);
    });
  });

  describe('the scoring fast path (JSON requests answered ahead of the framework)', () => {
    const split = (rows: Record<string, unknown>[], change = (row: Record<string, unknown>) => row) => {
      const changed = rows.map(change);
      const columns = Object.keys(changed[0]);
      return { dataframe_split: { columns, data: changed.map((row) => columns.map((column) => row[column])) } };
    };
    const withoutRequestId = (body: Record<string, unknown>) => {
      const { request_id: _id, ...rest } = body;
      return rest;
    };

    it('answers exactly as the framework route does, body, status and headers', async () => {
      const cases: { url: string; payload: unknown }[] = [
        { url: '/predict', payload: { ...customers[0], user_id: 'u-9', request_id: 'same-1' } },
        { url: '/predict', payload: { customers: customers.slice(0, 3), request_id: 'same-2' } },
        { url: '/predict', payload: { ...customers[0], tenure: 'x' } },
        { url: '/invocations', payload: { dataframe_records: customers.slice(0, 3) } },
        { url: '/invocations', payload: { dataframe_records: [], instances: [] } },
        // dataframe_split is read from the bytes on the fast path (model/dataframe-split-scanner.ts), parsed on the framework's.
        { url: '/invocations', payload: split(customers.slice(0, 3)) },
        { url: '/invocations', payload: split(customers.slice(0, 3), (row) => ({ ...row, tenure: 'x' })) },
        {
          url: '/invocations',
          payload: split(customers.slice(0, 3), (row) => ({
            ...row,
            Contract: 'Two weeks',
            note: 'a "quoted" \\ note',
          })),
        },
      ];
      for (const { url, payload } of cases) {
        const direct = await fetch(`${app.url}${url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
        });
        // inject() goes through Fastify's router to the Nest controller, never through the fast path.
        const framework = await app.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        });
        expect({ url, status: direct.status }).toEqual({ url, status: framework.statusCode });
        expect(withoutRequestId((await direct.json()) as Record<string, unknown>)).toEqual(
          withoutRequestId(framework.json()),
        );
        for (const header of ['content-type', 'x-model-version', 'x-model-alias', 'x-model-variant']) {
          expect({ url, header, value: direct.headers.get(header) }).toEqual({
            url,
            header,
            value: (framework.headers[header] as string | undefined) ?? null,
          });
        }
      }
    });

    it('answers JSON scoring requests on its own and passes every other request to the listener behind it', async () => {
      const server = createServer(
        (_request, response) => void response.writeHead(418, { 'content-type': 'text/plain' }).end('framework'),
      );
      new ScoringFastPath(app.app.get(ScoringService), app.app.get(ServingMetricsService), {
        service: 'inference-api',
        trackingUri: 'http://mlflow.invalid',
        bodyLimitBytes: 65_536,
      }).install(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      try {
        const json = await postJson(`${url}/predict`, customers[0]);
        expect(json.status).toBe(200);
        expect(json.json).toMatchObject({ prediction: expect.any(Number), model: { version: v1.version } });
        expect(
          (await postJson(`${url}/invocations`, { dataframe_records: customers.slice(0, 2) })).json.predictions,
        ).toHaveLength(2);
        const csv = await fetch(`${url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'text/csv' },
          body: 'tenure\n1',
        });
        expect([csv.status, await csv.text()]).toEqual([418, 'framework']);
        const other = await fetch(`${url}/health`);
        expect(other.status).toBe(418);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('counts its requests in the request metrics by route, version and status', async () => {
      const before = await (await fetch(`${app.internalUrl}/metrics`)).text();
      const series = `inference_requests_total{route="/invocations",alias="production",version="${v1.version}",status="200"}`;
      const count = (text: string) =>
        Number(
          text
            .split('\n')
            .find((line) => line.startsWith(series))
            ?.split(' ')[1] ?? 0,
        );
      await postJson(`${app.url}/invocations`, { dataframe_records: customers.slice(0, 2) });
      expect(count(await (await fetch(`${app.internalUrl}/metrics`)).text())).toBe(count(before) + 1);
    });

    it('answers 413 to a streamed body that grows past BODY_LIMIT_BYTES, and the connection stays usable', async () => {
      const port = Number(new URL(app.url).port);
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const outgoing = request(
          {
            host: '127.0.0.1',
            port,
            path: '/predict',
            method: 'POST',
            headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
          },
          (incoming) => {
            let body = '';
            incoming.setEncoding('utf8');
            incoming.on('data', (chunk: string) => (body += chunk));
            incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
          },
        );
        outgoing.on('error', reject);
        for (let chunk = 0; chunk < 10; chunk++) outgoing.write(`"${'x'.repeat(10_000)}",`);
        outgoing.end();
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({
        status: 413,
        field: 'body',
        detail: expect.stringMatching(/larger than 65536 bytes \(BODY_LIMIT_BYTES\)/),
      });
      expect((await postJson(`${app.url}/predict`, customers[0])).status).toBe(200);
    });

    it('leaves other content types and charsets to the framework, which answers them as before', async () => {
      const latin1 = await fetch(`${app.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=latin1' },
        body: JSON.stringify({ dataframe_records: customers.slice(0, 1) }),
      });
      expect(latin1.status).toBe(415);
      expect(await latin1.text()).toMatch(/only supports UTF-8/);
      const noType = await fetch(`${app.url}/predict`, {
        method: 'POST',
        body: new Uint8Array(Buffer.from(JSON.stringify(customers[0]))),
      });
      expect(noType.status).toBe(415);
      const getPredict = await fetch(`${app.url}/predict`);
      expect(getPredict.status).toBe(405);
    });
  });

  it('GET /ready reports the slot; GET /model the version, run, metrics and source', async () => {
    const ready = await fetch(`${app.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      slots: [
        expect.objectContaining({
          name: MODEL,
          alias: 'production',
          state: 'ready',
          version: v1.version,
          alias_version: v1.version,
          last_error: null,
        }),
      ],
    });
    const model = (await (await fetch(`${app.internalUrl}/model`)).json()) as Record<string, unknown>;
    expect(model).toMatchObject({
      name: MODEL,
      alias: 'production',
      version: v1.version,
      run_id: v1.run_id,
      source: v1.source,
      has_train_stats: true,
    });
    expect(model['metrics']).toEqual(expect.objectContaining({ f1: expect.any(Number), roc_auc: expect.any(Number) }));
    expect(model['outputs']).toEqual({ probability: 'probability', probability_width: 1, label: 'label' });
    const schema = defaultChurnSchema();
    const servingCopy = model['serving_copy'] as {
      integer_coded_inputs: string[];
      packed_inputs: string[];
      notes: string[];
    };
    expect([...servingCopy.integer_coded_inputs].sort()).toEqual([...schema.categorical].sort());
    expect(servingCopy.packed_inputs).toEqual([...schema.numeric, ...schema.categorical]);
    expect(servingCopy.notes).toEqual([]);
  });

  it('GET /metrics exposes request, swap, failure and loaded-version metrics', async () => {
    const text = await (await fetch(`${app.internalUrl}/metrics`)).text();
    expect(text).toMatch(
      new RegExp(
        `inference_requests_total\\{route="/predict",alias="production",version="${v1.version}",status="200"\\} \\d+`,
      ),
    );
    expect(text).toMatch(/inference_request_duration_seconds_bucket\{le="0.01",route="\/predict",alias="production"/);
    expect(text).toMatch(
      new RegExp(
        `inference_rows_scored_total\\{route="predict",alias="production",version="${v1.version}"\\} [1-9]\\d*`,
      ),
    );
    expect(text).toContain(`inference_model_loaded_version{name="${MODEL}",alias="production"} ${v1.version}`);
    expect(text).toMatch(
      new RegExp(
        `inference_model_swaps_total\\{name="${MODEL}",alias="production",version="${v1.version}",trigger="startup"\\} 1`,
      ),
    );
    expect(text).toContain('# TYPE inference_model_swap_duration_seconds histogram');
    expect(text).toContain('# TYPE inference_model_load_failures_total counter');
  });

  it('POST /admin/reload needs the bearer token and answers with the version after the reload', async () => {
    expect((await postJson(`${app.internalUrl}/admin/reload`, { name: MODEL })).status).toBe(401);
    expect(
      (await postJson(`${app.internalUrl}/admin/reload`, { name: MODEL }, { authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    const reloaded = await postJson(
      `${app.internalUrl}/admin/reload`,
      { name: MODEL, alias: 'production' },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(reloaded.status).toBe(200);
    expect(reloaded.json).toEqual({
      name: MODEL,
      slots: [expect.objectContaining({ alias: 'production', version: v1.version, state: 'ready' })],
    });
    const other = await postJson(
      `${app.internalUrl}/admin/reload`,
      { name: 'someone_else' },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(other.status).toBe(404);
    const invalid = await postJson(
      `${app.internalUrl}/admin/reload`,
      { name: '../x' },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({
      field: 'name',
      detail: expect.stringMatching(/name must be a registered model name/),
    });
  });

  it('POST /webhooks/mlflow answers 401 to an unsigned delivery', async () => {
    const response = await postJson(`${app.internalUrl}/webhooks/mlflow`, {
      entity: 'model_version_alias',
      action: 'created',
      data: { name: MODEL, alias: 'production', version: '1' },
    });
    expect(response.status).toBe(401);
  });

  it('serves each listener its own OpenAPI document at /docs-json and Swagger UI at /docs', async () => {
    const paths = async (base: string) =>
      Object.keys(((await (await fetch(`${base}/docs-json`)).json()) as { paths: object }).paths).sort();
    expect(await paths(app.url)).toEqual(PUBLIC_ROUTES);
    expect(await paths(app.internalUrl)).toEqual(INTERNAL_ROUTES);
    for (const base of [app.url, app.internalUrl]) {
      expect(await (await fetch(`${base}/docs`)).text()).toContain('swagger');
      expect(await (await fetch(`${base}/docs/swagger-ui-init.js`)).text()).toContain(
        base === app.url ? '(public listener)' : '(internal listener)',
      );
    }
  });

  it('answers a route asked on the other listener exactly as an unknown route', async () => {
    const unknown = await fetch(`${app.url}/no-such-route`);
    const unknownBody = await unknown.text();
    const asked: [string, string, string][] = [
      ...INTERNAL_ROUTES.map((route): [string, string, string] => [app.url, route, 'public']),
      ...PUBLIC_ROUTES.map((route): [string, string, string] => [app.internalUrl, route, 'internal']),
    ];
    for (const [base, route] of asked) {
      const method = ['/predict', '/invocations', '/admin/reload', '/webhooks/mlflow', '/feedback'].includes(route)
        ? 'POST'
        : 'GET';
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: method === 'POST' ? JSON.stringify({ name: MODEL }) : undefined,
      });
      const body = await response.text();
      expect([route, response.status, response.headers.get('content-type')]).toEqual([
        route,
        404,
        unknown.headers.get('content-type'),
      ]);
      expect(body).toBe(unknownBody.replace('/no-such-route', route).replace('GET', method));
    }
    // and each route is served on its own listener
    expect((await fetch(`${app.url}/ready`)).status).toBe(200);
    expect((await fetch(`${app.internalUrl}/metrics`)).status).toBe(200);
  });
});

describe('inference-api before any version is loaded', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ MODEL_NAME: 'iapi_never_registered', POLL_INTERVAL_MS: '0' });
  });

  afterAll(() => app?.close());

  it('is alive but not ready, and says why', async () => {
    expect(await (await fetch(`${app.url}/health`)).json()).toEqual({ status: 'ok', model: null });
    const body = await waitFor('the first resolve to fail', async () => {
      const ready = await fetch(`${app.url}/ready`);
      expect(ready.status).toBe(503);
      const details = (await ready.json()) as {
        slots: { state: string; last_error: { stage: string; message: string } | null }[];
      };
      return details.slots[0].state === 'starting' ? undefined : details;
    });
    expect(body.slots[0].state).toBe('unavailable');
    expect(body.slots[0].last_error).toMatchObject({
      stage: 'resolve',
      message: expect.stringMatching(/^cannot resolve iapi_never_registered@production: .*not found/),
    });
    const predict = await postJson(`${app.url}/predict`, { tenure: 1 });
    expect(predict.status).toBe(503);
    // A malformed body is named as such before readiness is, on either route (dataframe_split included, which is read late).
    for (const url of ['/predict', '/invocations']) {
      const malformed = await fetch(`${app.url}${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"dataframe_split": {"columns": ["tenure"], "data": [[1]]',
      });
      expect({ url, status: malformed.status, body: await malformed.json() }).toMatchObject({
        url,
        status: 400,
        // MLflow's { error_code, message } on /invocations, a problem's detail elsewhere.
        body: { [url === '/invocations' ? 'message' : 'detail']: expect.stringMatching(/malformed JSON/) },
      });
    }
    expect(
      (await postJson(`${app.url}/invocations`, { dataframe_split: { columns: ['tenure'], data: [[1]] } })).status,
    ).toBe(503);
    expect(predict.json.detail).toMatch(/no version of iapi_never_registered@production is loaded yet/);
    expect((await fetch(`${app.internalUrl}/model`)).status).toBe(503);
  });
});

describe('inference-api business reads with API_TOKENS set', () => {
  const viewer = 'viewer-token-0123456789';
  const trainer = 'trainer-token-0123456789';
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({
      MODEL_NAME: 'iapi_never_registered',
      POLL_INTERVAL_MS: '0',
      API_TOKENS: `dashboards:viewer:${viewer},ci:trainer:${trainer}`,
    });
  });

  afterAll(() => app.close());

  it.each(['/model', '/drift', '/ab/report'])(
    'GET %s: 401 without a known token, 403 without the viewer role, answered with it',
    async (route) => {
      const as = async (token?: string) => {
        const response = await fetch(`${app.internalUrl}${route}`, {
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        });
        return { status: response.status, body: await response.text() };
      };
      const [anonymous, unknown, noRole, allowed] = await Promise.all([
        as(),
        as('not-a-listed-token-000'),
        as(trainer),
        as(viewer),
      ]);
      expect([anonymous.status, unknown.status, noRole.status]).toEqual([401, 401, 403]);
      expect(noRole.body).toContain('ci lacks the viewer role');
      for (const answer of [anonymous, unknown, noRole]) expect(answer.body).not.toMatch(/token-0123456789/);
      // Past the guard: what the route itself answers with no version loaded (503) or its report (200).
      expect([200, 503]).toContain(allowed.status);
      expect(allowed.body).not.toMatch(/bearer|viewer role/i);
    },
  );

  it('leaves metrics, scoring and probes open, and states the role in the internal OpenAPI document', async () => {
    expect((await fetch(`${app.internalUrl}/metrics`)).status).toBe(200);
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
    const document = (await (await fetch(`${app.internalUrl}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { 'x-required-roles'?: string[] }>>;
    };
    const roles = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => [`${method} ${path}`, operation['x-required-roles']]),
    );
    expect(roles.filter(([, required]) => required !== undefined).sort()).toEqual([
      ['get /ab/report', ['viewer']],
      ['get /drift', ['viewer']],
      ['get /model', ['viewer']],
    ]);
  });
});
