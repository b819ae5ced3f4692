import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { MlflowClient, tagsToRecord } from '@churn/mlflow-client';

import { killGroup, MlflowServer, stopWithThisProcess } from './support/mlflow-server';
import { ensurePostgresInstalled, openToServerUser, PostgresCluster } from './support/postgres-cluster';
import { answers, freePort, runToCompletion, startProcess, TestProcess, workspaceRoot } from './support/processes';
import { TELCO_CSV } from './support/telco';

// Production runs MLflow on PostgreSQL (docker/compose), every other test on SQLite. Here MLflow
// runs on Debian's PostgreSQL server, a fresh cluster started by the test as the `postgres` user,
// and the lifecycle runs against it through the built apps' command lines: train v1 and v2,
// promote both, roll back. The state is then read back three ways: with our client, with MLflow's
// own Python client, and with psql straight from the database's tables.

const MODEL = 'churn_model';
const ALIAS = 'production';
const DATABASE = 'mlflow';
/** registry-admin's default audit experiment: `<model>.alias-audit`. */
const AUDIT_EXPERIMENT = `${MODEL}.alias-audit`;
/** The tags training-worker puts on every version it registers (DESIGN.md, wiring table). */
const VERSION_TAGS = ['data_sha256', 'f1', 'gate_f1', 'gate_passed', 'roc_auc', 'run_id'];

const app = (name: string) => join(workspaceRoot, 'dist/apps', name, 'main.js');

/** What MLflow's Python client reports about the model, printed as JSON by {@link PYTHON_READER}. */
interface PythonView {
  alias: string;
  versions: { version: string; status: string; aliases: string[]; run_id: string; tags: Record<string, string> }[];
}

/** MLflow's own client (not ours) reading the registry at argv[1]: the alias's holder and every version. */
const PYTHON_READER = `
import json, sys
from mlflow import MlflowClient
uri, model, alias = sys.argv[1:4]
client = MlflowClient(tracking_uri=uri, registry_uri=uri)
# A search leaves aliases out of its results; get_model_version fills them in.
found = client.search_model_versions(f"name='{model}'")
versions = sorted((client.get_model_version(model, v.version) for v in found), key=lambda v: int(v.version))
# str(): the REST store gives versions as strings, the SQL store (the database URI) as integers.
print(json.dumps({
    "alias": str(client.get_model_version_by_alias(model, alias).version),
    "versions": [{"version": str(v.version), "status": v.status, "aliases": sorted(v.aliases), "run_id": v.run_id, "tags": v.tags} for v in versions],
}))
`;

