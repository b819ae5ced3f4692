import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { builtinModules } from 'node:module';
import { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

import { parse } from 'yaml';

import {
  apiTokenEntries,
  APP_PORTS,
  APPS,
  declaredSettings,
  describeRun,
  DOCKER_DIR,
  dockerfileInstructions,
  envFileEntries,
  generatedSecrets,
  INTERNAL_PORT,
  isSecretSetting,
  MLFLOW_CLIENT_VARIABLES,
} from './support/deployment-files';
import { workspaceRoot } from './support/processes';

// What a machine without a container engine can check of the compose files and the Dockerfiles
// under docker/: the compose files as docker-compose itself resolves them, with the secrets an
// operator generates, with the dev profile, and without a secret; the images' recipes and inputs.
// The Kubernetes manifests are checked in deployment-kubernetes.spec.ts.

const COMPOSE_FILE = join(DOCKER_DIR, 'compose.yaml');
const DEV_OVERRIDE = join(DOCKER_DIR, 'compose.dev.yaml');
const DEV_ENV = join(DOCKER_DIR, 'compose.dev.env');
/** The stores: reachable inside the deployment only. */
const STORES = ['mlflow', 'minio', 'postgres', 'prediction-db'];
const SERVICES = [
  'inference-api',
  'minio',
  'minio-bucket',
  'mlflow',
  'mlflow-init',
  'postgres',
  'prediction-db',
  'prediction-db-migrate',
  'registry-admin',
  'training-worker',
];

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

/** Runs docker-compose with only the given variables (no user environment leaks in). */
function dockerCompose(args: string[], variables: Record<string, string> = {}) {
  return spawnSync('docker-compose', args, {
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
  // docker-compose v1 prints `X:Y` as an object and `ip:X:Y` as the string `ip:X:Y/tcp`.
  ports?: ({ target: number; published: number | string } | string)[];
  networks?: Record<string, unknown>;
  volumes?: (string | { type?: string; source?: string; target: string })[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

function resolve(files: string[], variables: Record<string, string>, envFile?: string): ComposeFile {
  const args = [...(envFile ? ['--env-file', envFile] : []), ...files.flatMap((file) => ['-f', file]), 'config'];
  const result = dockerCompose(args, variables);
  if (result.status !== 0) throw new Error(describeRun(`docker-compose ${args.join(' ')}`, result));
  return parse(result.stdout) as ComposeFile;
}

/** Each published port as `host ip:published->target` (`0.0.0.0` when every interface). */
function publishedPorts(service: ComposeService): string[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string') return `0.0.0.0:${port.published}->${port.target}`;
    const [ip, published, target] = port.replace(/\/tcp$/, '').split(':');
    return `${ip}:${published}->${target}`;
  });
}

const command = (service: ComposeService) => ([] as string[]).concat(service.command ?? []).join(' ');

/** The `${NAME:?message}` variables of a compose file: what an operator must set. */
function requiredVariables(file: string): string[] {
  return [...new Set([...readFileSync(file, 'utf8').matchAll(/\$\{(\w+):\?/g)].map(([, name]) => name))].sort();
}

describe('deployment files (docker/)', () => {
  describe('compose', () => {
    let secrets: Record<string, string>;
    let compose: ComposeFile;

    beforeAll(() => {
      ensureDockerCompose();
      secrets = generatedSecrets('--compose');
      compose = resolve([COMPOSE_FILE], secrets);
    }, 600_000);

    it('is valid for docker-compose (`docker-compose config -q`) with the secrets tools/deploy/generate-secrets.mjs writes', () => {
      const result = dockerCompose(['-f', COMPOSE_FILE, 'config', '-q'], secrets);
      expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: '' });
      expect(Object.keys(compose.services).sort()).toEqual(SERVICES);
    });

    it('refuses to resolve without any one secret, naming it; no secret has a default that works', () => {
      const required = requiredVariables(COMPOSE_FILE);
      expect(required.length).toBeGreaterThanOrEqual(18);
      expect(required.filter((name) => !(name in secrets))).toEqual([]);
      for (const name of required) {
        const without = Object.fromEntries(Object.entries(secrets).filter(([key]) => key !== name));
        const result = dockerCompose(['-f', COMPOSE_FILE, 'config', '-q'], without);
        expect({ name, status: result.status, names: result.stderr.includes(`: set ${name}`) }).toEqual({
          name,
          status: 1,
          names: true,
        });
      }
      // Defaults exist only for what is not a secret, or an empty one that turns a feature off.
      const text = readFileSync(COMPOSE_FILE, 'utf8');
      const secretDefaults = [...text.matchAll(/\$\{(\w+):-([^}]*)\}/g)].filter(
        ([, name, fallback]) => isSecretSetting(name) && fallback !== '',
      );
      expect(secretDefaults.map(([expression]) => expression)).toEqual([]);
      expect(text).not.toMatch(/dev-only|change-me/);
    });

    it('publishes no MLflow, MinIO or PostgreSQL port; inference-api’s public port everywhere; admin APIs on 127.0.0.1', () => {
      const published = Object.fromEntries(
        Object.entries(compose.services).map(([name, service]) => [name, publishedPorts(service)]),
      );
      for (const store of STORES) expect({ store, published: published[store] }).toEqual({ store, published: [] });
      expect(published).toEqual({
        'inference-api': ['0.0.0.0:8000->8000'],
        minio: [],
        'minio-bucket': [],
        mlflow: [],
        'mlflow-init': [],
        postgres: [],
        'prediction-db': [],
        'prediction-db-migrate': [],
        'registry-admin': ['127.0.0.1:8001->8001'],
        'training-worker': ['127.0.0.1:8002->8002'],
      });
    });

    it('puts each service only on the networks of the services it talks to (the NetworkPolicies’ flows)', () => {
      const networks = Object.fromEntries(
        Object.entries(compose.services).map(([name, service]) => [name, Object.keys(service.networks ?? {}).sort()]),
      );
      expect(networks).toEqual({
        postgres: ['mlflow-store'],
        minio: ['mlflow-store'],
        'minio-bucket': ['mlflow-store'],
        mlflow: ['inference-internal', 'mlflow-api', 'mlflow-store'],
        'mlflow-init': ['mlflow-api'],
        'prediction-db': ['prediction-store'],
        'prediction-db-migrate': ['prediction-store'],
        'inference-api': ['inference-internal', 'mlflow-api', 'prediction-store', 'retraining'],
        'registry-admin': ['inference-internal', 'mlflow-api'],
        'training-worker': ['mlflow-api', 'retraining'],
      });
      const reaches = (from: string) =>
        Object.keys(networks).filter(
          (other) => other !== from && networks[other].some((network) => networks[from].includes(network)),
        );
      // MLflow's stores and the prediction log's are reachable from their one client (and set-up step) only.
      expect(reaches('postgres').sort()).toEqual(['minio', 'minio-bucket', 'mlflow']);
      expect(reaches('prediction-db').sort()).toEqual(['inference-api', 'prediction-db-migrate']);
    });

    it('runs MLflow with its basic-auth app on PostgreSQL and MinIO, no password on its command line', () => {
      const mlflow = compose.services['mlflow'];
      expect(command(mlflow)).toContain('mlflow server --app-name basic-auth');
      expect(command(mlflow)).toContain('--backend-store-uri postgresql+psycopg2://mlflow@postgres:5432/mlflow');
      expect(command(mlflow)).toContain('--artifacts-destination s3://mlflow-artifacts');
      for (const value of Object.values(secrets)) expect(command(mlflow).includes(value)).toBe(false);
      // MLflow 3.5+ answers 400 to a Host header it does not list; the apps send `mlflow:5000`.
      const allowedHosts =
        command(mlflow)
          .match(/--allowed-hosts (\S+)/)?.[1]
          .split(',') ?? [];
      expect(allowedHosts).toEqual(expect.arrayContaining(['mlflow', 'mlflow:5000', 'localhost:5000']));
      expect(mlflow.environment).toMatchObject({
        PGPASSWORD: secrets['MLFLOW_DB_PASSWORD'],
        MLFLOW_AUTH_ADMIN_USERNAME: secrets['MLFLOW_ADMIN_USERNAME'],
        MLFLOW_AUTH_ADMIN_PASSWORD: secrets['MLFLOW_ADMIN_PASSWORD'],
        MLFLOW_FLASK_SERVER_SECRET_KEY: secrets['MLFLOW_FLASK_SERVER_SECRET_KEY'],
        MLFLOW_S3_ENDPOINT_URL: 'http://minio:9000',
        AWS_ACCESS_KEY_ID: secrets['MINIO_ROOT_USER'],
        AWS_SECRET_ACCESS_KEY: secrets['MINIO_ROOT_PASSWORD'],
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      });
      expect(compose.services['postgres'].environment).toMatchObject({
        MLFLOW_DB_PASSWORD: secrets['MLFLOW_DB_PASSWORD'],
        POSTGRES_PASSWORD: secrets['POSTGRES_SUPERUSER_PASSWORD'],
      });
      // A Fernet key is 32 bytes in url-safe base64; MLflow refuses to start its webhooks with anything else.
      expect(
        Buffer.from(String(mlflow.environment?.['MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY']), 'base64url'),
      ).toHaveLength(32);
      const bucketScript = ([] as string[]).concat(compose.services['minio-bucket'].entrypoint ?? []).join(' ');
      expect(bucketScript).toContain('mc mb --ignore-existing local/mlflow-artifacts');
    });

    it('sets up both PostgreSQL servers with the scripts under docker/postgres, data on named volumes', () => {
      // docker-compose v1 prints volumes in the short form `source:target:mode`, v2 as objects.
      const volumes = (service: string) =>
        (compose.services[service].volumes ?? []).map((volume) =>
          typeof volume === 'string' ? { source: volume.split(':')[0], target: volume.split(':')[1] } : volume,
        );
      for (const [service, script] of [
        ['postgres', 'mlflow-db-init.sh'],
        ['prediction-db', 'prediction-db-init.sh'],
      ]) {
        const mounts = volumes(service);
        expect(mounts).toContainEqual(
          expect.objectContaining({
            source: join(DOCKER_DIR, 'postgres', script),
            target: `/docker-entrypoint-initdb.d/10-${script}`,
          }),
        );
        const data = mounts.find((mount) => mount.target === '/var/lib/postgresql/data');
        expect(Object.keys(compose.volumes ?? {})).toContain(String(data?.source));
      }
      expect(compose.services['prediction-db'].environment).toMatchObject({
        POSTGRES_DB: 'predictions',
        POSTGRES_PASSWORD: secrets['PREDICTION_DB_SUPERUSER_PASSWORD'],
        PREDICTION_DB_OWNER_PASSWORD: secrets['PREDICTION_DB_OWNER_PASSWORD'],
        PREDICTION_DB_WRITER_PASSWORD: secrets['PREDICTION_DB_WRITER_PASSWORD'],
      });
      // The schema as the migration role, then inference-api as the runtime role.
      const migrate = compose.services['prediction-db-migrate'];
      expect(command(migrate)).toBe('node main.js migrate-store');
      expect(migrate.environment?.['INFERENCE_STORE_URL']).toBe(
        `postgres://prediction_owner:${secrets['PREDICTION_DB_OWNER_PASSWORD']}@prediction-db:5432/predictions`,
      );
      expect(compose.services['inference-api'].environment?.['INFERENCE_STORE_URL']).toBe(
        `postgres://prediction_writer:${secrets['PREDICTION_DB_WRITER_PASSWORD']}@prediction-db:5432/predictions`,
      );
    });

    it('starts each service only after what it needs is healthy or done', () => {
      const conditions = Object.fromEntries(
        Object.entries(compose.services).map(([name, service]) => [
          name,
          Object.fromEntries(
            Object.entries(service.depends_on ?? {}).map(([dependency, { condition }]) => [dependency, condition]),
          ),
        ]),
      );
      expect(conditions).toEqual({
        postgres: {},
        minio: {},
        'minio-bucket': { minio: 'service_healthy' },
        mlflow: { postgres: 'service_healthy', 'minio-bucket': 'service_completed_successfully' },
        'mlflow-init': { mlflow: 'service_healthy' },
        'prediction-db': {},
        'prediction-db-migrate': { 'prediction-db': 'service_healthy' },
        'inference-api': {
          'mlflow-init': 'service_completed_successfully',
          'prediction-db-migrate': 'service_completed_successfully',
        },
        'registry-admin': { 'mlflow-init': 'service_completed_successfully', 'inference-api': 'service_healthy' },
        'training-worker': { 'mlflow-init': 'service_completed_successfully' },
      });
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
          }).toEqual({ dependant: name, dependency, healthCheck: true });
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

    it.each(APPS)('wires %s to MLflow by service name as its own MLflow user, on its port', (app) => {
      const service = compose.services[app];
      const prefix = app.toUpperCase().replace(/-/g, '_');
      expect(service.environment).toMatchObject({
        MLFLOW_TRACKING_URI: 'http://mlflow:5000',
        MLFLOW_TRACKING_USERNAME: secrets[`${prefix}_MLFLOW_USERNAME`],
        MLFLOW_TRACKING_PASSWORD: secrets[`${prefix}_MLFLOW_PASSWORD`],
        HOST: '0.0.0.0',
        PORT: String(APP_PORTS[app]),
      });
      expect(service.build?.args).toEqual({ APP: app, PORT: String(APP_PORTS[app]) });
    });

    it('has the init step create exactly the users the apps sign in as, and the webhook to inference-api’s internal port', () => {
      const init = compose.services['mlflow-init'];
      const env = (service: string) => compose.services[service].environment ?? {};
      expect(command(init)).toBe('python /opt/churn-mlops/init_mlflow.py');
      expect(init.build).toEqual(compose.services['mlflow'].build);
      for (const app of APPS) {
        const prefix = app.toUpperCase().replace(/-/g, '_');
        expect({
          app,
          username: env('mlflow-init')[`${prefix}_MLFLOW_USERNAME`],
          password: env('mlflow-init')[`${prefix}_MLFLOW_PASSWORD`],
        }).toEqual({
          app,
          username: env(app)['MLFLOW_TRACKING_USERNAME'],
          password: env(app)['MLFLOW_TRACKING_PASSWORD'],
        });
      }
      expect(env('mlflow-init')).toMatchObject({
        MLFLOW_TRACKING_URI: 'http://mlflow:5000',
        MLFLOW_TRACKING_USERNAME: env('mlflow')['MLFLOW_AUTH_ADMIN_USERNAME'],
        MLFLOW_TRACKING_PASSWORD: env('mlflow')['MLFLOW_AUTH_ADMIN_PASSWORD'],
        INFERENCE_WEBHOOK_URL: `http://inference-api:${env('inference-api')['INTERNAL_PORT']}`,
        MLFLOW_WEBHOOK_SECRET: env('inference-api')['MLFLOW_WEBHOOK_SECRET'],
      });
      expect(env('inference-api')['INTERNAL_PORT']).toBe(String(INTERNAL_PORT));
    });

    it('lets registry-admin push to inference-api’s internal port with the token inference-api expects', () => {
      const admin = compose.services['registry-admin'].environment ?? {};
      const inference = compose.services['inference-api'].environment ?? {};
      expect(admin['INFERENCE_URLS']).toBe(`http://inference-api:${INTERNAL_PORT}`);
      expect(admin['INFERENCE_ADMIN_TOKEN']).toBe(inference['INFERENCE_ADMIN_TOKEN']);
      expect(admin['MLFLOW_WEBHOOK_SECRET']).toBe(inference['MLFLOW_WEBHOOK_SECRET']);
    });

    it('gives registry-admin’s report reader the viewer role on inference-api and nothing more', () => {
      const readerToken = compose.services['registry-admin'].environment?.['INFERENCE_VIEWER_TOKEN'];
      const entries = apiTokenEntries(String(compose.services['inference-api'].environment?.['API_TOKENS']));
      expect(entries.filter((entry) => entry.token === readerToken)).toEqual([
        { name: 'rollout-reader', roles: ['viewer'], token: readerToken },
      ]);
    });

    it('gives inference-api’s retraining token the trainer role on training-worker and nothing more', () => {
      const retrainingToken = compose.services['inference-api'].environment?.['TRAINING_WORKER_TOKEN'];
      const entries = apiTokenEntries(String(compose.services['training-worker'].environment?.['API_TOKENS']));
      expect(entries.filter((entry) => entry.token === retrainingToken)).toEqual([
        { name: 'drift-retraining', roles: ['trainer'], token: retrainingToken },
      ]);
      for (const app of APPS) {
        const tokens = apiTokenEntries(String(compose.services[app].environment?.['API_TOKENS']));
        expect(tokens.every((entry) => entry.token.length >= 16)).toBe(true);
      }
    });

    it('dev profile: dev-only secrets, the stores published on 127.0.0.1 only', () => {
      const devSecrets = envFileEntries(readFileSync(DEV_ENV, 'utf8'));
      expect(Object.keys(devSecrets).sort()).toEqual(requiredVariables(COMPOSE_FILE).concat('FEEDBACK_TOKEN').sort());
      // The Fernet key is base64; it decodes to a text that says dev-only.
      const marked = ([name, value]: [string, string]) =>
        (name === 'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY' ? Buffer.from(value, 'base64').toString() : value).includes(
          'dev-only',
        );
      expect(Object.entries(devSecrets).filter((entry) => !marked(entry))).toEqual([]);
      for (const [name, value] of Object.entries(devSecrets))
        if (name.endsWith('API_TOKENS'))
          expect({ name, short: apiTokenEntries(value).filter((entry) => entry.token.length < 16) }).toEqual({
            name,
            short: [],
          });
        else expect({ name, long: value.length >= 16 }).toEqual({ name, long: true });

      const dev = resolve([COMPOSE_FILE, DEV_OVERRIDE], {}, DEV_ENV);
      expect(
        Object.fromEntries(
          Object.entries(dev.services)
            .map(([name, service]) => [name, publishedPorts(service)] as const)
            .filter(([, ports]) => ports.length > 0),
        ),
      ).toEqual({
        'inference-api': ['0.0.0.0:8000->8000'],
        minio: ['127.0.0.1:9001->9001'],
        mlflow: ['127.0.0.1:5000->5000'],
        postgres: ['127.0.0.1:5432->5432'],
        'prediction-db': ['127.0.0.1:5433->5432'],
        'registry-admin': ['127.0.0.1:8001->8001'],
        'training-worker': ['127.0.0.1:8002->8002'],
      });
      expect(dev.services['mlflow'].environment?.['MLFLOW_AUTH_ADMIN_PASSWORD']).toBe(
        devSecrets['MLFLOW_ADMIN_PASSWORD'],
      );
    });

    it('builds every image from a context and Dockerfile that exist', () => {
      const built = Object.entries(compose.services).filter(([, service]) => service.build);
      expect(built.map(([name]) => name).sort()).toEqual(
        [...APPS, 'mlflow', 'mlflow-init', 'prediction-db-migrate'].sort(),
      );
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

    it.each([
      ['app.Dockerfile', 'NODE_IMAGE', /^node:\d+\.\d+\.\d+-bookworm-slim$/],
      ['mlflow.Dockerfile', 'PYTHON_IMAGE', /^python:3\.11\.\d+-slim-bookworm$/],
    ])('%s: its base image (%s) is an exact version, with the digest refresh step beside it', (name, arg, pattern) => {
      const text = readFileSync(join(DOCKER_DIR, name), 'utf8');
      const instructions = dockerfileInstructions(join(DOCKER_DIR, name));
      const image = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith(`${arg}=`))?.args.split('=')[1];
      expect(image).toMatch(pattern);
      // Every stage starts from it or from an earlier stage.
      const stages: string[] = [];
      for (const from of instructions.filter((i) => i.keyword === 'FROM')) {
        const [base, , name] = from.args.split(/\s+/);
        expect({ from: from.args, base: base === `\${${arg}}` || stages.includes(base) }).toEqual({
          from: from.args,
          base: true,
        });
        if (name) stages.push(name);
      }
      expect(text).toContain(`docker buildx imagetools inspect ${image}`);
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

    it('app.Dockerfile: builds with Nx in a full stage and runs on production packages only, both from the lock file', () => {
      const instructions = dockerfileInstructions(join(DOCKER_DIR, 'app.Dockerfile'));
      const text = instructions.map((i) => `${i.keyword} ${i.args}`).join('\n');
      expect(text).toMatch(/^ENV ONNXRUNTIME_NODE_INSTALL=skip$/m);
      const envIndex = instructions.findIndex((i) => i.args === 'ONNXRUNTIME_NODE_INSTALL=skip');
      const installs = instructions
        .map((i, index) => ({ ...i, index }))
        .filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args));
      expect(installs.map((i) => [/\bnpm ci\b/.test(i.args), i.args.includes('--omit=dev')])).toEqual([
        [true, false],
        [true, true],
      ]);
      expect(installs.every((i) => i.index > envIndex)).toBe(true);
      expect(text).toContain('RUN npx nx run "${APP}:build"');
      const final = instructions.filter((i) => i.stage === Math.max(...instructions.map((x) => x.stage)));
      expect(final.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual([
        '--from=production-dependencies /src/node_modules ./node_modules',
        '--from=build /src/dist/apps/${APP} ./',
      ]);
    });

    it('mlflow.Dockerfile: installs only the hash-locked requirements, with the basic-auth config and the init step', () => {
      const instructions = dockerfileInstructions(join(DOCKER_DIR, 'mlflow.Dockerfile'));
      const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
      expect(runs.filter((run) => run.includes('pip install'))).toEqual([
        expect.stringContaining('pip install --require-hashes --no-deps -r /tmp/requirements.txt'),
      ]);
      expect(instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual([
        'docker/mlflow/requirements.txt /tmp/requirements.txt',
        'docker/mlflow/basic_auth.ini /etc/churn-mlops/mlflow/basic_auth.ini',
        'docker/mlflow/init_mlflow.py /opt/churn-mlops/init_mlflow.py',
      ]);
      expect(instructions).toContainEqual(
        expect.objectContaining({
          keyword: 'ENV',
          args: 'MLFLOW_AUTH_CONFIG_PATH=/etc/churn-mlops/mlflow/basic_auth.ini',
        }),
      );
      const cmd = JSON.parse(String(instructions.find((i) => i.keyword === 'CMD')?.args));
      expect(cmd.slice(0, 4)).toEqual(['mlflow', 'server', '--app-name', 'basic-auth']);
    });

    it('docker/mlflow/requirements.txt: locks the requirements.in pins (mlflow as the tests run it), every file hashed', () => {
      const lock = readFileSync(join(DOCKER_DIR, 'mlflow/requirements.txt'), 'utf8');
      const entries = lock
        .replace(/\\\n/g, ' ')
        .split('\n')
        .filter((line) => /^[A-Za-z0-9]/.test(line))
        .map((line) => ({
          pin: line.split(/\s/)[0].toLowerCase(),
          hashes: [...line.matchAll(/--hash=sha256:[0-9a-f]{64}/g)].length,
        }));
      expect(entries.length).toBeGreaterThan(50);
      expect(entries.filter((entry) => !/^[a-z0-9_.-]+==\S+$/.test(entry.pin) || entry.hashes === 0)).toEqual([]);
      const pins = entries.map((entry) => entry.pin);
      const wanted = readFileSync(join(DOCKER_DIR, 'mlflow/requirements.in'), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Za-z]/.test(line))
        .map((line) => line.replace(/\[[^\]]*\]/, '').toLowerCase());
      expect(wanted.filter((pin) => !pins.includes(pin))).toEqual([]);
      const testedMlflow = readFileSync(join(workspaceRoot, 'tools/mlflow/requirements.txt'), 'utf8').match(
        /^mlflow(?:\[[^\]]*\])?==(\S+)$/m,
      )?.[1];
      expect(pins).toContain(`mlflow==${testedMlflow}`);
      // The auth app's own dependency came with the [auth] extra.
      expect(pins.some((pin) => pin.startsWith('flask-wtf=='))).toBe(true);
      expect(lock).toContain('pip-compile --allow-unsafe --generate-hashes');
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
});

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
