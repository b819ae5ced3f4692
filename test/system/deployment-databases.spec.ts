import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the store class inference-api itself opens, as its runtime role would
import { openPredictionStore } from '../../apps/inference-api/src/app/prediction-log';
import {
  freshCredentials,
  initEnvironment,
  runInit,
  secretFor,
  SHIPPED_AUTH_CONFIG,
  startAuthMlflow,
} from './support/auth-mlflow';
import { MlflowServer } from './support/mlflow-server';
import { ensurePostgresInstalled, openToServerUser, PostgresCluster } from './support/postgres-cluster';
import { runToCompletion, workspaceRoot } from './support/processes';

// The deployment's PostgreSQL set-up scripts (docker/postgres/*.sh, which the postgres image runs
// on an empty volume and the Kubernetes manifests mount), run against Debian's PostgreSQL server:
// MLflow then runs on them as deployed (its own non-superuser role, its users and grants in a
// database of their own, the password for libpq from PGPASSWORD), and the prediction log's two
// roles hold exactly the rights they are documented to hold. The test cluster trusts local
// connections, so passwords are set but not what is checked here.

const MLFLOW_INIT = join(workspaceRoot, 'docker/postgres/mlflow-db-init.sh');
const PREDICTION_INIT = join(workspaceRoot, 'docker/postgres/prediction-db-init.sh');
const INFERENCE_MAIN = join(workspaceRoot, 'dist/apps/inference-api/main.js');

let workDir: string;
let postgres: PostgresCluster;
let mlflow: MlflowServer | undefined;

/** A set-up script as the postgres image runs it: as the superuser, psql reaching the server through PG* variables. */
function runSetupScript(script: string, env: NodeJS.ProcessEnv) {
  return runToCompletion('sh', [script], {
    PATH: `${postgres.binDir}:${process.env['PATH']}`,
    PGHOST: '127.0.0.1',
    PGPORT: String(postgres.port),
    POSTGRES_USER: 'postgres',
    ...env,
  });
}

/** One statement as `role`: its rows, or the server's refusal (exit code 1 and the error). */
async function as(role: string, database: string, sql: string): Promise<{ code: number | null; output: string }> {
  const run = await runToCompletion(`${postgres.binDir}/psql`, [
    ...['-h', '127.0.0.1', '-p', String(postgres.port), '-U', role, '-d', database],
    ...['-v', 'ON_ERROR_STOP=1', '-tAc', sql],
  ]);
  return { code: run.code, output: run.output.trim() };
}

beforeAll(async () => {
  const binDir = await ensurePostgresInstalled();
  workDir = mkdtempSync(join(tmpdir(), 'churn-deployment-db-'));
  openToServerUser(workDir);
  postgres = new PostgresCluster(binDir, join(workDir, 'postgres'));
  mkdirSync(postgres.rootDir);
  await postgres.start();
  // A role of the same cluster that no script granted anything.
  await postgres.query('postgres', 'CREATE ROLE outsider LOGIN');
}, 300_000);

