import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import Database from 'better-sqlite3';
import * as ts from 'typescript';

import {
  FeaturesJson,
  jsonlText,
  openPredictionStore,
  parsePredictionStoreUrl,
  PredictionStoreConfigError,
  PredictionStoreStateError,
  type PredictionRecord,
  type PredictionStore,
  type StoredPrediction,
} from './index';
import type { SqlTransaction } from './sql-database';
import { SqlPredictionStore } from './sql-prediction-store';
import { SqliteDatabase } from './sqlite-database';

// The SQLite side of the prediction store: how INFERENCE_STORE_URL is read, and one file shared by
// several handles and several processes as replicas on one host share it. The full contract
// (identical answers on SQLite and PostgreSQL) is test/system/prediction-store.spec.ts.

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

function record(requestId: string, row = 0, overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    requestId,
    row,
    receivedAt: T0,
    userId: 'user-1',
    variant: 'champion',
    modelName: 'churn_model',
    alias: 'champion',
    version: '3',
    features: { tenure: 12, Contract: 'Month-to-month', TotalCharges: Number.NaN },
    probability: 0.42,
    prediction: 0,
    latencyMs: 2.5,
    trafficShare: 0.2,
    shadow: { alias: 'challenger', version: '4', probability: 0.61, prediction: 1 },
    replica: 'replica-a',
    ...overrides,
  };
}

/** A SQLite store whose next transaction runs its statements, then fails as a lost COMMIT would (rolled back). */
class CommitFailingSqlite extends SqliteDatabase {
  failNextCommit = false;

  override transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    if (!this.failNextCommit) return super.transaction(work);
    this.failNextCommit = false;
    return super.transaction(async (tx) => {
      await work(tx);
      throw new Error('connection lost at COMMIT');
    });
  }
}

async function readAll(store: PredictionStore): Promise<StoredPrediction[]> {
  const rows: StoredPrediction[] = [];
  for await (const row of store.predictions({ modelName: 'churn_model' }, 50)) rows.push(row);
  return rows;
}

describe('INFERENCE_STORE_URL', () => {
  const cwd = '/srv/inference';

  it.each([
    ['sqlite:/var/lib/inference/predictions.db', '/var/lib/inference/predictions.db'],
    ['sqlite:data/predictions.db', '/srv/inference/data/predictions.db'],
    ['data/predictions.db', '/srv/inference/data/predictions.db'],
    ['/abs/predictions.db', '/abs/predictions.db'],
    ['sqlite::memory:', ':memory:'],
  ])('%s is the SQLite file %s', (url, path) => {
    expect(parsePredictionStoreUrl(url, cwd)).toEqual({ kind: 'sqlite', path, description: `sqlite:${path}` });
  });

  it.each([
    ['postgres://inference:s3cret@db:5432/predictions', 'postgres://inference:****@db:5432/predictions'],
    ['postgresql://inference@db/predictions?sslmode=require', 'postgresql://inference@db/predictions?sslmode=require'],
    [
      'postgresql://db/predictions?user=inference&password=s3cret',
      'postgresql://db/predictions?user=inference&password=****',
    ],
  ])('%s is PostgreSQL, described as %s', (url, description) => {
    expect(parsePredictionStoreUrl(url)).toEqual({ kind: 'postgres', connectionString: url, description });
  });

  it.each([
    ['', 'INFERENCE_STORE_URL is empty'],
    ['mysql://root:s3cret@db/predictions', 'INFERENCE_STORE_URL has the unsupported scheme mysql:'],
    ['sqlite:///predictions.db', 'INFERENCE_STORE_URL uses the ambiguous form sqlite://'],
    ['sqlite:', 'INFERENCE_STORE_URL names no SQLite file'],
    ['postgres://inference:s3cret@db:port/predictions', 'INFERENCE_STORE_URL is not a valid PostgreSQL URL'],
  ])('%j is refused: %s…, without repeating the password', (url, message) => {
    const attempt = () => openPredictionStore(url);
    expect(attempt).toThrow(PredictionStoreConfigError);
    expect(attempt).toThrow(message);
    expect(attempt).not.toThrow('s3cret');
  });
});

