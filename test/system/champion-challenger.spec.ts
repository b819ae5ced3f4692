import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MlflowClient } from '@churn/mlflow-client';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the test reads the shared store through inference-api's own store class, as another replica would
import {
  openPredictionStore,
  type PredictionStore,
  type StoredPrediction,
} from '../../apps/inference-api/src/app/prediction-log';
import { killGroup, MlflowServer, stopWithThisProcess } from './support/mlflow-server';
import { ensurePostgresInstalled, openToServerUser, PostgresCluster } from './support/postgres-cluster';
import { answers, freePort, runToCompletion, startProcess, workspaceRoot, type TestProcess } from './support/processes';

// Champion/challenger across real processes: one MLflow, two versions trained by the training-worker
// command line, and two built inference-api replicas sharing one prediction store — a SQLite file,
// then Debian's PostgreSQL (started here as the `postgres` user). Every claim of the issue is checked
// through HTTP on both replicas and against the records the replicas wrote.

const MODEL = 'churn_model';
const FEEDBACK_TOKEN = 'champion-challenger-feedback-token';
const ADMIN_TOKEN = 'champion-challenger-admin-token';
const app = (name: string) => join(workspaceRoot, 'dist/apps', name, 'main.js');

interface Prediction {
  status: number;
  variant: string;
  version: string;
  alias: string;
  probability: number;
  prediction: number;
  requestId: string;
  /** The rows of a batch answer. */
  predictions: unknown;
}

/** A customer whose answer differs from user to user (tenure and charges vary with the index). */
function customer(index: number): Record<string, unknown> {
  const tenure = (index * 7) % 72;
  const monthly = 20 + ((index * 13) % 100);
  return {
    gender: index % 2 === 0 ? 'Female' : 'Male',
    SeniorCitizen: index % 5 === 0 ? 1 : 0,
    Partner: index % 3 === 0 ? 'Yes' : 'No',
    Dependents: 'No',
    tenure,
    PhoneService: 'Yes',
    MultipleLines: 'No',
    InternetService: ['DSL', 'Fiber optic', 'No'][index % 3],
    OnlineSecurity: index % 3 === 2 ? 'No internet service' : 'No',
    OnlineBackup: index % 3 === 2 ? 'No internet service' : 'Yes',
    DeviceProtection: index % 3 === 2 ? 'No internet service' : 'No',
    TechSupport: index % 3 === 2 ? 'No internet service' : 'No',
    StreamingTV: index % 3 === 2 ? 'No internet service' : 'Yes',
    StreamingMovies: index % 3 === 2 ? 'No internet service' : 'No',
    Contract: ['Month-to-month', 'One year', 'Two year'][index % 3],
    PaperlessBilling: 'Yes',
    PaymentMethod: 'Electronic check',
    MonthlyCharges: monthly,
    TotalCharges: monthly * Math.max(tenure, 1),
  };
}

/** The split as the contract states it, recomputed here: SHA-256("salt:user"), first 32 bits, mod 10,000, below share × 10,000. */
function expectedVariant(salt: string, userId: string, share: number): 'champion' | 'challenger' {
  const bucket = createHash('sha256').update(`${salt}:${userId}`).digest().readUInt32BE(0) % 10_000;
  return bucket < Math.round(share * 10_000) ? 'challenger' : 'champion';
}

async function predict(url: string, body: Record<string, unknown>): Promise<Prediction> {
  const response = await fetch(`${url}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as {
    variant: string;
    model: { version: string; alias: string };
    probability: number;
    prediction: number;
    request_id: string;
    predictions?: unknown;
  };
  if (response.status !== 200) throw new Error(`${url}/predict answered ${response.status}: ${JSON.stringify(json)}`);
  return {
    status: response.status,
    variant: json.variant,
    version: json.model.version,
    alias: json.model.alias,
    probability: json.probability,
    prediction: json.prediction,
    requestId: json.request_id,
    predictions: json.predictions,
  };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`,
  );
}