afterAll(async () => {
  mlflow?.kill();
  await postgres?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("MLflow's PostgreSQL (docker/postgres/mlflow-db-init.sh)", () => {
  it('refuses to run without the mlflow role’s password, naming the variable', async () => {
    const run = await runSetupScript(MLFLOW_INIT, {});
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('MLFLOW_DB_PASSWORD is required');
    expect(await postgres.query('postgres', "SELECT count(*) FROM pg_roles WHERE rolname = 'mlflow'")).toBe('0');
  });

  it('creates a role that is no superuser and owns the mlflow and mlflow_auth databases, closed to others', async () => {
    const run = await runSetupScript(MLFLOW_INIT, { MLFLOW_DB_PASSWORD: secretFor('mlflow-db') });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    expect(
      await postgres.query(
        'postgres',
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = 'mlflow'",
      ),
    ).toBe('f|f|f|f|f');
    expect(
      await postgres.query(
        'postgres',
        "SELECT datname || ':' || pg_get_userbyid(datdba) FROM pg_database WHERE datname LIKE 'mlflow%' ORDER BY 1",
      ),
    ).toBe('mlflow:mlflow\nmlflow_auth:mlflow');
    expect((await as('outsider', 'mlflow_auth', 'SELECT 1')).output).toContain('permission denied for database');
  });

  it('runs MLflow with basic-auth on it as deployed, and the init step stores users and grants there', async () => {
    const credentials = freshCredentials();
    // The shipped auth config, its host pointed at this cluster: user, database and the rest unchanged.
    const shippedUri = /^database_uri\s*=\s*(\S+)$/m.exec(readFileSync(SHIPPED_AUTH_CONFIG, 'utf8'))?.[1] ?? '';
    expect(shippedUri).toBe('postgresql+psycopg2://mlflow@postgres:5432/mlflow_auth');
    mlflow = await startAuthMlflow(join(workDir, 'mlflow'), credentials.admin, {
      backendStoreUri: `postgresql+psycopg2://mlflow@127.0.0.1:${postgres.port}/mlflow`,
      authDatabaseUri: shippedUri.replace('@postgres:5432/', `@127.0.0.1:${postgres.port}/`),
      pgPassword: secretFor('mlflow-db'),
    });
    const init = await runInit(
      initEnvironment(mlflow.url, credentials, { url: 'http://127.0.0.1:9', secret: secretFor('webhook') }),
    );
    expect({ code: init.code, output: init.output }).toMatchObject({ code: 0 });
    expect(await postgres.query('mlflow_auth', 'SELECT username FROM users ORDER BY username')).toBe(
      ['inference-api', 'mlflow-admin', 'registry-admin', 'training-worker'].join('\n'),
    );
    expect(await postgres.query('mlflow_auth', "SELECT tableowner FROM pg_tables WHERE tablename = 'users'")).toBe(
      'mlflow',
    );
    expect(await postgres.query('mlflow', 'SELECT name FROM experiments ORDER BY name')).toBe(
      ['Default', 'churn', 'churn_model.alias-audit'].join('\n'),
    );
  }, 600_000);
});

describe("the prediction log's PostgreSQL (docker/postgres/prediction-db-init.sh)", () => {
  const database = 'predictions';
  const storeUrl = (role: string, password: string) =>
    `postgres://${role}:${password}@127.0.0.1:${postgres.port}/${database}`;

  beforeAll(async () => {
    await postgres.createDatabase(database);
    const run = await runSetupScript(PREDICTION_INIT, {
      POSTGRES_DB: database,
      PREDICTION_DB_OWNER_PASSWORD: secretFor('owner'),
      PREDICTION_DB_WRITER_PASSWORD: secretFor('writer'),
    });
    if (run.code !== 0) throw new Error(`prediction-db-init.sh exited with ${run.code}:\n${run.output}`);
    // The app's own migration step, as the deployment runs it: inference-api's `migrate-store` as the owner role.
    const migration = await runToCompletion(process.execPath, [INFERENCE_MAIN, 'migrate-store'], {
      INFERENCE_STORE_URL: storeUrl('prediction_owner', secretFor('owner')),
    });
    if (migration.code !== 0) throw new Error(`the owner's migration failed: ${migration.output}`);
    expect(migration.output).toContain('[OK] prediction log schema ready in postgres://prediction_owner:****@');
    expect(migration.output).not.toContain(secretFor('owner'));
  });

  it('gives neither role any superuser or administrative right', async () => {
    expect(
      await postgres.query(
        'postgres',
        "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname LIKE 'prediction_%' ORDER BY 1",
      ),
    ).toBe('prediction_owner|f|f|f|f|f\nprediction_writer|f|f|f|f|f');
  });

  it('owns every table of the log by the owner role, in its own schema', async () => {
    expect(
      await postgres.query(
        database,
        "SELECT schemaname || '.' || tablename || ':' || tableowner FROM pg_tables WHERE tableowner LIKE 'prediction_%' ORDER BY 1",
      ),
    ).toBe(
      [
        'prediction_feedback',
        'prediction_log',
        'prediction_log_rejected',
        'prediction_minute_users',
        'prediction_minutes',
        'prediction_rollup_trims',
      ]
        .map((table) => `prediction_log.${table}:prediction_owner`)
        .join('\n'),
    );
  });

  it('lets the runtime role read, write and delete rows of the migrated tables, unqualified', async () => {
    const rows = await as(
      'prediction_writer',
      database,
      "INSERT INTO prediction_feedback VALUES ('r1', 0, 1, 1), ('r2', 0, 0, 2); UPDATE prediction_feedback SET labelled_at = 3 WHERE request_id = 'r2'; " +
        "DELETE FROM prediction_feedback WHERE labelled_at < 2; SELECT request_id || '@' || labelled_at FROM prediction_feedback",
    );
    expect(rows).toEqual({ code: 0, output: expect.stringMatching(/^r2@3$/m) });
  });

  it("counts the runtime role's deletes from the users rollup through the owner's trigger (retention's trim)", async () => {
    const count = async (sql: string) =>
      as('prediction_writer', database, `${sql}; SELECT 'trims=' || trims FROM prediction_rollup_trims`);
    const before = await count("INSERT INTO prediction_minute_users VALUES ('m', 0.5, 'champion', 0, 'u1')");
    const after = await count('DELETE FROM prediction_minute_users WHERE minute = 0');
    const trims = (result: { output: string }) => Number(/trims=(\d+)/.exec(result.output)?.[1]);
    expect({ before: before.code, after: after.code }).toEqual({ before: 0, after: 0 });
    expect(trims(after)).toBe(trims(before) + 1);
  });

  it("opens inference-api's store as the runtime role: a migrated schema needs no DDL, so none is run", async () => {
    const store = openPredictionStore(storeUrl('prediction_writer', secretFor('writer')));
    try {
      await expect(store.init()).resolves.toBeUndefined();
      // The role may not create anything: had init() tried to, it would have been refused.
      expect((await as('prediction_writer', database, 'CREATE TABLE probe (id INT)')).code).toBe(1);
    } finally {
      await store.close();
    }
  });

  it.each([
    ['create a table', 'CREATE TABLE extra (id INT)', 'permission denied for schema prediction_log'],
    ['create one in public', 'CREATE TABLE public.extra (id INT)', 'permission denied for schema public'],
    ['alter a table', 'ALTER TABLE prediction_log ADD COLUMN extra INT', 'must be owner of table prediction_log'],
    ['drop a table', 'DROP TABLE prediction_log', 'must be owner of table prediction_log'],
    ['create an index', 'CREATE INDEX IF NOT EXISTS extra ON prediction_log (request_id)', 'must be owner of table'],
    ['create a temporary table', 'CREATE TEMP TABLE scratch (id INT)', 'permission denied to create temporary tables'],
  ])('refuses the runtime role to %s', async (_what, sql, refusal) => {
    expect(await as('prediction_writer', database, sql)).toEqual({
      code: 1,
      output: expect.stringContaining(refusal),
    });
  });

  it('keeps other roles out of the database', async () => {
    expect((await as('outsider', database, 'SELECT 1')).output).toContain('permission denied for database');
  });
});
