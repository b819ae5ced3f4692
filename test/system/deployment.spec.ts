import { execFile, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { builtinModules } from 'node:module';
import { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

import * as ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';

import { workspaceRoot } from './support/processes';

// What a machine without a container engine can check of the deployment files under docker/: the
// compose file as docker-compose itself resolves it, the Dockerfiles' structure and inputs, and the
// Kubernetes manifests against the API schemas (offline) and against what the apps need.

const APPS = ['inference-api', 'registry-admin', 'training-worker'] as const;
type App = (typeof APPS)[number];
const APP_PORTS: Record<App, number> = { 'inference-api': 8000, 'registry-admin': 8001, 'training-worker': 8002 };
/** Read by @churn/mlflow-client straight from the environment (MLflow's own names), not by the app configs. */
const MLFLOW_CLIENT_VARIABLES = ['MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_TOKEN'];
/** Settings whose values are credentials: never in a ConfigMap, never without a dev-only marker. */
const isSecretSetting = (name: string) => /TOKEN|SECRET|PASSWORD/.test(name);
const DOCKER_DIR = join(workspaceRoot, 'docker');
const K8S_DIR = join(DOCKER_DIR, 'k8s');

/** Every setting an app's config class declares: the property names of `export class ...Config`. */
function declaredSettings(app: App): string[] {
  const file = join(workspaceRoot, `apps/${app}/src/app/config/${app}.config.ts`);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  source.forEachChild((node) => {
    if (ts.isClassDeclaration(node) && node.name?.text.endsWith('Config')) {
      for (const member of node.members) {
        if (ts.isPropertyDeclaration(member) && ts.isIdentifier(member.name)) names.push(member.name.text);
      }
    }
  });
  if (names.length === 0) throw new Error(`${file} declares no config class with settings`);
  return names;
}

/** A run's output, and a failure message that shows it. */
function describeRun(command: string, result: SpawnSyncReturns<string>): string {
  return `\`${command}\` exited with ${result.status ?? result.signal ?? result.error?.message}:\n${result.stdout ?? ''}${result.stderr ?? ''}`;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

/**
 * docker-compose (v1, Debian's package) validates and resolves the compose file without an engine.
 * As root it is installed when missing, as CI does; otherwise the test fails saying how to get it.
 */
function ensureDockerCompose(): void {
  if (onPath('docker-compose')) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'docker-compose is not on PATH and this is not root: install it (Debian/Ubuntu: sudo apt-get install -y docker-compose)',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'docker-compose']]) {
    const result = spawnSync('apt-get', args, { encoding: 'utf8', env, timeout: 540_000 });
    if (result.status !== 0) throw new Error(describeRun(`apt-get ${args.join(' ')}`, result));
  }
}

/** Runs docker-compose on docker/compose.yaml with only the given variables (no user environment leaks in). */
function dockerCompose(args: string[], variables: Record<string, string> = {}) {
  return spawnSync('docker-compose', ['-f', join(DOCKER_DIR, 'compose.yaml'), ...args], {
    cwd: workspaceRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...variables },
    timeout: 60_000,
  });
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  ports?: { target: number; published: number | string }[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

function resolvedCompose(variables: Record<string, string> = {}): ComposeFile {
  const result = dockerCompose(['config'], variables);
  if (result.status !== 0) throw new Error(describeRun('docker-compose config', result));
  return parse(result.stdout) as ComposeFile;
}

/** A Dockerfile's instructions, continuation lines joined and comments dropped, with their stage index. */
function dockerfileInstructions(file: string): { keyword: string; args: string; stage: number }[] {
  const instructions: { keyword: string; args: string; stage: number }[] = [];
  let pending = '';
  let stage = -1;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || trimmed === '') continue;
    pending += ` ${trimmed.replace(/\\$/, '')}`;
    if (trimmed.endsWith('\\')) continue;
    const [, keyword, args] = pending.trim().match(/^(\S+)\s*(.*)$/) ?? [];
    pending = '';
    if (keyword.toUpperCase() === 'FROM') stage += 1;
    instructions.push({ keyword: keyword.toUpperCase(), args, stage });
  }
  return instructions;
}