interface ReportJson {
  traffic: {
    challenger_share: number | null;
    shadow: boolean;
    salt: string;
    champion_version: string | null;
    challenger_version: string | null;
  };
  sample_ratio_mismatch: {
    checked: boolean;
    mismatch: boolean;
    users: { champion: number; challenger: number };
    p_value: number | null;
    expected_challenger_share: number | null;
  };
  variants: {
    variant: string;
    alias: string;
    version: string;
    count: number;
    labelled: number;
    accuracy: number | null;
    precision: number | null;
    recall: number | null;
    f1: number | null;
    confusion: Record<string, number>;
    shadow: { count: number; agreement_rate: number | null } | null;
  }[];
  comparison: {
    champion: { count: number; labelled: number; accuracy: number | null };
    challenger: { count: number; labelled: number; accuracy: number | null };
  };
  shadow: {
    count: number;
    agreement_rate: number | null;
    mean_difference: number | null;
    mean_abs_difference: number | null;
    max_abs_difference: number | null;
  };
  verdict: string;
}

describe('champion/challenger across two inference-api processes sharing one prediction store', () => {
  let workDir: string;
  let mlflow: MlflowServer;
  let client: MlflowClient;

  beforeAll(async () => {
    for (const name of ['training-worker', 'inference-api']) {
      if (!existsSync(app(name)))
        throw new Error(
          `${app(name)} is missing: build the apps first (the system-test target depends on their builds)`,
        );
    }
    workDir = mkdtempSync(join(tmpdir(), 'churn-ab-'));
    openToServerUser(workDir);
    mlflow = new MlflowServer(await freePort(), join(workDir, 'mlflow'));
    await mlflow.start();
    client = new MlflowClient({ trackingUri: mlflow.url });
    for (const seed of [1, 2]) {
      const run = await runToCompletion(
        process.execPath,
        [
          app('training-worker'),
          'train',
          '--data=libs/churn-pipeline/data/telco-customer-churn.csv',
          `--model-name=${MODEL}`,
          `--seed=${seed}`,
        ],
        {
          MLFLOW_TRACKING_URI: mlflow.url,
        },
      );
      if (run.code !== 0) throw new Error(`train --seed=${seed} exited with ${run.code}:\n${run.output}`);
    }
    for (const [alias, version] of [
      ['production', '1'],
      ['champion', '1'],
      ['challenger', '2'],
    ]) {
      await client.registeredModels.setAlias({ name: MODEL, alias, version });
    }
  }, 600_000);

  afterAll(() => {
    mlflow?.kill();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  async function setTraffic(settings: { share?: number; shadow?: boolean; salt?: string }): Promise<void> {
    if (settings.share !== undefined)
      await client.registeredModels.setTag({
        name: MODEL,
        key: 'traffic.challenger_share',
        value: String(settings.share),
      });
    if (settings.shadow !== undefined)
      await client.registeredModels.setTag({ name: MODEL, key: 'traffic.shadow', value: String(settings.shadow) });
    if (settings.salt !== undefined)
      await client.registeredModels.setTag({ name: MODEL, key: 'traffic.salt', value: settings.salt });
  }

  describe.each([['SQLite'], ['PostgreSQL']])('with a %s store', (backend) => {
    const salt = `experiment-${backend}`;
    let storeUrl: string;
    let postgres: PostgresCluster | undefined;
    let store: PredictionStore;
    const replicas: { name: string; url: string; internalUrl: string; env: NodeJS.ProcessEnv; process: TestProcess }[] =
      [];

    async function startReplica(name: string, extra: NodeJS.ProcessEnv = {}): Promise<void> {
      const port = await freePort();
      const internalPort = await freePort();
      const env: NodeJS.ProcessEnv = {
        MLFLOW_TRACKING_URI: mlflow.url,
        MODEL_NAME: MODEL,
        PORT: String(port),
        INTERNAL_PORT: String(internalPort),
        HOST: '127.0.0.1',
        MODEL_CACHE_DIR: join(workDir, `cache-${backend}-${name}`),
        INFERENCE_STORE_URL: storeUrl,
        INFERENCE_ADMIN_TOKEN: ADMIN_TOKEN,
        FEEDBACK_TOKEN,
        POLL_INTERVAL_MS: '200',
        PREDICTION_LOG_FLUSH_MS: '50',
        REPLICA_ID: name,
        ...extra,
      };
      const started = startProcess(process.execPath, [app('inference-api')], env);
      stopWithThisProcess(started.child.pid as number);
      const replica = {
        name,
        url: `http://127.0.0.1:${port}`,
        internalUrl: `http://127.0.0.1:${internalPort}`,
        env,
        process: started,
      };
      const existing = replicas.findIndex((entry) => entry.name === name);
      if (existing >= 0) replicas[existing] = replica;
      else replicas.push(replica);
      await waitUntil(`${name} to answer`, () => answers(replica.url), 60_000);
    }

    const replica = (name: string) => replicas.find((entry) => entry.name === name) as (typeof replicas)[number];

    /** Both replicas have read these settings (the tags are written one by one) and serve both arms. */
    async function waitForTraffic(share: number, shadow: boolean, expectedSalt = salt): Promise<void> {
      for (const { url, internalUrl } of replicas) {
        await waitUntil(`${url} to apply share ${share}, shadow ${shadow}, salt ${expectedSalt}`, async () => {
          const report = await getJson<ReportJson>(`${internalUrl}/ab/report`);
          const ready = await getJson<{ slots: { alias: string; version: string | null }[] }>(`${url}/ready`);
          const served = new Map(ready.slots.map((slot) => [slot.alias, slot.version]));
          return (
            report.traffic.challenger_share === share &&
            report.traffic.shadow === shadow &&
            report.traffic.salt === expectedSalt &&
            served.get('champion') === '1' &&
            served.get('challenger') === '2'
          );
        });
      }
    }

    /** Waits until the store holds every one of these request ids (writes are batched). */
    async function storedRecords(requestIds: string[]): Promise<Map<string, StoredPrediction>> {
      const wanted = new Set(requestIds);
      let found = new Map<string, StoredPrediction>();
      await waitUntil(`${requestIds.length} predictions in the store`, async () => {
        found = new Map();
        for await (const record of store.predictions({ modelName: MODEL }))
          if (wanted.has(record.requestId)) found.set(record.requestId, record);
        return found.size === wanted.size;
      });
      return found;
    }

    beforeAll(async () => {
      if (backend === 'PostgreSQL') {
        const binDir = await ensurePostgresInstalled();
        postgres = new PostgresCluster(binDir, join(workDir, 'postgres'));
        mkdirSync(postgres.rootDir);
        await postgres.start();
        await postgres.createDatabase('predictions');
        storeUrl = `postgres://postgres@127.0.0.1:${postgres.port}/predictions`;
      } else {
        storeUrl = `sqlite:${join(workDir, 'predictions.db')}`;
      }
      await setTraffic({ share: 0.3, shadow: false, salt });
      await startReplica('replica-a');
      // A shadow queue of one request: the flood test below overflows it on purpose.
      await startReplica('replica-b', { SHADOW_QUEUE_SIZE: '1' });
      await waitForTraffic(0.3, false);
      store = openPredictionStore(storeUrl);
      await store.init();
    }, 600_000);

    afterAll(async () => {
      for (const entry of replicas) killGroup(entry.process.child.pid as number, 'SIGKILL');
      await store?.close();
      await postgres?.stop();
    }, 120_000);

    const users = Array.from({ length: 200 }, (_, index) => `user-${index}`);
    const firstVariants = new Map<string, string>();

    it('gives every user the same variant on both replicas, the one the salted hash names, and production without a user id', async () => {
      for (const [index, user] of users.entries()) {
        const onA = await predict(replica('replica-a').url, { ...customer(index), user_id: user });
        const onB = await predict(replica('replica-b').url, { ...customer(index), user_id: user });
        const expected = expectedVariant(salt, user, 0.3);
        expect([user, onA.variant, onB.variant]).toEqual([user, expected, expected]);
        expect(onA.version).toBe(expected === 'champion' ? '1' : '2');
        expect(onA.probability).toBe(onB.probability);
        firstVariants.set(user, onA.variant);
      }
      const challengers = [...firstVariants.values()].filter((variant) => variant === 'challenger').length;
      // Binomial(200, 0.3): mean 60, sd 6.5; 30…90 is beyond 4.6 sd on either side.
      expect(challengers).toBeGreaterThan(30);
      expect(challengers).toBeLessThan(90);
      const anonymous = await predict(replica('replica-a').url, customer(0));
      expect([anonymous.variant, anonymous.alias, anonymous.version]).toEqual(['production', 'production', '1']);
    });

    it('gives the same variants after a replica restarts', async () => {
      const old = replica('replica-a');
      old.process.signalGroup('SIGTERM');
      await old.process.exited;
      await startReplica('replica-a');
      await waitForTraffic(0.3, false);
      for (const [index, user] of users.entries()) {
        expect([
          user,
          (await predict(replica('replica-a').url, { ...customer(index), user_id: user })).variant,
        ]).toEqual([user, firstVariants.get(user)]);
      }
    });

    it('moves only champion users when the share rises from 0.3 to 0.6', async () => {
      await setTraffic({ share: 0.6 });
      await waitForTraffic(0.6, false);
      let moved = 0;
      for (const [index, user] of users.entries()) {
        const now = (
          await predict(replica(index % 2 === 0 ? 'replica-a' : 'replica-b').url, { ...customer(index), user_id: user })
        ).variant;
        if (firstVariants.get(user) === 'challenger') expect([user, now]).toEqual([user, 'challenger']);
        if (firstVariants.get(user) === 'champion' && now === 'challenger') moved++;
        expect(now).toBe(expectedVariant(salt, user, 0.6));
      }
      // About (0.6 − 0.3) × 200 = 60 users move.
      expect(moved).toBeGreaterThan(30);
    });

    it('hot-swaps the challenger when its alias moves, without a failed request, and keeps each user on their arm', async () => {
      const challengerUsers = users.filter((user) => expectedVariant(salt, user, 0.6) === 'challenger').slice(0, 20);
      const answersDuringMove: Prediction[] = [];
      let moving = true;
      const load = (async () => {
        for (let round = 0; moving; round++) {
          const user = challengerUsers[round % challengerUsers.length];
          answersDuringMove.push(
            await predict(replica(round % 2 === 0 ? 'replica-a' : 'replica-b').url, {
              ...customer(round),
              user_id: user,
            }),
          );
        }
      })();
      for (const version of ['1', '2']) {
        await client.registeredModels.setAlias({ name: MODEL, alias: 'challenger', version });
        for (const { url } of replicas) {
          await waitUntil(
            `${url} to serve challenger v${version}`,
            async () => (await predict(url, { ...customer(0), user_id: challengerUsers[0] })).version === version,
          );
        }
      }
      moving = false;
      await load;
      // predict() throws on any non-200 answer, so reaching here means none failed.
      expect(answersDuringMove.length).toBeGreaterThan(0);
      expect(answersDuringMove.every((answer) => answer.variant === 'challenger')).toBe(true);
      expect(new Set(answersDuringMove.map((answer) => answer.version))).toEqual(new Set(['1', '2']));
    });

    it('in shadow mode answers exactly as before and records the challenger’s score beside the served one', async () => {
      const sample = users.slice(0, 60);
      const before = await Promise.all(
        sample.map((user, index) => predict(replica('replica-a').url, { ...customer(index), user_id: user })),
      );
      await setTraffic({ shadow: true });
      await waitForTraffic(0.6, true);
      const during = await Promise.all(
        sample.map((user, index) => predict(replica('replica-a').url, { ...customer(index), user_id: user })),
      );
      expect(
        during.map(({ variant, version, probability, prediction }) => ({ variant, version, probability, prediction })),
      ).toEqual(
        before.map(({ variant, version, probability, prediction }) => ({ variant, version, probability, prediction })),
      );

      const records = await storedRecords(during.map((answer) => answer.requestId));
      await waitUntil('every shadow score to be recorded', async () => {
        const again = await storedRecords(during.map((answer) => answer.requestId));
        return [...again.values()].every((record) => record.variant === 'challenger' || record.shadow !== null);
      });
      const settled = await storedRecords(during.map((answer) => answer.requestId));
      expect(records.size).toBe(sample.length);
      // What the challenger answers itself for each customer: a user it serves gets v2's probability.
      const challengerUser = users.find((user) => expectedVariant(salt, user, 0.6) === 'challenger') as string;
      for (const [index, answer] of during.entries()) {
        const record = settled.get(answer.requestId) as StoredPrediction;
        expect(record.probability).toBeCloseTo(answer.probability, 6);
        if (answer.variant === 'challenger') {
          expect(record.shadow).toBeNull();
        } else {
          const direct = await predict(replica('replica-b').url, { ...customer(index), user_id: challengerUser });
          expect(record.shadow).toMatchObject({ alias: 'challenger', version: '2', prediction: direct.prediction });
          expect(record.shadow?.probability).toBeCloseTo(direct.probability, 6);
        }
      }
    });

    it('drops (and counts) shadow work beyond its queue without failing or changing any answer', async () => {
      const { url, internalUrl } = replica('replica-b');
      // A champion user: the challenger shadows what the champion serves.
      const user = users.find((candidate) => expectedVariant(salt, candidate, 0.6) === 'champion') as string;
      const batch = { customers: Array.from({ length: 200 }, (_, row) => customer(row)), user_id: user };
      const expected = await predict(url, batch);
      const answers = await Promise.all(Array.from({ length: 40 }, () => predict(url, batch)));
      expect(answers.map((answer) => [answer.status, answer.variant, answer.version, answer.predictions])).toEqual(
        answers.map(() => [200, 'champion', '1', expected.predictions]),
      );
      const metrics = await (await fetch(`${internalUrl}/metrics`)).text();
      const dropped = Number(/inference_shadow_requests_total\{outcome="dropped"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      const scored = Number(/inference_shadow_requests_total\{outcome="scored"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      expect(dropped).toBeGreaterThan(0);
      expect(scored).toBeGreaterThan(0);
    });

    it('joins feedback sent to the replica that did not serve the request, and reports unknown ids', async () => {
      const served = await Promise.all(
        users.slice(0, 20).map((user, index) =>
          predict(replica('replica-a').url, {
            ...customer(index),
            user_id: user,
            request_id: `${backend}-fb-${index}`,
          }),
        ),
      );
      await storedRecords(served.map((answer) => answer.requestId));
      const labels = served.map((answer, index) => ({ request_id: answer.requestId, actual: index % 2 }));
      const unauthorised = await fetch(`${replica('replica-b').internalUrl}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(labels),
      });
      expect(unauthorised.status).toBe(401);
      const response = await fetch(`${replica('replica-b').internalUrl}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${FEEDBACK_TOKEN}` },
        body: JSON.stringify({ labels: [...labels, { request_id: `${backend}-never-served`, actual: 1 }] }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        received: 21,
        joined: 20,
        unknown: [{ request_id: `${backend}-never-served`, row: 0 }],
        expired: [],
      });
      const stored = await storedRecords(served.map((answer) => answer.requestId));
      expect(
        served.map((answer, index) => [
          stored.get(answer.requestId)?.replica,
          stored.get(answer.requestId)?.actual,
          index % 2,
        ]),
      ).toEqual(served.map((_, index) => ['replica-a', index % 2, index % 2]));
    });

    it('reports per variant and version exactly what a hand computation over the stored records gives, on both replicas', async () => {
      // Label every split prediction so far: churned when the probability is high, with every 7th flipped.
      const all: StoredPrediction[] = [];
      for await (const record of store.predictions({ modelName: MODEL })) all.push(record);
      const labels = all.map((record, index) => ({
        request_id: record.requestId,
        row: record.row,
        actual: (record.probability > 0.4 ? 1 : 0) ^ (index % 7 === 0 ? 1 : 0),
      }));
      for (let start = 0; start < labels.length; start += 5000) {
        const response = await fetch(`${replica('replica-a').internalUrl}/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${FEEDBACK_TOKEN}` },
          body: JSON.stringify({ labels: labels.slice(start, start + 5000) }),
        });
        expect(response.status).toBe(200);
      }
      const records: StoredPrediction[] = [];
      for await (const record of store.predictions({ modelName: MODEL })) records.push(record);
      const [fromA, fromB] = await Promise.all(
        replicas.map(({ internalUrl }) => getJson<ReportJson>(`${internalUrl}/ab/report`)),
      );
      expect(fromB.variants).toEqual(fromA.variants);

      const groups = new Map<string, StoredPrediction[]>();
      for (const record of records) {
        const key = `${record.variant}/${record.version}`;
        groups.set(key, [...(groups.get(key) ?? []), record]);
      }
      expect(fromA.variants.map((entry) => `${entry.variant}/${entry.version}`).sort()).toEqual(
        [...groups.keys()].sort(),
      );
      for (const entry of fromA.variants) {
        const group = groups.get(`${entry.variant}/${entry.version}`) as StoredPrediction[];
        const labelled = group.filter((record) => record.actual !== null);
        const tp = labelled.filter((r) => r.prediction === 1 && r.actual === 1).length;
        const fp = labelled.filter((r) => r.prediction === 1 && r.actual === 0).length;
        const tn = labelled.filter((r) => r.prediction === 0 && r.actual === 0).length;
        const fn = labelled.filter((r) => r.prediction === 0 && r.actual === 1).length;
        expect([entry.variant, entry.version, entry.count, entry.labelled]).toEqual([
          entry.variant,
          entry.version,
          group.length,
          labelled.length,
        ]);
        expect(entry.confusion).toEqual({
          true_positives: tp,
          false_positives: fp,
          true_negatives: tn,
          false_negatives: fn,
        });
        expect(entry.accuracy).toBeCloseTo((tp + tn) / labelled.length, 12);
        expect(entry.precision).toBeCloseTo(tp / (tp + fp), 12);
        expect(entry.recall).toBeCloseTo(tp / (tp + fn), 12);
        expect(entry.f1).toBeCloseTo((2 * tp) / (2 * tp + fp + fn), 12);
        const shadowed = group.filter((record) => record.shadow !== null);
        expect(entry.shadow?.count ?? 0).toBe(shadowed.length);
        if (shadowed.length > 0)
          expect(entry.shadow?.agreement_rate).toBeCloseTo(
            shadowed.filter((r) => r.shadow?.prediction === r.prediction).length / shadowed.length,
            12,
          );
      }
      // The sample-ratio check counts distinct users per arm among records split with the current share.
      const usersOf = (variant: string) =>
        new Set(records.filter((r) => r.variant === variant && r.trafficShare === 0.6).map((r) => r.userId)).size;
      expect(fromA.sample_ratio_mismatch).toMatchObject({
        checked: true,
        expected_challenger_share: 0.6,
        users: { champion: usersOf('champion'), challenger: usersOf('challenger') },
      });
    });

    it('flags a sample-ratio mismatch, before any verdict, when the observed split is skewed', async () => {
      const since = Date.now();
      await setTraffic({ share: 0.5, shadow: false, salt: `${salt}-skewed` });
      await waitForTraffic(0.5, false, `${salt}-skewed`);
      // Traffic from challenger users only, as a broken client or a bot would send: 150 of them against 10 champions.
      const skewed = Array.from({ length: 2000 }, (_, index) => `skew-${index}`);
      const challengers = skewed
        .filter((user) => expectedVariant(`${salt}-skewed`, user, 0.5) === 'challenger')
        .slice(0, 150);
      const champions = skewed
        .filter((user) => expectedVariant(`${salt}-skewed`, user, 0.5) === 'champion')
        .slice(0, 10);
      const sent = await Promise.all(
        [...challengers, ...champions].map((user, index) =>
          predict(replica(index % 2 ? 'replica-a' : 'replica-b').url, { ...customer(index), user_id: user }),
        ),
      );
      await storedRecords(sent.map((answer) => answer.requestId));
      const report = await getJson<ReportJson>(`${replica('replica-a').internalUrl}/ab/report?since=${since}`);
      expect(report.sample_ratio_mismatch).toMatchObject({
        checked: true,
        mismatch: true,
        users: { champion: 10, challenger: 150 },
      });
      expect(report.sample_ratio_mismatch.p_value as number).toBeLessThan(0.001);
      expect(report.verdict).toBe('sample_ratio_mismatch');
    });

    it('keeps the prediction log bounded under a flood it cannot write in time: rows beyond its queue are dropped and counted, all others stored', async () => {
      const name = 'replica-flood';
      await startReplica(name, { PREDICTION_LOG_QUEUE_ROWS: '2000' });
      const { url, internalUrl } = replica(name);
      await waitUntil(`${name} to be ready`, async () => (await fetch(`${url}/ready`)).status === 200, 60_000);
      // The writer thread yields the CPU to the request thread: once it has started, exactly one
      // thread of the process runs 10 nicer than the main thread (capped at 19; the test run itself may be niced).
      const pid = replica(name).process.child.pid as number;
      const nicenessOf = (thread: string) => {
        const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
        // Fields after the command name in parentheses start with field 3 (state); niceness is field 19.
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
      };
      const niceness = () => readdirSync(`/proc/${pid}/task`).map(nicenessOf);
      const writerNiceness = Math.min(19, nicenessOf(String(pid)) + 10);
      expect(writerNiceness).toBeGreaterThan(nicenessOf(String(pid)));
      await waitUntil(
        'the log writer thread to lower its priority',
        async () => niceness().includes(writerNiceness),
        30_000,
      );
      expect(niceness().filter((nice) => nice === writerNiceness)).toHaveLength(1);
      // The A/B report's thread (started by the first report) yields to both: it runs at 19.
      expect((await fetch(`${internalUrl}/ab/report`)).status).toBe(200);
      expect(niceness().filter((nice) => nice === 19)).toHaveLength(writerNiceness === 19 ? 2 : 1);
      const batch = { customers: Array.from({ length: 1000 }, (_, row) => customer(row)) };
      let answeredRows = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let request = 0; request < 15; request++) {
            const answer = await predict(url, batch);
            answeredRows += (answer.predictions as unknown[]).length;
          }
        }),
      );
      const counts = { written: 0, dropped: 0, queued: -1 };
      await waitUntil(
        'the log to write or drop every answered row',
        async () => {
          const metrics = await (await fetch(`${internalUrl}/metrics`)).text();
          const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? Number.NaN);
          counts.written = value(/inference_prediction_log_rows_total\{outcome="written"\} (\d+)/);
          counts.dropped = value(/inference_prediction_log_rows_total\{outcome="dropped"\} (\d+)/);
          counts.queued = value(/inference_prediction_log_queued_rows (\d+)/);
          return counts.queued === 0 && counts.written + counts.dropped === answeredRows;
        },
        120_000,
      );
      // 120,000 rows in about a second against a 2,000-row queue: the writer cannot have kept up.
      expect(counts.dropped).toBeGreaterThan(0);
      expect(counts.written).toBeGreaterThan(0);
      let stored = 0;
      for await (const record of store.predictions({ modelName: MODEL })) if (record.replica === name) stored++;
      expect(stored).toBe(counts.written);
      killGroup(replica(name).process.child.pid as number, 'SIGKILL');
      replicas.splice(replicas.indexOf(replica(name)), 1);
    }, 300_000);
  });
});
