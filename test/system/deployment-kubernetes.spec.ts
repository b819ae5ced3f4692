import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse, parseAllDocuments } from 'yaml';

import {
  apiTokenEntries,
  APP_PORTS,
  APPS,
  declaredSettings,
  DOCKER_DIR,
  envFileEntries,
  generatedSecrets,
  INTERNAL_PORT,
  isSecretSetting,
  K8S_DIR,
  MLFLOW_CLIENT_VARIABLES,
} from './support/deployment-files';
import { allowedConnections, NAMESPACE_NAME, type NetworkPolicySpec, type Peer } from './support/network-policies';
import { workspaceRoot } from './support/processes';

// The Kubernetes manifests under docker/k8s, offline: against the API schemas (kubernetes-validate),
// against what the apps and MLflow need, and their NetworkPolicies evaluated flow by flow.

const NAMESPACE = 'churn-mlops';
const SECRETS_DIR = join(K8S_DIR, 'secrets');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- manifests are checked field by field below
  data?: Record<string, string>;
}

interface Kustomization {
  resources: string[];
  secretGenerator?: { name: string; envs: string[] }[];
  images?: { name: string }[];
}

/** The parts of a container spec these tests read. */
interface K8sContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: { fieldPath: string } };
  }[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
}
type EnvironmentSource = { from: 'configMap' | 'secret' | 'value' | 'field'; value?: string; secret?: string };

const kustomization = (): Kustomization => parse(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8'));

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

/** Pod template of a workload (Deployment, StatefulSet or Job). */
const podSpecOf = (workload: K8sObject) => workload.spec.template.spec;

/** The keys each generated Secret has: those of its `secrets/<name>.env.example`. */
function secretKeys(): Map<string, string[]> {
  return new Map(
    (kustomization().secretGenerator ?? []).map((secret) => [
      secret.name,
      secret.envs.flatMap((env) => Object.keys(envFileEntries(readFileSync(join(K8S_DIR, `${env}.example`), 'utf8')))),
    ]),
  );
}

/** Each environment variable a container gets, and where it comes from; a Secret reference must name a generated key. */
function containerEnvironment(objects: K8sObject[], container: K8sContainer): Map<string, EnvironmentSource> {
  const environment = new Map<string, EnvironmentSource>();
  const secrets = secretKeys();
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef)
      for (const [key, value] of Object.entries(find(objects, 'ConfigMap', source.configMapRef.name).data ?? {}))
        environment.set(key, { from: 'configMap', value: String(value) });
    if (source.secretRef) throw new Error(`${container.name}: envFrom a whole Secret hides which keys it reads`);
  }
  for (const variable of container.env ?? []) {
    const reference = variable.valueFrom?.secretKeyRef;
    if (reference) {
      expect({
        container: container.name,
        reference,
        exists: secrets.get(reference.name)?.includes(reference.key),
      }).toEqual({
        container: container.name,
        reference,
        exists: true,
      });
      environment.set(variable.name, { from: 'secret', secret: `${reference.name}/${reference.key}` });
    } else if (variable.valueFrom?.fieldRef) environment.set(variable.name, { from: 'field' });
    else environment.set(variable.name, { from: 'value', value: variable.value });
  }
  return environment;
}