/** .dockerignore patterns as regular expressions over context-relative paths (the subset this repository uses). */
function dockerIgnored(path: string): string | undefined {
  const patterns = readFileSync(join(workspaceRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  return patterns.find((pattern) => {
    const body = pattern
      .replace(/^\*\*\//, '')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*');
    const anchor = pattern.startsWith('**/') ? '(^|/)' : '^';
    return new RegExp(`${anchor}${body}(/|$)`).test(path);
  });
}

/** Kubernetes objects from every manifest file the kustomization lists. */
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- manifests are checked field by field below
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function kustomization(): { resources: string[]; images?: { name: string }[] } {
  return parse(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8'));
}

function manifests(): K8sObject[] {
  return kustomization().resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8'))
      .map((document) => document.toJS() as K8sObject | null)
      .filter((object): object is K8sObject => object !== null),
  );
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} named ${name} in docker/k8s (have: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`,
    );
  return found;
}

/** The parts of a container spec these tests read. */
interface K8sContainer {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: { fieldPath: string } };
  }[];
}
type EnvironmentSource = { from: 'configMap' | 'secret' | 'value' | 'field'; value?: string };

/** Pod template of a workload (Deployment, StatefulSet or Job). */
const podSpecOf = (workload: K8sObject) => workload.spec.template.spec;

/** Each environment variable a container gets, and where it comes from. */
function containerEnvironment(objects: K8sObject[], container: K8sContainer): Map<string, EnvironmentSource> {
  const environment = new Map<string, EnvironmentSource>();
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      for (const [key, value] of Object.entries(find(objects, 'ConfigMap', source.configMapRef.name).data ?? {})) {
        environment.set(key, { from: 'configMap', value: String(value) });
      }
    }
    if (source.secretRef) {
      for (const key of Object.keys(find(objects, 'Secret', source.secretRef.name).stringData ?? {}))
        environment.set(key, { from: 'secret' });
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom?.secretKeyRef) {
      // An optional Secret (MLflow credentials) is created by the operator only when needed.
      const reference = variable.valueFrom.secretKeyRef;
      if (!reference.optional)
        expect(Object.keys(find(objects, 'Secret', reference.name).stringData ?? {})).toContain(reference.key);
      environment.set(variable.name, { from: 'secret' });
    } else if (variable.valueFrom?.fieldRef) environment.set(variable.name, { from: 'field' });
    else environment.set(variable.name, { from: 'value', value: variable.value });
  }
  return environment;
}

describe('deployment files (docker/)', () => {
  describe('compose', () => {
    let compose: ComposeFile;

    beforeAll(() => {
      ensureDockerCompose();
      compose = resolvedCompose();
    }, 600_000);

    it('is valid for docker-compose (`docker-compose config -q`)', () => {
      const result = dockerCompose(['config', '-q']);
      expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: '' });
    });

    it('runs MLflow on PostgreSQL with MinIO artifacts, data on named volumes', () => {
      expect(Object.keys(compose.services).sort()).toEqual(
        ['inference-api', 'minio', 'minio-bucket', 'mlflow', 'postgres', 'registry-admin', 'training-worker'].sort(),
      );
      const mlflow = compose.services['mlflow'];
      const command = ([] as string[]).concat(mlflow.command ?? []).join(' ');
      expect(command).toMatch(/--backend-store-uri postgresql\+psycopg2:\/\/mlflow:[^@\s]+@postgres:5432\/mlflow/);
      expect(command).toContain('--artifacts-destination s3://mlflow-artifacts');
      expect(command).toContain('--host 0.0.0.0');
      // MLflow 3.5+ answers 400 to a Host header it does not list; the apps send `mlflow:5000`.
      const allowedHosts = command.match(/--allowed-hosts (\S+)/)?.[1].split(',') ?? [];
      expect(allowedHosts).toEqual(
        expect.arrayContaining(['mlflow', 'mlflow:5000', 'localhost:5000', '127.0.0.1:5000']),
      );
      expect(mlflow.environment).toMatchObject({ MLFLOW_S3_ENDPOINT_URL: 'http://minio:9000' });
      expect(mlflow.environment?.['AWS_ACCESS_KEY_ID']).toBe(
        compose.services['minio'].environment?.['MINIO_ROOT_USER'],
      );
      expect(mlflow.environment?.['AWS_SECRET_ACCESS_KEY']).toBe(
        compose.services['minio'].environment?.['MINIO_ROOT_PASSWORD'],
      );
      // A Fernet key is 32 bytes in url-safe base64; MLflow refuses to start its webhooks with anything else.
      expect(
        Buffer.from(String(mlflow.environment?.['MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY']), 'base64url'),
      ).toHaveLength(32);
      const bucketScript = ([] as string[]).concat(compose.services['minio-bucket'].entrypoint ?? []).join(' ');
      expect(bucketScript).toContain('mc mb --ignore-existing local/mlflow-artifacts');

      // docker-compose v1 prints volumes in the short form `source:target:mode`, v2 as objects.
      const volumeAt = (service: string, target: string) =>
        (compose.services[service].volumes ?? [])
          .map((volume) =>
            typeof volume === 'string' ? { source: volume.split(':')[0], target: volume.split(':')[1] } : volume,
          )
          .find((volume) => volume.target === target);
      for (const [service, target] of [
        ['postgres', '/var/lib/postgresql/data'],
        ['minio', '/data'],
      ]) {
        const source = String(volumeAt(service, target)?.source);
        expect({ service, target, namedVolume: Object.keys(compose.volumes ?? {}).includes(source) }).toEqual({
          service,
          target,
          namedVolume: true,
        });
      }
    });

    it('starts each service only after what it needs is healthy (or, for the bucket, done)', () => {
      const conditions = Object.fromEntries(
        Object.entries(compose.services).map(([name, service]) => [
          name,
          Object.fromEntries(
            Object.entries(service.depends_on ?? {}).map(([dependency, { condition }]) => [dependency, condition]),
          ),
        ]),
      );
      expect(conditions['minio-bucket']).toEqual({ minio: 'service_healthy' });
      expect(conditions['mlflow']).toEqual({
        postgres: 'service_healthy',
        'minio-bucket': 'service_completed_successfully',
      });
      for (const app of APPS)
        expect({ app, mlflow: conditions[app]['mlflow'] }).toEqual({ app, mlflow: 'service_healthy' });
      // service_healthy needs a health check: in the compose file, or the image's HEALTHCHECK.
      for (const [name, dependencies] of Object.entries(conditions)) {
        for (const [dependency, condition] of Object.entries(dependencies)) {
          if (condition !== 'service_healthy') continue;
          const service = compose.services[dependency];
          const imageHasHealthcheck =
            service.build !== undefined &&
            dockerfileInstructions(join(service.build.context, service.build.dockerfile ?? 'Dockerfile')).some(
              (i) => i.keyword === 'HEALTHCHECK',
            );
          expect({
            dependant: name,
            dependency,
            healthCheck: service.healthcheck !== undefined || imageHasHealthcheck,
          }).toEqual({
            dependant: name,
            dependency,
            healthCheck: true,
          });
        }
      }
    });

    it.each(APPS)('gives %s every setting its config declares, and none it does not', (app) => {
      const environment = compose.services[app].environment ?? {};
      const declared = declaredSettings(app);
      expect(declared.filter((setting) => !(setting in environment))).toEqual([]);
      expect(
        Object.keys(environment).filter((name) => !declared.includes(name) && !MLFLOW_CLIENT_VARIABLES.includes(name)),
      ).toEqual([]);
    });

    it.each(APPS)('wires %s to MLflow by service name, on its port, reachable from outside its container', (app) => {
      const service = compose.services[app];
      const environment = service.environment ?? {};
      expect(environment).toMatchObject({
        MLFLOW_TRACKING_URI: 'http://mlflow:5000',
        HOST: '0.0.0.0',
        PORT: String(APP_PORTS[app]),
      });
      expect(service.ports).toEqual([{ target: APP_PORTS[app], published: APP_PORTS[app] }]);
      expect(service.build?.args).toEqual({ APP: app, PORT: String(APP_PORTS[app]) });
    });

    it('lets registry-admin reach inference-api with the token inference-api expects', () => {
      const admin = compose.services['registry-admin'].environment ?? {};
      const inference = compose.services['inference-api'].environment ?? {};
      expect(admin['INFERENCE_URLS']).toBe('http://inference-api:8000');
      expect(admin['INFERENCE_ADMIN_TOKEN']).toBe(inference['INFERENCE_ADMIN_TOKEN']);
    });

    it('marks every default secret as dev-only and takes real ones from the environment', () => {
      const secretDefaults = Object.entries(compose.services).flatMap(([service, { environment }]) =>
        Object.entries(environment ?? {})
          .filter(
            ([name]) =>
              isSecretSetting(name) ||
              name === 'API_TOKENS' ||
              name === 'MINIO_ROOT_USER' ||
              name.startsWith('AWS_SECRET'),
          )
          .map(([name, value]) => ({ service, name, value: String(value ?? '') }))
          // Empty is unset (the MLflow credentials, which the bundled MLflow does not need).
          .filter(({ value }) => value !== ''),
      );
      expect(secretDefaults.length).toBeGreaterThanOrEqual(8);
      // The Fernet key is base64; its placeholder decodes to a text that says dev-only.
      const marked = ({ name, value }: { name: string; value: string }) =>
        (name === 'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY' ? Buffer.from(value, 'base64').toString() : value).includes(
          'dev-only',
        );
      expect(secretDefaults.filter((secret) => !marked(secret))).toEqual([]);

      const chosen = {
        INFERENCE_ADMIN_TOKEN: 'chosen-admin-token',
        MLFLOW_WEBHOOK_SECRET: 'chosen-webhook-secret',
        API_TOKENS: 'ops:deployer:chosen-api-token',
        POSTGRES_PASSWORD: 'chosen-postgres-password',
        MINIO_ROOT_PASSWORD: 'chosen-minio-password',
      };
      const overridden = resolvedCompose(chosen);
      const env = (service: string) => overridden.services[service].environment ?? {};
      expect(env('inference-api')).toMatchObject({
        INFERENCE_ADMIN_TOKEN: chosen.INFERENCE_ADMIN_TOKEN,
        MLFLOW_WEBHOOK_SECRET: chosen.MLFLOW_WEBHOOK_SECRET,
      });
      expect(env('registry-admin')).toMatchObject({
        INFERENCE_ADMIN_TOKEN: chosen.INFERENCE_ADMIN_TOKEN,
        API_TOKENS: chosen.API_TOKENS,
      });
      expect(env('training-worker')).toMatchObject({ API_TOKENS: chosen.API_TOKENS });
      expect(env('postgres')).toMatchObject({ POSTGRES_PASSWORD: chosen.POSTGRES_PASSWORD });
      expect(env('mlflow')).toMatchObject({ AWS_SECRET_ACCESS_KEY: chosen.MINIO_ROOT_PASSWORD });
      expect(([] as string[]).concat(overridden.services['mlflow'].command ?? []).join(' ')).toContain(
        `mlflow:${chosen.POSTGRES_PASSWORD}@postgres`,
      );
    });

    it('points every app at an existing MLflow with credentials, all from the environment', () => {
      const existing = {
        MLFLOW_TRACKING_URI: 'https://mlflow.example.com',
        MLFLOW_TRACKING_USERNAME: 'churn-service',
        MLFLOW_TRACKING_PASSWORD: 'chosen-mlflow-password',
      };
      const overridden = resolvedCompose(existing);
      for (const app of APPS)
        expect({ app, ...overridden.services[app].environment }).toMatchObject({
          app,
          ...existing,
          MLFLOW_TRACKING_TOKEN: '',
        });
      const token = resolvedCompose({ MLFLOW_TRACKING_TOKEN: 'chosen-bearer-token' });
      for (const app of APPS)
        expect({ app, ...token.services[app].environment }).toMatchObject({
          app,
          MLFLOW_TRACKING_TOKEN: 'chosen-bearer-token',
          MLFLOW_TRACKING_USERNAME: '',
        });
    });

    it('builds every image from a context and Dockerfile that exist', () => {
      const built = Object.entries(compose.services).filter(([, service]) => service.build);
      expect(built.map(([name]) => name).sort()).toEqual([...APPS, 'mlflow'].sort());
      for (const [name, service] of built) {
        const context = String(service.build?.context);
        const dockerfile = join(context, service.build?.dockerfile ?? 'Dockerfile');
        expect({ name, context: relative(workspaceRoot, context), dockerfile: existsSync(dockerfile) }).toEqual({
          name,
          context: '',
          dockerfile: true,
        });
      }
    });
  });

  describe('Dockerfiles', () => {
    const dockerfiles = ['app.Dockerfile', 'mlflow.Dockerfile'];

    it.each(dockerfiles)('%s: starts FROM a pinned base, runs as a non-root user, checks health', (name) => {
      const instructions = dockerfileInstructions(join(DOCKER_DIR, name));
      expect(instructions[0]?.keyword === 'FROM' || instructions[0]?.keyword === 'ARG').toBe(true);
      const finalStage = Math.max(...instructions.map((i) => i.stage));
      const final = instructions.filter((i) => i.stage === finalStage);
      const users = final.filter((i) => i.keyword === 'USER').map((i) => i.args);
      expect(users.length).toBeGreaterThan(0);
      // Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
      expect(users.at(-1)).toMatch(/^[1-9]\d*(:\d+)?$/);
      expect(
        final
          .filter((i) => i.keyword === 'HEALTHCHECK')
          .map((i) => i.args)
          .join(' '),
      ).toContain('/health');
      expect(final.some((i) => i.keyword === 'EXPOSE')).toBe(true);
      expect(final.some((i) => i.keyword === 'CMD')).toBe(true);
    });

    it.each(dockerfiles)(
      '%s: writes CMD and HEALTHCHECK in exec form that is valid JSON (else Docker silently runs a shell)',
      (name) => {
        const execForms = dockerfileInstructions(join(DOCKER_DIR, name))
          .filter((i) => i.keyword === 'CMD' || i.keyword === 'HEALTHCHECK')
          .map((i) => i.args.slice(i.args.indexOf('[')));
        expect(execForms.length).toBeGreaterThanOrEqual(2);
        for (const form of execForms) expect(Array.isArray(JSON.parse(form))).toBe(true);
      },
    );

    it('app.Dockerfile: the health check passes on a 200 from /health at $PORT and fails otherwise', async () => {
      const healthcheck = dockerfileInstructions(join(DOCKER_DIR, 'app.Dockerfile')).find(
        (i) => i.keyword === 'HEALTHCHECK',
      );
      const [command, ...args] = JSON.parse(String(healthcheck?.args.slice(healthcheck.args.indexOf('['))));
      expect(command).toBe('node');
      let status = 200;
      const server = createServer((request, response) => {
        response.statusCode = request.url === '/health' ? status : 404;
        response.end();
      });
      await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
      const port = String((server.address() as AddressInfo).port);
      const check = () =>
        new Promise<number | null>((exited) => {
          execFile(process.execPath, args, { env: { ...process.env, PORT: port } }, (error) =>
            exited(error ? (error.code as number) : 0),
          );
        });
      try {
        expect(await check()).toBe(0);
        status = 503;
        expect(await check()).toBe(1);
      } finally {
        await new Promise((closed) => server.close(closed));
      }
      expect(await check()).toBe(1);
    });

    it('app.Dockerfile: builds with Nx in a full stage and runs on production packages only', () => {
      const instructions = dockerfileInstructions(join(DOCKER_DIR, 'app.Dockerfile'));
      const text = instructions.map((i) => `${i.keyword} ${i.args}`).join('\n');
      expect(text).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
      expect(text).toMatch(/^ENV ONNXRUNTIME_NODE_INSTALL=skip$/m);
      const envIndex = instructions.findIndex((i) => i.args === 'ONNXRUNTIME_NODE_INSTALL=skip');
      const installs = instructions
        .map((i, index) => ({ ...i, index }))
        .filter((i) => i.keyword === 'RUN' && i.args.includes('npm install'));
      expect(installs.map((i) => i.args.includes('--omit=dev'))).toEqual([false, true]);
      expect(installs.every((i) => i.index > envIndex)).toBe(true);
      expect(text).toContain('RUN npx nx run "${APP}:build"');
      const final = instructions.filter((i) => i.stage === Math.max(...instructions.map((x) => x.stage)));
      expect(final.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual([
        '--from=production-dependencies /src/node_modules ./node_modules',
        '--from=build /src/dist/apps/${APP} ./',
      ]);
    });

    it('mlflow.Dockerfile: installs the project-wide mlflow pin plus the PostgreSQL and S3 drivers', () => {
      const text = dockerfileInstructions(join(DOCKER_DIR, 'mlflow.Dockerfile'))
        .map((i) => `${i.keyword} ${i.args}`)
        .join('\n');
      expect(text).toMatch(/^FROM python:3\.11-slim$/m);
      expect(text).toContain('COPY tools/mlflow/requirements.txt');
      expect(text).toContain("grep -E '^mlflow(\\[[a-z,]+\\])?==' /tmp/project-requirements.txt");
      expect(text).toMatch(/psycopg2-binary==\d+\.\d+\.\d+/);
      expect(text).toMatch(/boto3==\d+\.\d+\.\d+/);
    });

    it.each(dockerfiles)(
      '%s: copies only files that exist in the build context and that .dockerignore keeps',
      (name) => {
        const sources = dockerfileInstructions(join(DOCKER_DIR, name))
          .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
          .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
        expect(sources.length).toBeGreaterThan(0);
        for (const source of sources) {
          expect({ source, exists: existsSync(join(workspaceRoot, source)), ignoredBy: dockerIgnored(source) }).toEqual(
            { source, exists: true, ignoredBy: undefined },
          );
        }
      },
    );

    it.each(APPS)('%s: every package its bundle requires at run time is a production dependency', (app) => {
      const bundle = join(workspaceRoot, `dist/apps/${app}/main.js`);
      if (!existsSync(bundle))
        throw new Error(
          `${bundle} is missing: build first (npx nx run ${app}:build; the system-test target depends on it)`,
        );
      const dependencies = Object.keys(
        JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')).dependencies ?? {},
      );
      const required = new Set(
        [...readFileSync(bundle, 'utf8').matchAll(/require\("([^"]+)"\)/g)]
          .map(([, specifier]) => specifier)
          .filter(
            (specifier) =>
              !specifier.startsWith('.') &&
              !specifier.startsWith('node:') &&
              !builtinModules.includes(specifier.split('/')[0]),
          )
          .map((specifier) =>
            specifier
              .split('/')
              .slice(0, specifier.startsWith('@') ? 2 : 1)
              .join('/'),
          ),
      );
      expect(required.size).toBeGreaterThan(0);
      expect([...required].filter((name) => !dependencies.includes(name))).toEqual([]);
    });
  });

  describe('Kubernetes manifests (docker/k8s)', () => {
    const objects = manifests();
    const deployment = (name: string) => find(objects, 'Deployment', name);
    const mainContainer = (name: string) => podSpecOf(deployment(name)).containers[0];

    it('validate against the Kubernetes 1.31 API schemas (kubernetes-validate --strict, offline)', () => {
      const result = spawnSync(
        process.execPath,
        [join(workspaceRoot, 'tools/deploy/validate-manifests.mjs'), '--kubernetes-version', '1.31', K8S_DIR],
        {
          encoding: 'utf8',
          timeout: 170_000,
        },
      );
      expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toMatchObject({ status: 0 });
      expect(result.stdout).not.toMatch(/ERROR|WARN/);
      expect(result.stderr).toContain(`${kustomization().resources.length} files valid against Kubernetes 1.31`);
    });

    it('are all listed in kustomization.yaml (nothing left out of `kubectl apply -k`)', () => {
      const files = readdirSync(K8S_DIR).filter((file) => /\.ya?ml$/.test(file) && file !== 'kustomization.yaml');
      expect([...kustomization().resources].sort()).toEqual(files.sort());
      const images = (kustomization().images ?? []).map((image) => image.name).sort();
      expect(images).toEqual([...APPS, 'mlflow'].map((name) => `churn-mlops/${name}`).sort());
    });

    it('probe inference-api for readiness on /ready and every app for liveness on /health', () => {
      const probes = Object.fromEntries(
        [...APPS, 'mlflow'].map((name) => {
          const container = mainContainer(name);
          return [
            name,
            { readiness: container.readinessProbe?.httpGet?.path, liveness: container.livenessProbe?.httpGet?.path },
          ];
        }),
      );
      expect(probes).toEqual({
        'inference-api': { readiness: '/ready', liveness: '/health' },
        'registry-admin': { readiness: '/health', liveness: '/health' },
        'training-worker': { readiness: '/health', liveness: '/health' },
        mlflow: { readiness: '/health', liveness: '/health' },
      });
    });

    it('expose inference-api on NodePort 30080 and every replica through a headless Service registry-admin uses', () => {
      const podLabels = deployment('inference-api').spec.template.metadata.labels;
      const nodePort = find(objects, 'Service', 'inference-api');
      expect(nodePort.spec).toMatchObject({
        type: 'NodePort',
        ports: [{ port: 8000, nodePort: 30080, targetPort: 'http' }],
      });
      const headless = objects.find(
        (o) => o.kind === 'Service' && o.spec?.clusterIP === 'None' && o.metadata.name.startsWith('inference-api'),
      );
      expect(headless).toBeDefined();
      for (const service of [nodePort, headless as K8sObject]) expect(podLabels).toMatchObject(service.spec.selector);
      const urls = containerEnvironment(objects, mainContainer('registry-admin')).get('INFERENCE_URLS')?.value;
      expect(urls).toBe(`http://${headless?.metadata.name}.churn-mlops.svc.cluster.local:8000`);
      expect(find(objects, 'Namespace', 'churn-mlops')).toBeDefined();
    });

    it('scale inference-api on CPU with an autoscaling/v2 HorizontalPodAutoscaler', () => {
      const hpa = find(objects, 'HorizontalPodAutoscaler', 'inference-api');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'inference-api' });
      expect(hpa.spec.metrics).toEqual([
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } },
        },
      ]);
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      // CPU utilisation is relative to the request: without one the HPA cannot compute it.
      expect(mainContainer('inference-api').resources.requests.cpu).toBeDefined();
    });

    it('run every workload as a non-root user without privilege escalation, with resources set', () => {
      const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
      expect(workloads.length).toBeGreaterThanOrEqual(7);
      for (const workload of workloads) {
        const pod = podSpecOf(workload);
        for (const container of pod.containers) {
          const context = { ...pod.securityContext, ...container.securityContext };
          expect({
            workload: `${workload.kind}/${workload.metadata.name}/${container.name}`,
            runAsNonRoot: context.runAsNonRoot,
            nonZeroUser: Number(context.runAsUser) > 0,
            allowPrivilegeEscalation: context.allowPrivilegeEscalation,
            requests: Object.keys(container.resources?.requests ?? {}).sort(),
            limits: Object.keys(container.resources?.limits ?? {}).sort(),
          }).toEqual({
            workload: `${workload.kind}/${workload.metadata.name}/${container.name}`,
            runAsNonRoot: true,
            nonZeroUser: true,
            allowPrivilegeEscalation: false,
            requests: ['cpu', 'memory'],
            limits: ['cpu', 'memory'],
          });
        }
      }
    });

    it('route every Service to pods that exist and to a port those pods name', () => {
      const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
      for (const service of objects.filter((o) => o.kind === 'Service')) {
        const target = workloads.find((w) =>
          Object.entries(service.spec.selector).every(([key, value]) => w.spec.template.metadata.labels[key] === value),
        );
        const containers: K8sContainer[] = target ? podSpecOf(target).containers : [];
        const portNames = containers.flatMap((container) => (container.ports ?? []).map((port) => port.name));
        const servicePorts: { targetPort: string }[] = service.spec.ports;
        expect({
          service: service.metadata.name,
          selects: target !== undefined,
          targetPorts: servicePorts.map((port) => portNames.includes(port.targetPort)),
        }).toEqual({
          service: service.metadata.name,
          selects: true,
          targetPorts: service.spec.ports.map(() => true),
        });
      }
    });

    it.each(APPS)('give %s every setting its config declares, tokens from a Secret, nothing undeclared', (app) => {
      const container = mainContainer(app);
      const environment = containerEnvironment(objects, container);
      const declared = declaredSettings(app);
      expect(declared.filter((setting) => !environment.has(setting))).toEqual([]);
      expect(
        [...environment.keys()].filter((name) => !declared.includes(name) && !MLFLOW_CLIENT_VARIABLES.includes(name)),
      ).toEqual([]);
      const secretsInPlainSight = [...environment].filter(
        ([name, { from }]) => (isSecretSetting(name) || name === 'API_TOKENS') && from !== 'secret',
      );
      expect(secretsInPlainSight.map(([name]) => name)).toEqual([]);
      // Ready for an existing MLflow with authentication: its credentials come from a Secret.
      expect(MLFLOW_CLIENT_VARIABLES.filter((name) => environment.get(name)?.from !== 'secret')).toEqual([]);
      expect(environment.get('MLFLOW_TRACKING_URI')?.value).toBe('http://mlflow:5000');
      expect(environment.get('PORT')?.value).toBe(String(container.ports[0].containerPort));
      expect(container.image).toBe(`churn-mlops/${app}:0.1.0`);
      expect(find(objects, 'Service', app).spec.ports[0].port).toBe(APP_PORTS[app]);
    });

    it('run MLflow on PostgreSQL and S3 with its Service name among the allowed hosts', () => {
      const container = mainContainer('mlflow');
      const command = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
      expect(command).toContain(
        '--backend-store-uri postgresql+psycopg2://mlflow:$(POSTGRES_PASSWORD)@postgres:5432/mlflow',
      );
      expect(command).toContain('--artifacts-destination s3://mlflow-artifacts');
      const allowedHosts = command.match(/--allowed-hosts (\S+)/)?.[1].split(',') ?? [];
      expect(allowedHosts).toEqual(
        expect.arrayContaining(['mlflow:5000', 'mlflow.churn-mlops.svc.cluster.local:5000']),
      );
      const environment = containerEnvironment(objects, container);
      for (const name of [
        'POSTGRES_PASSWORD',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY',
      ]) {
        expect({ name, from: environment.get(name)?.from }).toEqual({ name, from: 'secret' });
      }
      expect(environment.get('MLFLOW_S3_ENDPOINT_URL')?.value).toBe('http://minio:9000');
      expect(find(objects, 'Service', 'mlflow').spec.ports[0].port).toBe(5000);
    });

    it('hold only placeholder secrets, each marked as such', () => {
      const values = objects
        .filter((o) => o.kind === 'Secret')
        .flatMap((secret) =>
          Object.entries(secret.stringData ?? {}).map(([key, value]) => ({ secret: secret.metadata.name, key, value })),
        );
      expect(values.length).toBeGreaterThanOrEqual(7);
      // The Fernet key is base64; its placeholder decodes to a text that says dev-only.
      const unmarked = values.filter(
        ({ key, value }) =>
          !/change-me|dev-only/.test(
            key === 'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY' ? Buffer.from(value, 'base64').toString() : value,
          ),
      );
      expect(unmarked).toEqual([]);
    });
  });
});