describe('MLflow on PostgreSQL: the lifecycle through the built apps, read back by both clients and by SQL', () => {
  let workDir: string;
  let postgres: PostgresCluster;
  let mlflow: MlflowServer;
  let replica: { url: string; internalUrl: string; process: TestProcess };
  const adminToken = 'postgres-backend-test-reload-token';
  const timings: Record<string, number> = {};

  const sharedEnv = (): NodeJS.ProcessEnv => ({
    MLFLOW_TRACKING_URI: mlflow.url,
    MODEL_NAME: MODEL,
    MODEL_ALIAS: ALIAS,
    INFERENCE_ADMIN_TOKEN: adminToken,
    INFERENCE_URLS: replica.internalUrl,
    REGISTRY_ACTOR: 'postgres-backend-test',
  });

  async function timed<T>(label: string, step: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    try {
      return await step();
    } finally {
      timings[label] = Math.round(performance.now() - startedAt);
    }
  }

  async function cli(name: string, args: string[]): Promise<{ code: number | null; output: string }> {
    return runToCompletion(process.execPath, [app(name), ...args], sharedEnv());
  }

  /** The replica's /health names the version within a few seconds (push, else its 1 s poll). */
  async function expectReplicaServes(version: string): Promise<void> {
    const wanted = `${MODEL}@${ALIAS} (v${version})`;
    const deadline = Date.now() + 10_000;
    let last = '';
    while (Date.now() < deadline) {
      last = await (await fetch(`${replica.url}/health`)).text();
      if ((JSON.parse(last) as { model: string | null }).model === wanted) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `${replica.url}/health still answers ${last}, not ${wanted}:\n${replica.process.output.slice(-2000)}`,
    );
  }

  beforeAll(async () => {
    if (!existsSync(TELCO_CSV))
      throw new Error(`${TELCO_CSV} is missing: the system test trains on the real Telco data beside the workspace`);
    for (const name of ['training-worker', 'registry-admin', 'inference-api']) {
      if (!existsSync(app(name)))
        throw new Error(
          `${app(name)} is missing: build the apps first (the system-test target depends on their builds)`,
        );
    }
    const binDir = await timed('install check', ensurePostgresInstalled);
    workDir = mkdtempSync(join(tmpdir(), 'churn-postgres-'));
    openToServerUser(workDir);
    postgres = new PostgresCluster(binDir, join(workDir, 'postgres'));
    mkdirSync(postgres.rootDir);
    await timed('initdb + pg_ctl start', () => postgres.start());
    await postgres.createDatabase(DATABASE);

    mlflow = new MlflowServer(await freePort(), join(workDir, 'mlflow'), postgres.url(DATABASE));
    await timed('mlflow first start (migrations)', () => mlflow.start(240_000));

    const [port, internalPort] = [await freePort(), await freePort()];
    replica = {
      url: `http://127.0.0.1:${port}`,
      internalUrl: `http://127.0.0.1:${internalPort}`,
      process: startProcess(process.execPath, [app('inference-api')], {
        MLFLOW_TRACKING_URI: mlflow.url,
        MODEL_NAME: MODEL,
        MODEL_ALIAS: ALIAS,
        INFERENCE_ADMIN_TOKEN: adminToken,
        PORT: String(port),
        INTERNAL_PORT: String(internalPort),
        HOST: '127.0.0.1',
        MODEL_CACHE_DIR: join(workDir, 'model-cache'),
      }),
    };
    stopWithThisProcess(replica.process.child.pid as number);
    const deadline = Date.now() + 60_000;
    while (!(await answers(replica.url))) {
      if (replica.process.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`inference-api did not come up:\n${replica.process.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 900_000);

  afterAll(async () => {
    if (replica) killGroup(replica.process.child.pid as number, 'SIGKILL');
    mlflow?.kill();
    await postgres?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    process.stdout.write(`[postgres-backend] timings, ms: ${JSON.stringify(timings)}\n`);
  }, 120_000);

  it('MLflow created its schema in the PostgreSQL database', async () => {
    const tables = await postgres.query(
      DATABASE,
      "select string_agg(table_name, ',' order by table_name) from information_schema.tables where table_schema = 'public' and table_name in ('experiments', 'runs', 'registered_models', 'model_versions', 'registered_model_aliases')",
    );
    expect(tables).toBe('experiments,model_versions,registered_model_aliases,registered_models,runs');
    expect(await postgres.query(DATABASE, 'select count(*) from alembic_version')).toBe('1');
  });

  it('trains v1 and v2 with the training-worker command line', async () => {
    for (const [seed, version] of [
      [1, '1'],
      [2, '2'],
    ] as const) {
      const run = await timed(`train seed ${seed}`, () =>
        cli('training-worker', [
          'train',
          '--data=libs/churn-pipeline/data/telco-customer-churn.csv',
          `--model-name=${MODEL}`,
          '--experiment=churn',
          `--seed=${seed}`,
        ]),
      );
      if (run.code !== 0) throw new Error(`train --seed=${seed} exited with ${run.code}:\n${run.output}`);
      expect(run.output).toContain(`[MLflow] Run `);
      expect(run.output).toContain(`Model Registry : ${MODEL} v${version}`);
    }
  });

  it('promotes v1, then v2, with the registry-admin command line; the replica follows each', async () => {
    for (const version of ['1', '2']) {
      const run = await timed(`promote v${version}`, () => cli('registry-admin', ['promote', `--to=${version}`]));
      if (run.code !== 0) throw new Error(`promote --to=${version} exited with ${run.code}:\n${run.output}`);
      expect(run.output).toContain(`${MODEL}@${ALIAS} -> v${version}`);
      expect(run.output).toContain(`push ${replica.internalUrl}: HTTP 200`);
      await expectReplicaServes(version);
    }
  });

  it('rolls back to v1: `[OK] rollback => v2 -> v1`, and the replica serves v1 again', async () => {
    const run = await timed('rollback', () => cli('registry-admin', ['rollback']));
    if (run.code !== 0) throw new Error(`rollback exited with ${run.code}:\n${run.output}`);
    expect(run.output).toContain('[OK] rollback => v2 -> v1');
    expect(run.output).toContain(`push ${replica.internalUrl}: HTTP 200`);
    await expectReplicaServes('1');
  });

  it('@churn/mlflow-client reads it back: two READY versions with their tags, the alias on v1, the audit history', async () => {
    const client = new MlflowClient({ trackingUri: mlflow.url });
    const dataSha256 = createHash('sha256').update(readFileSync(TELCO_CSV)).digest('hex');
    const versions = (await client.modelVersions.search({ filter: `name='${MODEL}'` }).toArray()).sort(
      (a, b) => Number(a.version) - Number(b.version),
    );
    expect(versions.map((v) => [v.version, v.status, v.aliases])).toEqual([
      ['1', 'READY', [ALIAS]],
      ['2', 'READY', []],
    ]);
    for (const version of versions) {
      const tags = tagsToRecord(version.tags ?? []);
      expect(Object.keys(tags).sort()).toEqual(expect.arrayContaining(VERSION_TAGS));
      expect(tags).toMatchObject({ gate_passed: 'true', data_sha256: dataSha256, run_id: version.run_id });
    }
    expect((await client.registeredModels.getVersionByAlias({ name: MODEL, alias: ALIAS })).version).toBe('1');

    const audit = await client.experiments.getByName(AUDIT_EXPERIMENT);
    const records = (
      await client.runs
        .search({ experiment_ids: [audit.experiment_id], order_by: ['attributes.start_time ASC'] })
        .toArray()
    ).map((run) => {
      const tags = tagsToRecord(run.data.tags ?? []);
      return [tags['action'], tags['from_version'], tags['to_version'], tags['outcome'], tags['actor']];
    });
    expect(records).toEqual([
      ['promote', 'none', '1', 'committed', 'postgres-backend-test'],
      ['promote', '1', '2', 'committed', 'postgres-backend-test'],
      ['rollback', '2', '1', 'committed', 'postgres-backend-test'],
    ]);
  });

  it("MLflow's Python client reads the same, through the server and straight from the database", async () => {
    const python = process.env['CHURN_PYTHON'];
    if (!python)
      throw new Error('CHURN_PYTHON is not set: run under test/jest.config.cjs, whose global setup installs Python');
    const views: PythonView[] = [];
    for (const uri of [mlflow.url, postgres.url(DATABASE)]) {
      const run = await runToCompletion(python, ['-c', PYTHON_READER, uri, MODEL, ALIAS]);
      if (run.code !== 0) throw new Error(`MLflow's Python client on ${uri} exited with ${run.code}:\n${run.output}`);
      // MLflow may log warnings before the JSON; the JSON is the last line.
      views.push(JSON.parse(run.output.trim().split('\n').pop() as string) as PythonView);
    }
    const [throughServer, fromDatabase] = views;
    expect(throughServer.alias).toBe('1');
    expect(throughServer.versions.map((v) => [v.version, v.status, v.aliases])).toEqual([
      ['1', 'READY', [ALIAS]],
      ['2', 'READY', []],
    ]);
    for (const version of throughServer.versions)
      expect(version.tags).toMatchObject({ gate_passed: 'true', run_id: version.run_id });
    expect(fromDatabase).toEqual(throughServer);
  });

  it('the data really lives in PostgreSQL: its tables hold the versions, the alias and the audit runs', async () => {
    expect(await postgres.query(DATABASE, 'select count(*) from model_versions')).toBe('2');
    expect(
      await postgres.query(
        DATABASE,
        `select version from registered_model_aliases where name = '${MODEL}' and alias = '${ALIAS}'`,
      ),
    ).toBe('1');
    expect(
      await postgres.query(
        DATABASE,
        `select count(*) from runs join experiments using (experiment_id) where experiments.name = '${AUDIT_EXPERIMENT}'`,
      ),
    ).toBe('3');
  });
});