describe('Kubernetes manifests (docker/k8s)', () => {
  const objects = manifests();
  const workload = (kind: string, name: string) => find(objects, kind, name);
  const mainContainer = (name: string, kind = 'Deployment'): K8sContainer =>
    podSpecOf(workload(kind, name)).containers[0];
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));

  it('validate against the Kubernetes 1.31 API schemas (kubernetes-validate --strict, offline)', () => {
    const result = spawnSync(
      process.execPath,
      [join(workspaceRoot, 'tools/deploy/validate-manifests.mjs'), '--kubernetes-version', '1.31', K8S_DIR],
      { encoding: 'utf8', timeout: 170_000 },
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

  it('ship no secret: Secrets are generated from files the operator writes, whose examples hold no value', () => {
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
    const generated = kustomization().secretGenerator ?? [];
    expect(generated.length).toBeGreaterThanOrEqual(10);
    for (const { name, envs } of generated) {
      expect(envs).toEqual([`secrets/${name}.env`]);
      const example = join(K8S_DIR, `secrets/${name}.env.example`);
      const entries = envFileEntries(readFileSync(example, 'utf8'));
      expect({
        name,
        keys: Object.keys(entries).length > 0,
        values: Object.values(entries).filter((v) => v !== ''),
      }).toEqual({ name, keys: true, values: [] });
    }
    // The files an operator writes stay out of git.
    const ignored = spawnSync('git', ['check-ignore', '-q', join(SECRETS_DIR, 'mlflow-backend.env')], {
      cwd: workspaceRoot,
    });
    expect(ignored.status).toBe(0);
    expect(
      readdirSync(SECRETS_DIR).filter((file) => file.endsWith('.env') && existsSync(join(SECRETS_DIR, file))),
    ).toEqual([]);
  });

  it('are given consistent secrets by tools/deploy/generate-secrets.mjs (one file per example, every rule kept)', () => {
    const scratch = spawnSync('mktemp', ['-d'], { encoding: 'utf8' }).stdout.trim();
    spawnSync('sh', ['-c', `cp ${SECRETS_DIR}/*.env.example ${scratch}/`]);
    const secrets = generatedSecrets('--kubernetes', scratch);
    spawnSync('rm', ['-rf', scratch]);
    expect(Object.keys(secrets).sort()).toEqual([...secretKeys().keys()].sort());
    for (const [name, keys] of secretKeys())
      expect({ name, keys: Object.keys(secrets[name]).sort() }).toEqual({ name, keys: [...keys].sort() });
    const all = Object.entries(secrets).flatMap(([name, entries]) =>
      Object.entries(entries).map(([key, value]) => ({ name, key, value })),
    );
    for (const { name, key, value } of all) {
      if (key === 'API_TOKENS')
        expect({ name, short: apiTokenEntries(value).filter((entry) => entry.token.length < 16) }).toEqual({
          name,
          short: [],
        });
      else if (isSecretSetting(key)) expect({ name, key, long: value.length >= 16 }).toEqual({ name, key, long: true });
    }
    expect(Buffer.from(secrets['mlflow-backend']['MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY'], 'base64url')).toHaveLength(
      32,
    );
    const retraining = secrets['inference-api-tokens']['TRAINING_WORKER_TOKEN'];
    expect(
      apiTokenEntries(secrets['training-worker-tokens']['API_TOKENS']).filter((e) => e.token === retraining),
    ).toEqual([{ name: 'drift-retraining', roles: ['trainer'], token: retraining }]);
    const reader = secrets['registry-admin-tokens']['INFERENCE_VIEWER_TOKEN'];
    expect(apiTokenEntries(secrets['inference-api-tokens']['API_TOKENS']).filter((e) => e.token === reader)).toEqual([
      { name: 'rollout-reader', roles: ['viewer'], token: reader },
    ]);
    expect(secrets['prediction-store']).toEqual({
      INFERENCE_STORE_URL: `postgres://prediction_writer:${secrets['prediction-db']['PREDICTION_DB_WRITER_PASSWORD']}@prediction-db:5432/predictions`,
      INFERENCE_STORE_MIGRATION_URL: `postgres://prediction_owner:${secrets['prediction-db']['PREDICTION_DB_OWNER_PASSWORD']}@prediction-db:5432/predictions`,
    });
  });

  it('probe inference-api’s public listener (/ready, /health) and every other server on /health', () => {
    const probes = Object.fromEntries(
      [...APPS, 'mlflow'].map((name) => {
        const container = mainContainer(name);
        const probe = (p?: { httpGet?: { path: string; port: string } }) =>
          `${p?.httpGet?.path} on ${p?.httpGet?.port}`;
        return [name, { readiness: probe(container.readinessProbe), liveness: probe(container.livenessProbe) }];
      }),
    );
    expect(probes).toEqual({
      'inference-api': { readiness: '/ready on http', liveness: '/health on http' },
      'registry-admin': { readiness: '/health on http', liveness: '/health on http' },
      'training-worker': { readiness: '/health on http', liveness: '/health on http' },
      mlflow: { readiness: '/health on http', liveness: '/health on http' },
    });
  });

  it('expose only inference-api’s public listener on NodePort 30080; its internal one to the headless Service registry-admin pushes to', () => {
    const container = mainContainer('inference-api');
    expect(container.ports).toEqual([
      { name: 'http', containerPort: APP_PORTS['inference-api'] },
      { name: 'internal', containerPort: INTERNAL_PORT },
    ]);
    const environment = containerEnvironment(objects, container);
    expect([environment.get('PORT')?.value, environment.get('INTERNAL_PORT')?.value]).toEqual([
      '8000',
      String(INTERNAL_PORT),
    ]);
    const podLabels = workload('Deployment', 'inference-api').spec.template.metadata.labels;
    const nodePort = find(objects, 'Service', 'inference-api');
    expect(nodePort.spec).toMatchObject({
      type: 'NodePort',
      ports: [{ port: 8000, nodePort: 30080, targetPort: 'http' }],
    });
    expect(nodePort.spec.ports).toHaveLength(1);
    const headless = find(objects, 'Service', 'inference-api-replicas');
    expect(headless.spec).toMatchObject({
      clusterIP: 'None',
      ports: [{ port: INTERNAL_PORT, targetPort: 'internal' }],
    });
    expect(headless.spec.ports).toHaveLength(1);
    for (const service of [nodePort, headless]) expect(podLabels).toMatchObject(service.spec.selector);
    const replicas = `http://inference-api-replicas.${NAMESPACE}.svc.cluster.local:${INTERNAL_PORT}`;
    expect(containerEnvironment(objects, mainContainer('registry-admin')).get('INFERENCE_URLS')?.value).toBe(replicas);
    expect(containerEnvironment(objects, mainContainer('mlflow-init', 'Job')).get('INFERENCE_WEBHOOK_URL')?.value).toBe(
      replicas,
    );
    // Prometheus scrapes the internal listener, where /metrics is.
    expect(workload('Deployment', 'inference-api').spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(INTERNAL_PORT),
      'prometheus.io/path': '/metrics',
    });
    expect(find(objects, 'Namespace', NAMESPACE)).toBeDefined();
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
    expect(mainContainer('inference-api').resources?.requests?.cpu).toBeDefined();
  });

  it('run every container as a non-root user without privilege escalation or a service account token, with resources set', () => {
    expect(workloads.length).toBeGreaterThanOrEqual(9);
    for (const item of workloads) {
      const pod = podSpecOf(item);
      expect({ workload: `${item.kind}/${item.metadata.name}`, token: pod.automountServiceAccountToken }).toEqual({
        workload: `${item.kind}/${item.metadata.name}`,
        token: false,
      });
      for (const container of [...(pod.initContainers ?? []), ...pod.containers] as K8sContainer[]) {
        const context = { ...pod.securityContext, ...container.securityContext };
        expect({
          workload: `${item.kind}/${item.metadata.name}/${container.name}`,
          runAsNonRoot: context.runAsNonRoot,
          nonZeroUser: Number(context.runAsUser) > 0,
          allowPrivilegeEscalation: context.allowPrivilegeEscalation,
          requests: Object.keys(container.resources?.requests ?? {}).sort(),
          limits: Object.keys(container.resources?.limits ?? {}).sort(),
        }).toEqual({
          workload: `${item.kind}/${item.metadata.name}/${container.name}`,
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
    const servers = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const target = servers.find((w) =>
        Object.entries(service.spec.selector).every(([key, value]) => w.spec.template.metadata.labels[key] === value),
      );
      const containers: K8sContainer[] = target ? podSpecOf(target).containers : [];
      const portNames = containers.flatMap((container) => (container.ports ?? []).map((port) => port.name));
      const servicePorts: { targetPort: string }[] = service.spec.ports;
      expect({
        service: service.metadata.name,
        selects: target !== undefined,
        targetPorts: servicePorts.map((port) => portNames.includes(port.targetPort)),
      }).toEqual({ service: service.metadata.name, selects: true, targetPorts: service.spec.ports.map(() => true) });
    }
  });

  it.each(APPS)(
    'give %s every setting its config declares, credentials from its own Secrets, nothing undeclared',
    (app) => {
      const container = mainContainer(app);
      const environment = containerEnvironment(objects, container);
      const declared = declaredSettings(app);
      expect(declared.filter((setting) => !environment.has(setting))).toEqual([]);
      expect(
        [...environment.keys()].filter((name) => !declared.includes(name) && !MLFLOW_CLIENT_VARIABLES.includes(name)),
      ).toEqual([]);
      const secretsInPlainSight = [...environment].filter(
        ([name, { from }]) =>
          (isSecretSetting(name) || name === 'API_TOKENS' || name === 'INFERENCE_STORE_URL') && from !== 'secret',
      );
      expect(secretsInPlainSight.map(([name]) => name)).toEqual([]);
      // Its own MLflow user, from a Secret only it and the init Job read.
      expect(MLFLOW_CLIENT_VARIABLES.map((name) => environment.get(name)?.secret)).toEqual([
        `${app}-mlflow/MLFLOW_TRACKING_USERNAME`,
        `${app}-mlflow/MLFLOW_TRACKING_PASSWORD`,
      ]);
      expect(environment.get('MLFLOW_TRACKING_URI')?.value).toBe('http://mlflow:5000');
      expect(environment.get('PORT')?.value).toBe(String(container.ports?.[0].containerPort));
      expect(container.image).toBe(`churn-mlops/${app}:0.1.0`);
      expect(find(objects, 'Service', app).spec.ports[0].port).toBe(APP_PORTS[app]);
    },
  );

  it('run MLflow with its basic-auth app on PostgreSQL and S3, the config shipped with the image, no password in its spec', () => {
    const container = mainContainer('mlflow');
    const command = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
    expect(command).toContain('mlflow server --app-name basic-auth');
    expect(command).toContain('--backend-store-uri postgresql+psycopg2://mlflow@postgres:5432/mlflow');
    expect(command).toContain('--artifacts-destination s3://mlflow-artifacts');
    const allowedHosts = command.match(/--allowed-hosts (\S+)/)?.[1].split(',') ?? [];
    expect(allowedHosts).toEqual(expect.arrayContaining(['mlflow:5000', 'mlflow.churn-mlops.svc.cluster.local:5000']));
    const environment = containerEnvironment(objects, container);
    expect(
      Object.fromEntries(
        [
          'PGPASSWORD',
          'MLFLOW_AUTH_ADMIN_USERNAME',
          'MLFLOW_AUTH_ADMIN_PASSWORD',
          'MLFLOW_FLASK_SERVER_SECRET_KEY',
          'AWS_SECRET_ACCESS_KEY',
          'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY',
        ].map((name) => [name, environment.get(name)?.secret]),
      ),
    ).toEqual({
      PGPASSWORD: 'mlflow-backend/MLFLOW_DB_PASSWORD',
      MLFLOW_AUTH_ADMIN_USERNAME: 'mlflow-admin/MLFLOW_ADMIN_USERNAME',
      MLFLOW_AUTH_ADMIN_PASSWORD: 'mlflow-admin/MLFLOW_ADMIN_PASSWORD',
      MLFLOW_FLASK_SERVER_SECRET_KEY: 'mlflow-backend/MLFLOW_FLASK_SERVER_SECRET_KEY',
      AWS_SECRET_ACCESS_KEY: 'mlflow-backend/MINIO_ROOT_PASSWORD',
      MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: 'mlflow-backend/MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY',
    });
    expect(environment.get('MLFLOW_S3_ENDPOINT_URL')?.value).toBe('http://minio:9000');
    expect(environment.get('MLFLOW_SERVER_ENABLE_JOB_EXECUTION')?.value).toBe('false');
    expect(container.volumeMounts).toContainEqual({
      name: 'auth-config',
      mountPath: '/etc/churn-mlops/mlflow',
      readOnly: true,
    });
    expect(find(objects, 'ConfigMap', 'mlflow-auth-config').data?.['basic_auth.ini']).toBe(
      readFileSync(join(DOCKER_DIR, 'mlflow/basic_auth.ini'), 'utf8'),
    );
    expect(find(objects, 'Service', 'mlflow').spec.ports[0].port).toBe(5000);
  });

  it('run the init Job with the admin’s Secret and the same user Secrets the apps sign in with', () => {
    const container = mainContainer('mlflow-init', 'Job');
    expect(container.command).toEqual(['python', '/opt/churn-mlops/init_mlflow.py']);
    expect(container.image).toBe('churn-mlops/mlflow:0.1.0');
    const environment = containerEnvironment(objects, container);
    const source = (name: string) => environment.get(name)?.secret ?? environment.get(name)?.value;
    expect(source('MLFLOW_TRACKING_USERNAME')).toBe('mlflow-admin/MLFLOW_ADMIN_USERNAME');
    expect(source('MLFLOW_TRACKING_PASSWORD')).toBe('mlflow-admin/MLFLOW_ADMIN_PASSWORD');
    for (const app of APPS) {
      const prefix = app.toUpperCase().replace(/-/g, '_');
      const appEnvironment = containerEnvironment(objects, mainContainer(app));
      expect([source(`${prefix}_MLFLOW_USERNAME`), source(`${prefix}_MLFLOW_PASSWORD`)]).toEqual([
        appEnvironment.get('MLFLOW_TRACKING_USERNAME')?.secret,
        appEnvironment.get('MLFLOW_TRACKING_PASSWORD')?.secret,
      ]);
    }
    const inference = containerEnvironment(objects, mainContainer('inference-api'));
    expect(source('MLFLOW_WEBHOOK_SECRET')).toBe(inference.get('MLFLOW_WEBHOOK_SECRET')?.secret);
    expect(containerEnvironment(objects, mainContainer('registry-admin')).get('INFERENCE_ADMIN_TOKEN')?.secret).toBe(
      inference.get('INFERENCE_ADMIN_TOKEN')?.secret,
    );
    // Every setting the script reads, and nothing else.
    const script = readFileSync(join(DOCKER_DIR, 'mlflow/init_mlflow.py'), 'utf8');
    const read = [...script.matchAll(/(?:required|secret)\(env, "(\w+)"\)|env\.get\("(\w+)"/g)].map(
      ([, a, b]) => a ?? b,
    );
    const prefixed = [...script.matchAll(/\("[a-z-]+", "([A-Z_]+)"\)/g)].flatMap(([, p]) => [
      `${p}_MLFLOW_USERNAME`,
      `${p}_MLFLOW_PASSWORD`,
    ]);
    expect([...environment.keys()].sort()).toEqual(
      [...new Set([...read, ...prefixed].filter((n) => !n.includes('{')))].sort(),
    );
  });

  it('set up both PostgreSQL servers with copies of docker/postgres’s scripts; inference-api migrates as the owner, runs as the writer', () => {
    for (const [statefulSet, configMap, script] of [
      ['postgres', 'postgres-init', 'mlflow-db-init.sh'],
      ['prediction-db', 'prediction-db-init', 'prediction-db-init.sh'],
    ]) {
      expect(find(objects, 'ConfigMap', configMap).data).toEqual({
        [`10-${script}`]: readFileSync(join(DOCKER_DIR, 'postgres', script), 'utf8'),
      });
      const pod = podSpecOf(workload('StatefulSet', statefulSet));
      // Executable: the image sources a non-executable script into its own shell.
      expect(pod.volumes).toContainEqual({ name: 'init', configMap: { name: configMap, defaultMode: 0o555 } });
      expect(pod.containers[0].volumeMounts).toContainEqual({
        name: 'init',
        mountPath: '/docker-entrypoint-initdb.d',
        readOnly: true,
      });
    }
    const pod = podSpecOf(workload('Deployment', 'inference-api'));
    const [migrate] = pod.initContainers as K8sContainer[];
    expect(migrate.command).toEqual(['node', 'main.js', 'migrate-store']);
    expect(migrate.image).toBe(mainContainer('inference-api').image);
    expect(containerEnvironment(objects, migrate).get('INFERENCE_STORE_URL')?.secret).toBe(
      'prediction-store/INFERENCE_STORE_MIGRATION_URL',
    );
    expect(containerEnvironment(objects, mainContainer('inference-api')).get('INFERENCE_STORE_URL')?.secret).toBe(
      'prediction-store/INFERENCE_STORE_URL',
    );
  });

  describe('NetworkPolicies', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.spec as NetworkPolicySpec);
    const home = { [NAMESPACE_NAME]: NAMESPACE };
    const pods: Peer[] = workloads.map((item) => ({
      name: item.metadata.name,
      namespace: home,
      pod: item.spec.template.metadata.labels,
      ports: [...(podSpecOf(item).initContainers ?? []), ...podSpecOf(item).containers].flatMap((c: K8sContainer) =>
        (c.ports ?? []).map((port) => `TCP/${port.containerPort}`),
      ),
      governed: true,
    }));
    /** Traffic from outside the namespace: the world (NodePort), Prometheus, an operators' namespace, the cluster DNS. */
    const outside: Peer[] = [
      { name: 'anywhere', namespace: { [NAMESPACE_NAME]: 'default' }, pod: {}, ports: [], governed: false },
      {
        name: 'prometheus',
        namespace: { [NAMESPACE_NAME]: 'monitoring', 'churn-mlops.io/metrics-scraper': 'true' },
        pod: { 'app.kubernetes.io/name': 'prometheus' },
        ports: [],
        governed: false,
      },
      {
        name: 'operators',
        namespace: { [NAMESPACE_NAME]: 'ops', 'churn-mlops.io/admin-access': 'true' },
        pod: { app: 'kubectl-port-forward' },
        ports: [],
        governed: false,
      },
      {
        name: 'kube-dns',
        namespace: { [NAMESPACE_NAME]: 'kube-system' },
        pod: { 'k8s-app': 'kube-dns' },
        ports: ['UDP/53', 'TCP/53'],
        governed: false,
      },
    ];
    /** A pod someone adds to the namespace later, which no policy names: it must get DNS and nothing else. */
    const stranger: Peer = {
      name: 'stranger',
      namespace: home,
      pod: { 'app.kubernetes.io/name': 'debug' },
      ports: ['TCP/8080'],
      governed: true,
    };
    const peers = [...pods, stranger, ...outside];
    const dns = [...pods, stranger].flatMap((pod) => [
      `${pod.name} -> kube-dns:TCP/53`,
      `${pod.name} -> kube-dns:UDP/53`,
    ]);
    /** Every real flow of the deployment (README, Deploy), and no other. */
    const flows = [
      'inference-api -> mlflow:TCP/5000',
      'registry-admin -> mlflow:TCP/5000',
      'training-worker -> mlflow:TCP/5000',
      'mlflow-init -> mlflow:TCP/5000',
      'mlflow -> postgres:TCP/5432',
      'mlflow -> minio:TCP/9000',
      'minio-create-bucket -> minio:TCP/9000',
      'mlflow -> inference-api:TCP/9000',
      'registry-admin -> inference-api:TCP/9000',
      'prometheus -> inference-api:TCP/9000',
      'inference-api -> training-worker:TCP/8002',
      'inference-api -> prediction-db:TCP/5432',
      // The public listener, from anywhere outside.
      ...outside.map((peer) => `${peer.name} -> inference-api:TCP/8000`),
      'operators -> registry-admin:TCP/8001',
      'operators -> training-worker:TCP/8002',
      ...dns,
    ].sort();

    it('allow every flow of the deployment and no other', () => {
      expect(pods.map((pod) => pod.name).sort()).toEqual(
        [
          'inference-api',
          'minio',
          'minio-create-bucket',
          'mlflow',
          'mlflow-init',
          'postgres',
          'prediction-db',
          'registry-admin',
          'training-worker',
        ].sort(),
      );
      expect(allowedConnections(policies, peers)).toEqual(flows);
    });

    it('need every policy: without any one, a flow is lost or an unwanted one opens', () => {
      const names = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
      expect(names.length).toBeGreaterThanOrEqual(11);
      names.forEach((name, index) => {
        const others = policies.filter((_, other) => other !== index);
        expect({
          without: name,
          same: JSON.stringify(allowedConnections(others, peers)) === JSON.stringify(flows),
        }).toEqual({
          without: name,
          same: false,
        });
      });
    });

    it('leave MLflow, MinIO and both PostgreSQL servers unreachable from outside the namespace', () => {
      const stores = ['mlflow', 'minio', 'postgres', 'prediction-db'];
      expect(
        allowedConnections(policies, peers).filter((flow) =>
          outside.some(
            (peer) => flow.startsWith(`${peer.name} -> `) && stores.some((store) => flow.includes(`-> ${store}:`)),
          ),
        ),
      ).toEqual([]);
    });
  });
});
