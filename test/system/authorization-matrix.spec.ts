// Who may call what, generated from each running app's own route table (its OpenAPI document, where
// every guarded operation lists its roles under `x-required-roles`): every operation × no token, a
// wrong token and a token of each role. No token or a wrong one → 401; a role the operation does not
// accept → 403; an accepted role gets past the guard (the handler answers: 2xx, or a 4xx/5xx of its
// own about the deliberately empty request). Operations without roles must be the few listed open, or
// listed as guarded by a secret of their own (inference-api's reload token, feedback token, webhook
// HMAC), which no API token opens: 401 to every caller. inference-api's two listeners each serve a
// document of their own routes; both are read.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MlflowServer, stopWithThisProcess } from './support/mlflow-server';
import { answers, freePort, startProcess, workspaceRoot, type TestProcess } from './support/processes';

const ROLES = ['viewer', 'deployer', 'trainer'] as const;
type Role = (typeof ROLES)[number];
const REQUIRED_ROLES = 'x-required-roles';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

const token = (role: string) => `${role}-${randomBytes(16).toString('hex')}`;
const TOKENS: Record<Role, string> = {
  viewer: token('viewer'),
  deployer: token('deployer'),
  trainer: token('trainer'),
};
const API_TOKENS = ROLES.map((role) => `${role}-only:${role}:${TOKENS[role]}`).join(',');
const WRONG_TOKEN = token('wrong');

/** Path parameters filled with values that exist (the model) or merely look right. */
const PATH_VALUES: Record<string, string> = {
  name: 'churn_model',
  version: '1',
  alias: 'production',
  id: 'unknown-id',
};

interface AppUnderTest {
  name: 'registry-admin' | 'training-worker' | 'inference-api';
  env: Record<string, string>;
  /** Operations anyone may call, as `METHOD /path` of the OpenAPI document. */
  open: string[];
  /** Operations guarded by a secret of their own rather than API_TOKENS. */
  ownSecret?: string[];
  /** inference-api: a second listener on INTERNAL_PORT with a document of its own. */
  internalListener?: boolean;
}

const APPS: AppUnderTest[] = [
  { name: 'registry-admin', env: { API_TOKENS }, open: ['GET /health'] },
  // Small synthetic data, so the jobs an accepted POST /jobs starts end quickly.
  { name: 'training-worker', env: { API_TOKENS, SYNTHETIC_ROWS: '300' }, open: ['GET /health'] },
  {
    name: 'inference-api',
    env: {
      API_TOKENS,
      INFERENCE_ADMIN_TOKEN: token('reload'),
      FEEDBACK_TOKEN: token('feedback'),
      MLFLOW_WEBHOOK_SECRET: token('webhook'),
    },
    // Scoring and probes (public listener) and Prometheus's scrape.
    open: ['GET /health', 'GET /ready', 'POST /predict', 'POST /invocations', 'GET /metrics'],
    ownSecret: ['POST /admin/reload', 'POST /feedback', 'POST /webhooks/mlflow'],
    internalListener: true,
  },
];

interface Operation {
  /** The listener that serves it. */
  base: string;
  method: string;
  path: string;
  roles: Role[] | undefined;
}

type OpenApiDocument = { paths: Record<string, Record<string, Record<string, unknown>>> };

function operationsOf(base: string, document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method] !== undefined).map((method) => ({
      base,
      method: method.toUpperCase(),
      path,
      roles: item[method][REQUIRED_ROLES] as Role[] | undefined,
    })),
  );
}

const concretePath = (path: string) => path.replace(/\{(\w+)\}/g, (_match, name: string) => PATH_VALUES[name] ?? 'x');

describe.each(APPS)('$name: the authorization matrix of its route table', (app) => {
  let dataDir: string;
  let mlflow: MlflowServer;
  let started: TestProcess;
  let url: string;
  let operations: Operation[];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'churn-authz-'));
    mlflow = new MlflowServer(await freePort(), dataDir);
    await mlflow.start();
    const [port, internalPort] = [await freePort(), await freePort()];
    started = startProcess(process.execPath, [join(workspaceRoot, 'dist/apps', app.name, 'main.js')], {
      PORT: String(port),
      ...(app.internalListener ? { INTERNAL_PORT: String(internalPort) } : {}),
      HOST: '127.0.0.1',
      MLFLOW_TRACKING_URI: mlflow.url,
      ...app.env,
    });
    stopWithThisProcess(started.child.pid as number);
    url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    while (!(await answers(url))) {
      if (started.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`${app.name} did not answer /health:\n${started.output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const listeners = app.internalListener ? [url, `http://127.0.0.1:${internalPort}`] : [url];
    operations = [];
    for (const base of listeners)
      operations.push(...operationsOf(base, (await (await fetch(`${base}/docs-json`)).json()) as OpenApiDocument));
  }, 180_000);

  afterAll(() => {
    started?.signalGroup('SIGKILL');
    mlflow?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function status(operation: Operation, bearer: string | undefined): Promise<number> {
    const response = await fetch(`${operation.base}${concretePath(operation.path)}`, {
      method: operation.method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(operation.method === 'GET' || operation.method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
      },
      body: operation.method === 'GET' || operation.method === 'DELETE' ? undefined : '{}',
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('guards every operation but the open ones, each with known roles', () => {
    expect(operations.length).toBeGreaterThan(app.open.length);
    const open = operations.filter((operation) => operation.roles === undefined);
    expect(open.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual(
      [...app.open, ...(app.ownSecret ?? [])].sort(),
    );
    for (const operation of operations.filter((candidate) => candidate.roles !== undefined))
      expect({
        operation: `${operation.method} ${operation.path}`,
        unknown: operation.roles?.filter((role) => !ROLES.includes(role)),
      }).toEqual({
        operation: `${operation.method} ${operation.path}`,
        unknown: [],
      });
  });

  it('answers every operation × caller as its roles say', async () => {
    const observed: string[] = [];
    const expected: string[] = [];
    for (const operation of operations) {
      const label = `${operation.method} ${operation.path}`;
      const callers: [string, string | undefined][] = [
        ['no token', undefined],
        ['wrong token', WRONG_TOKEN],
        ...ROLES.map((role): [string, string] => [role, TOKENS[role]]),
      ];
      for (const [caller, bearer] of callers) {
        const answered = await status(operation, bearer);
        const outcome = answered === 401 ? '401' : answered === 403 ? '403' : 'past the guard';
        observed.push(`${label} as ${caller}: ${outcome}`);
        const accepts = operation.roles === undefined || operation.roles.includes(caller as Role);
        const wanted = app.ownSecret?.includes(label)
          ? '401'
          : operation.roles === undefined
            ? 'past the guard'
            : caller === 'no token' || caller === 'wrong token'
              ? '401'
              : accepts
                ? 'past the guard'
                : '403';
        expected.push(`${label} as ${caller}: ${wanted}`);
      }
    }
    expect(observed).toEqual(expected);
  }, 240_000);
});