describe('the prediction store on one SQLite file', () => {
  let workDir: string;
  const opened: PredictionStore[] = [];

  const open = (url: string) => {
    const store = openPredictionStore(url);
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'prediction-store-'));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Runs `look` on a read-only connection to the file. */
  function inspect<T>(path: string, look: (inspector: Database.Database) => T): T {
    const inspector = new Database(path, { readonly: true });
    try {
      return look(inspector);
    } finally {
      inspector.close();
    }
  }

  it('creates its folder, and runs in WAL mode so that other processes read while one writes', async () => {
    const path = join(workDir, 'nested', 'folder', 'predictions.db');
    const store = open(`sqlite:${path}`);
    expect(store.description).toBe(`sqlite:${path}`);
    await store.init();
    inspect(path, (inspector) => {
      expect(inspector.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(inspector.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()).toEqual([
        { name: 'prediction_feedback' },
        { name: 'prediction_log' },
        { name: 'prediction_log_rejected' },
        { name: 'prediction_minute_users' },
        { name: 'prediction_minutes' },
        { name: 'prediction_rollup_trims' },
      ]);
    });
  });

  it('creates its file with 16 KiB pages, and leaves the page size of a file that exists alone', async () => {
    const created = join(workDir, 'created.db');
    const existing = join(workDir, 'existing.db');
    // Neither SQLite's default nor the store's, so a kept size cannot pass for either.
    const before = new Database(existing);
    before.pragma('page_size = 8192');
    before.exec('CREATE TABLE unrelated (id INTEGER)');
    before.close();
    for (const path of [created, existing]) {
      const store = open(`sqlite:${path}`);
      await store.init();
      expect(await store.insert([record('r')])).toEqual({ duplicates: [] });
      expect((await readAll(store)).map((row) => row.requestId)).toEqual(['r']);
    }
    const pageSize = (path: string) => inspect(path, (inspector) => inspector.pragma('page_size', { simple: true }));
    expect([pageSize(created), pageSize(existing)]).toEqual([16_384, 8192]);
  });

  it('refuses to be used before init() and after close(), with a typed error', async () => {
    const store = open(`sqlite:${join(workDir, 'p.db')}`);
    await expect(store.insert([record('r')])).rejects.toThrow(PredictionStoreStateError);
    await expect(store.insert([record('r')])).rejects.toThrow('is used before init()');
    await store.init();
    await store.close();
    await expect(store.aggregate({ modelName: 'churn_model' })).rejects.toThrow('is closed');
  });

  it('shares one file between two handles: insert through one, feedback through the other, read from either', async () => {
    const url = join(workDir, 'predictions.db');
    const [first, second] = [open(url), open(url)];
    await Promise.all([first.init(), second.init()]);
    await first.insert([record('a'), record('a', 1, { prediction: 1, probability: 0.8 })]);
    const outcome = await second.recordFeedback(
      [
        { requestId: 'a', row: 1, actual: 1 },
        { requestId: 'b', row: 0, actual: 0 },
      ],
      { now: T0 + 1_000, windowMs: 60_000 },
    );
    expect(outcome).toEqual({
      joined: [{ requestId: 'a', row: 1 }],
      unknown: [{ requestId: 'b', row: 0 }],
      expired: [],
    });
    for (const reader of [first, second]) {
      expect((await readAll(reader)).map((r) => [r.requestId, r.row, r.actual])).toEqual([
        ['a', 0, null],
        ['a', 1, 1],
      ]);
    }
    const [row] = await readAll(second);
    expect(row.features).toEqual({ tenure: 12, Contract: 'Month-to-month', TotalCharges: null });
    expect(row.shadow).toEqual({ alias: 'challenger', version: '4', probability: 0.61, prediction: 1 });
  });

  it('writes features made as JSON text (the writer thread’s FeaturesJson) as they are, in rows logged, set aside and shipped', async () => {
    const store = open(join(workDir, 'predictions.db'));
    await store.init();
    // Keys in an order no object keeps ("7" would go first), so the stored text shows it was not rebuilt.
    const text = '{"tenure":12,"7":"Month-to-month","TotalCharges":null}';
    const values = { tenure: 12, 7: 'Month-to-month', TotalCharges: null };
    await store.insert([record('a', 0, { features: new FeaturesJson(text) })]);
    await store.reject([{ record: record('b', 0, { features: new FeaturesJson(text) }), reason: 'a test' }], T0);
    inspect(join(workDir, 'predictions.db'), (inspector) =>
      expect(inspector.prepare('SELECT features FROM prediction_log').pluck().all()).toEqual([text]),
    );
    expect((await readAll(store))[0].features).toEqual(values);
    const [rejection] = await store.rejections();
    expect(JSON.parse(rejection.record).features).toEqual(values);
    expect(JSON.parse(jsonlText(record('c', 0, { features: new FeaturesJson(text) }))).features).toEqual(values);
    // The JSONL line puts the text in as it is, where the plain object's features would be.
    const plain = record('d', 0, { userId: '"features":0 in a user id' });
    const asText = { ...plain, features: new FeaturesJson(JSON.stringify(plain.features)) };
    expect(jsonlText(asText)).toBe(jsonlText(plain));
  });

  it('keeps every row when both handles insert and label at the same time', async () => {
    const url = `sqlite:${join(workDir, 'predictions.db')}`;
    const [first, second] = [open(url), open(url)];
    await Promise.all([first.init(), second.init()]);
    const writes = Array.from({ length: 30 }, (_, batch) => {
      const store = batch % 2 ? first : second;
      const rows = Array.from({ length: 10 }, (_, row) => record(`batch-${batch}`, row));
      return store
        .insert(rows)
        .then(() =>
          store.recordFeedback([{ requestId: `batch-${batch}`, row: 0, actual: 1 }], { now: T0, windowMs: 1 }),
        );
    });
    await Promise.all(writes);
    const rows = await readAll(first);
    expect(rows).toHaveLength(300);
    expect(rows.filter((r) => r.actual === 1)).toHaveLength(30);
  });

  it('forgets the A/B users it remembered once a write fails, and writes them again', async () => {
    const file = join(workDir, 'predictions.db');
    const database = new CommitFailingSqlite(file);
    const store = new SqlPredictionStore('sqlite', `sqlite:${file}`, database);
    opened.push(store);
    await store.init();
    const wholeMinute = { modelName: 'churn_model', trafficShare: 0.2, since: T0, until: T0 + 60_000 };
    await store.insert([record('r1')]);
    // The rollup loses user-1 without a trim being counted, as after a failover to a standby that
    // had not received it; the store learns of trouble only from a failed write.
    const raw = new Database(file);
    try {
      raw.exec('DROP TRIGGER prediction_minute_users_deleted; DELETE FROM prediction_minute_users');
    } finally {
      raw.close();
    }
    database.failNextCommit = true;
    const failure = await store.insert([record('r2', 0, { userId: 'user-2' })]).then(
      () => 'resolved',
      (error: unknown) => (error as Error).message,
    );
    expect(failure).toBe('connection lost at COMMIT');
    await store.insert([record('r3')]);
    expect(await store.assignments(wholeMinute)).toEqual({ champion: 1, challenger: 0 });
  });

  it('is shared by two processes that start, create the schema and insert at the same time', async () => {
    const compiled = compileStoreForChildProcesses(join(workDir, 'compiled'));
    const url = `sqlite:${join(workDir, 'shared', 'predictions.db')}`;
    const replicas = ['replica-a', 'replica-b'].map((replica) => runReplica(compiled, url, replica));
    const results = await Promise.all(replicas);
    expect(results).toEqual([0, 0]);
    const reader = open(url);
    await reader.init();
    const rows = await readAll(reader);
    expect(rows).toHaveLength(2 * REPLICA_BATCHES * REPLICA_ROWS);
    expect(new Set(rows.map((r) => r.replica))).toEqual(new Set(['replica-a', 'replica-b']));
  });
});

const REPLICA_BATCHES = 20;
const REPLICA_ROWS = 10;

/**
 * This folder's modules as CommonJS in `outDir` (TypeScript's own transpiler), so that plain Node
 * processes can load the store: Jest's transform does not reach child processes.
 */
function compileStoreForChildProcesses(outDir: string): string {
  // This folder, and the one file below it that the store loads at run time (its URL grammar).
  const sources = [
    ...readdirSync(__dirname)
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
      .map((name) => join('prediction-log', name)),
    join('config', 'prediction-store-url.ts'),
  ];
  for (const source of sources) {
    const { outputText } = ts.transpileModule(readFileSync(join(__dirname, '..', source), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const target = join(outDir, source.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  const replicaScript = join(outDir, 'prediction-log', 'replica.js');
  writeFileSync(
    replicaScript,
    `const { openPredictionStore } = require('./index.js');
const [url, replica, batches, rows, receivedAt] = process.argv.slice(2);
(async () => {
  const store = openPredictionStore(url);
  await store.init();
  for (let batch = 0; batch < Number(batches); batch++) {
    await store.insert(Array.from({ length: Number(rows) }, (_, row) => ({
      requestId: replica + '-' + batch, row, receivedAt: Number(receivedAt), userId: null, variant: 'production',
      modelName: 'churn_model', alias: 'production', version: '1', features: {}, probability: 0.5, prediction: 1,
      latencyMs: 1, trafficShare: null, shadow: null, replica,
    })));
  }
  await store.close();
})().catch((error) => { console.error(error); process.exit(1); });
`,
  );
  return replicaScript;
}

function runReplica(script: string, url: string, replica: string): Promise<number | null> {
  // The compiled files live outside the workspace; NODE_PATH lets them find its node_modules.
  const nodeModules = resolve(__dirname, '../../../../../node_modules');
  if (!existsSync(join(nodeModules, 'better-sqlite3')))
    throw new Error(`better-sqlite3 is not installed under ${nodeModules}`);
  return new Promise((resolveExit, reject) => {
    const child = fork(script, [url, replica, String(REPLICA_BATCHES), String(REPLICA_ROWS), String(T0)], {
      env: { ...process.env, NODE_PATH: nodeModules },
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) => resolveExit(code));
  });
}
