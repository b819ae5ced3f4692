import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';

import Database from 'better-sqlite3';
import { Client } from 'pg';

// The store is inference-api's own code, not a lib with an alias; this suite tests it against the
// real PostgreSQL server the system-test project knows how to start.
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  openPredictionStore,
  PredictionLogWriter,
  PredictionStoreInputError,
  type FeedbackLabel,
  type PredictionRecord,
  type PredictionStore,
  type StoredPrediction,
  type Variant,
  type VariantAggregate,
} from '../../apps/inference-api/src/app/prediction-log';
// eslint-disable-next-line @nx/enforce-module-boundaries -- as above: the report reader is inference-api's own code
import {
  PredictionReportReader,
  readReport,
  type ReportQuery,
} from '../../apps/inference-api/src/app/prediction-log/prediction-report-reader';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the thread script inference-api's own tests start the report thread from
import { writeThreadScript } from '../../apps/inference-api/test/support/thread-script';
import { ensurePostgresInstalled, openToServerUser, PostgresCluster } from './support/postgres-cluster';

// inference-api's prediction store, one contract run against both backends it supports: a SQLite
// file (one host) and Debian's PostgreSQL server (several replicas), started here as the
// `postgres` user. Every assertion is the same for both, so the two answer identically. Each test
// gets an empty database and two store handles on it, standing for two replicas.

/** Makes an empty database and returns the INFERENCE_STORE_URL that names it. */
type FreshDatabase = () => Promise<string>;

const MODEL = 'churn_model';
const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const MINUTE = 60_000;

/**
 * Sums of a few dozen probabilities in a different order (SQL engines choose theirs) differ by a
 * few units in the last place: 1e-12 is far above that and far below any difference that matters.
 */
const SUM_TOLERANCE = 1e-12;

function record(overrides: Partial<PredictionRecord> & Pick<PredictionRecord, 'requestId'>): PredictionRecord {
  return {
    row: 0,
    receivedAt: T0,
    userId: null,
    variant: 'production',
    modelName: MODEL,
    alias: 'production',
    version: '1',
    features: { tenure: 12, Contract: 'Month-to-month', TotalCharges: null },
    probability: 0.25,
    prediction: 0,
    latencyMs: 1.5,
    trafficShare: null,
    shadow: null,
    replica: 'replica-a',
    ...overrides,
  };
}

/**
 * An A/B experiment in miniature, varied enough that every aggregate column has something to
 * count: production, champion v1 and challenger v2 (and a challenger v3 after a promotion), with
 * and without users, shadow results on part of the champion traffic, shares 0.25 and then 0.5.
 */
function experiment(): PredictionRecord[] {
  const records: PredictionRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const variant: Variant = i % 5 === 0 ? 'production' : i % 5 <= 2 ? 'champion' : 'challenger';
    const version = variant === 'production' ? '1' : variant === 'champion' ? '1' : i < 30 ? '2' : '3';
    const probability = ((i * 37) % 100) / 100 + 0.005;
    const withShadow = variant === 'champion' && i % 3 !== 0;
    const shadowProbability = Math.min(0.999, Math.abs(probability + (((i * 13) % 21) - 10) / 40));
    records.push(
      record({
        requestId: `req-${String(i).padStart(3, '0')}`,
        row: 0,
        receivedAt: T0 + i * MINUTE,
        userId: variant === 'production' ? null : `user-${i % 11}`,
        variant,
        alias: variant,
        version,
        features: {
          tenure: i,
          Contract: i % 2 ? 'One year' : 'Two year',
          TotalCharges: i % 7 === 0 ? Number.NaN : i * 10.5,
        },
        probability,
        prediction: probability >= 0.5 ? 1 : 0,
        latencyMs: 0.5 + i / 10,
        trafficShare: variant === 'production' ? null : i < 20 ? 0.25 : 0.5,
        shadow: withShadow
          ? {
              alias: 'challenger',
              version: '2',
              probability: shadowProbability,
              prediction: shadowProbability >= 0.5 ? 1 : 0,
            }
          : null,
        replica: i % 2 ? 'replica-a' : 'replica-b',
      }),
    );
    // A batch: request 10 has three rows.
    if (i === 10)
      for (const row of [1, 2])
        records.push({ ...records[records.length - 1], row, probability: 0.6 + row / 10, prediction: 1, shadow: null });
  }
  return records;
}

/** Ground truth for most rows: every third row churned, every seventh has no label. */
function labelsFor(records: readonly PredictionRecord[]): FeedbackLabel[] {
  return records
    .filter((_, index) => index % 7 !== 3)
    .map((r, index) => ({ requestId: r.requestId, row: r.row, actual: index % 3 === 0 ? 1 : 0 }));
}

/** The aggregate computed in plain TypeScript, straight from the records and labels. */
function handAggregate(records: readonly PredictionRecord[], labels: readonly FeedbackLabel[]): VariantAggregate[] {
  const actual = new Map(labels.map((label) => [`${label.requestId}#${label.row}`, label.actual]));
  const groups = new Map<string, VariantAggregate>();
  for (const r of records) {
    const key = [r.variant, r.alias, r.version].join('\u0000');
    const group =
      groups.get(key) ??
      ({
        variant: r.variant,
        alias: r.alias,
        version: r.version,
        count: 0,
        labelled: 0,
        truePositives: 0,
        falsePositives: 0,
        trueNegatives: 0,
        falseNegatives: 0,
        shadowCount: 0,
        shadowAgreements: 0,
        shadowDifferenceSum: 0,
        shadowAbsDifferenceSum: 0,
        shadowAbsDifferenceMax: null,
      } satisfies VariantAggregate);
    groups.set(key, group);
    group.count++;
    const truth = actual.get(`${r.requestId}#${r.row}`);
    if (truth !== undefined) {
      group.labelled++;
      if (truth === 1 && r.prediction === 1) group.truePositives++;
      if (truth === 0 && r.prediction === 1) group.falsePositives++;
      if (truth === 0 && r.prediction === 0) group.trueNegatives++;
      if (truth === 1 && r.prediction === 0) group.falseNegatives++;
    }
    if (r.shadow) {
      const difference = r.shadow.probability - r.probability;
      group.shadowCount++;
      if (r.shadow.prediction === r.prediction) group.shadowAgreements++;
      group.shadowDifferenceSum += difference;
      group.shadowAbsDifferenceSum += Math.abs(difference);
      group.shadowAbsDifferenceMax = Math.max(group.shadowAbsDifferenceMax ?? 0, Math.abs(difference));
    }
  }
  return [...groups.values()].sort((a, b) =>
    [a.variant, a.alias, a.version].join('\u0000') < [b.variant, b.alias, b.version].join('\u0000') ? -1 : 1,
  );
}

/** Compares the aggregates field by field, sums within {@link SUM_TOLERANCE}, printing what differs. */
function expectAggregatesToMatch(actual: readonly VariantAggregate[], expected: readonly VariantAggregate[]): void {
  expect(actual.map((g) => `${g.variant}/${g.alias}/v${g.version}`)).toEqual(
    expected.map((g) => `${g.variant}/${g.alias}/v${g.version}`),
  );
  const mismatches: string[] = [];
  actual.forEach((group, index) => {
    for (const [field, want] of Object.entries(expected[index]) as [keyof VariantAggregate, unknown][]) {
      const got = group[field];
      if (typeof want === 'number' && typeof got === 'number' && !Number.isInteger(want)) {
        const difference = Math.abs(got - want);
        if (!(difference <= SUM_TOLERANCE))
          mismatches.push(
            `${group.variant}/v${group.version}.${field}: actual ${got}, expected ${want}, difference ${difference}, tolerance ${SUM_TOLERANCE}`,
          );
      } else if (got !== want) {
        mismatches.push(`${group.variant}/v${group.version}.${field}: actual ${String(got)}, expected ${String(want)}`);
      }
    }
  });
  expect(mismatches).toEqual([]);
}

async function readAll(
  store: PredictionStore,
  query: Parameters<PredictionStore['predictions']>[0],
  pageSize?: number,
): Promise<StoredPrediction[]> {
  const rows: StoredPrediction[] = [];
  for await (const row of store.predictions(query, pageSize)) rows.push(row);
  return rows;
}

/** What a stored row should read back as: the record, NaN features as null, and its label. */
function asStored(r: PredictionRecord, label?: { actual: 0 | 1; labelledAt: number }): StoredPrediction {
  return {
    ...r,
    features: JSON.parse(JSON.stringify(r.features)),
    actual: label?.actual ?? null,
    labelledAt: label?.labelledAt ?? null,
  };
}

/** A fixed-seed generator (mulberry32), so that a failing window can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Rows at random milliseconds over eight minutes: every variant, two shares, users, shadows. */
function scatteredTraffic(random: () => number, count: number): PredictionRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const variant = (['production', 'champion', 'challenger'] as const)[Math.floor(random() * 3)];
    const probability = random();
    const shadowProbability = random();
    return record({
      requestId: `scattered-${String(i).padStart(4, '0')}`,
      receivedAt: T0 + Math.floor(random() * 8 * MINUTE),
      userId: random() < 0.1 ? null : `user-${Math.floor(random() * 40)}`,
      variant,
      alias: variant,
      version: random() < 0.5 ? '1' : '2',
      probability,
      prediction: probability >= 0.5 ? 1 : 0,
      trafficShare: variant === 'production' ? null : random() < 0.7 ? 0.5 : 0.25,
      shadow:
        random() < 0.3
          ? {
              alias: 'challenger',
              version: '2',
              probability: shadowProbability,
              prediction: shadowProbability >= 0.5 ? 1 : 0,
            }
          : null,
    });
  });
}

/** Distinct users per A/B side among `records` routed with `share`, counted by hand. */
function handAssignments(
  records: readonly PredictionRecord[],
  share: number,
): { champion: number; challenger: number } {
  const users = (variant: Variant) =>
    new Set(
      records
        .filter((r) => r.variant === variant && r.trafficShare === share && r.userId !== null)
        .map((r) => r.userId),
    ).size;
  return { champion: users('champion'), challenger: users('challenger') };
}

const within = (records: readonly PredictionRecord[], since?: number, until?: number) =>
  records.filter(
    (r) => (since === undefined || r.receivedAt >= since) && (until === undefined || r.receivedAt < until),
  );

/** Empties the rollup tables behind the store's back, as a store created by an earlier release would have them. */
async function emptyRollups(url: string): Promise<void> {
  const statements = ['DELETE FROM prediction_minutes', 'DELETE FROM prediction_minute_users'];
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length));
    try {
      for (const statement of statements) db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

const byKey = (a: PredictionRecord, b: PredictionRecord) =>
  a.receivedAt - b.receivedAt || (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0) || a.row - b.row;

function predictionStoreContract(backend: 'sqlite' | 'postgres', freshDatabase: () => FreshDatabase): void {
  describe(`the prediction store on ${backend}`, () => {
    let replicaA: PredictionStore;
    let replicaB: PredictionStore;
    let url: string;

    beforeEach(async () => {
      url = await freshDatabase()();
      replicaA = openPredictionStore(url);
      replicaB = openPredictionStore(url);
      // Two replicas starting together create the schema once, without failing each other.
      await Promise.all([replicaA.init(), replicaB.init()]);
    });

    afterEach(async () => {
      await replicaA?.close();
      await replicaB?.close();
    });

    it('says which backend it is, and init() again is harmless', async () => {
      expect([replicaA.kind, replicaB.kind]).toEqual([backend, backend]);
      await replicaA.init();
      expect(await readAll(replicaA, { modelName: MODEL })).toEqual([]);
    });

    it('reads back every field of what either replica wrote, in key order, page by page and by time range', async () => {
      const records = experiment();
      const shuffled = [...records].reverse();
      await replicaA.insert(shuffled.slice(0, 20));
      await replicaB.insert(shuffled.slice(20));
      await replicaB.insert([record({ requestId: 'other-model', modelName: 'another_model' })]);

      const expected = [...records].sort(byKey).map((r) => asStored(r));
      expect(await readAll(replicaA, { modelName: MODEL })).toEqual(expected);
      expect(await readAll(replicaB, { modelName: MODEL }, 3)).toEqual(expected);
      expect(await readAll(replicaB, { modelName: MODEL }, 1)).toEqual(expected);
      expect(expected.find((r) => r.requestId === 'req-000')?.features).toEqual({
        tenure: 0,
        Contract: 'Two year',
        TotalCharges: null,
      });

      const since = T0 + 10 * MINUTE;
      const until = T0 + 25 * MINUTE;
      const inRange = expected.filter((r) => r.receivedAt >= since && r.receivedAt < until);
      expect(inRange).toHaveLength(17);
      expect(await readAll(replicaA, { modelName: MODEL, since, until }, 4)).toEqual(inRange);
      expect(await readAll(replicaA, { modelName: MODEL, since: until })).toEqual(
        expected.filter((r) => r.receivedAt >= until),
      );
      expect(await readAll(replicaA, { modelName: 'another_model' })).toHaveLength(1);
    });

    it('ignores a re-inserted key, so a retried write does not duplicate or change a prediction, and returns a different one as a duplicate', async () => {
      const original = record({ requestId: 'retried', probability: 0.7, prediction: 1 });
      expect(await replicaA.insert([original])).toEqual({ duplicates: [] });
      expect(await replicaA.insert([original])).toEqual({ duplicates: [] });
      const other = { ...original, probability: 0.1, prediction: 0 as const, replica: 'replica-b' };
      expect(await replicaB.insert([other, record({ requestId: 'retried', row: 1 })])).toEqual({ duplicates: [other] });
      expect(await readAll(replicaA, { modelName: MODEL })).toEqual([
        asStored(original),
        asStored(record({ requestId: 'retried', row: 1 })),
      ]);
    });

    it('keeps concurrent inserts from both replicas, and refuses an invalid batch as a whole', async () => {
      const batches = Array.from({ length: 20 }, (_, batch) =>
        Array.from({ length: 25 }, (_, row) => record({ requestId: `batch-${batch}`, row, receivedAt: T0 + batch })),
      );
      await Promise.all(batches.map((batch, index) => (index % 2 ? replicaA : replicaB).insert(batch)));
      expect(await readAll(replicaA, { modelName: MODEL }, 128)).toHaveLength(500);

      const invalid = [record({ requestId: 'fine' }), record({ requestId: 'broken', probability: Number.NaN })];
      await expect(replicaA.insert(invalid)).rejects.toThrow(PredictionStoreInputError);
      await expect(replicaA.insert(invalid)).rejects.toThrow(
        'records[1] (request broken, row 0).probability: must be a finite number, got NaN',
      );
      expect((await readAll(replicaB, { modelName: MODEL })).filter((r) => r.requestId === 'fine')).toEqual([]);
      await replicaA.insert([]);
    });

    it('joins feedback sent to the other replica, reports unknown ids, refuses expired ones, and the last label wins', async () => {
      const windowMs = 60 * MINUTE;
      const now = T0 + 2 * windowMs;
      const fresh = record({ requestId: 'fresh', receivedAt: now - windowMs });
      const stale = record({ requestId: 'stale', receivedAt: now - windowMs - 1 });
      await replicaA.insert([fresh, stale]);

      expect(await replicaB.recordFeedback([], { now, windowMs })).toEqual({ joined: [], unknown: [], expired: [] });
      const outcome = await replicaB.recordFeedback(
        [
          { requestId: 'fresh', row: 0, actual: 0 },
          { requestId: 'stale', row: 0, actual: 1 },
          { requestId: 'early', row: 0, actual: 1 },
          { requestId: 'fresh', row: 1, actual: 1 },
        ],
        { now, windowMs },
      );
      expect(outcome).toEqual({
        joined: [{ requestId: 'fresh', row: 0 }],
        unknown: [
          { requestId: 'early', row: 0 },
          { requestId: 'fresh', row: 1 },
        ],
        expired: [{ requestId: 'stale', row: 0 }],
      });
      expect(
        await replicaB.recordFeedback([{ requestId: 'fresh', row: 0, actual: 1 }], {
          now: now + 5,
          windowMs: windowMs + 5,
        }),
      ).toEqual({ joined: [{ requestId: 'fresh', row: 0 }], unknown: [], expired: [] });

      // The early label was kept: its prediction's batched write lands after it and joins it.
      const early = record({ requestId: 'early', receivedAt: now - 10 });
      await replicaB.insert([early]);
      expect(await readAll(replicaA, { modelName: MODEL })).toEqual(
        [
          asStored(stale),
          asStored(fresh, { actual: 1, labelledAt: now + 5 }),
          asStored(early, { actual: 1, labelledAt: now }),
        ].sort(byKey),
      );
    });

    it('aggregates per variant and version as a hand computation over the same records does', async () => {
      const records = experiment();
      const labels = labelsFor(records);
      await replicaA.insert(records.filter((_, index) => index % 2 === 0));
      await replicaB.insert(records.filter((_, index) => index % 2 === 1));
      const outcome = await replicaA.recordFeedback(labels, { now: T0 + 60 * MINUTE, windowMs: 24 * 60 * MINUTE });
      expect(outcome.joined).toHaveLength(labels.length);

      const expected = handAggregate(records, labels);
      expect(
        expected.map(
          (g) => `${g.variant}/v${g.version}: ${g.count} rows, ${g.labelled} labelled, ${g.shadowCount} shadowed`,
        ),
      ).toEqual([
        'challenger/v2: 12 rows, 10 labelled, 0 shadowed',
        'challenger/v3: 4 rows, 4 labelled, 0 shadowed',
        'champion/v1: 16 rows, 14 labelled, 11 shadowed',
        'production/v1: 10 rows, 8 labelled, 0 shadowed',
      ]);
      expectAggregatesToMatch(await replicaA.aggregate({ modelName: MODEL }), expected);
      expectAggregatesToMatch(await replicaB.aggregate({ modelName: MODEL }), expected);

      const since = T0 + 20 * MINUTE;
      expectAggregatesToMatch(
        await replicaB.aggregate({ modelName: MODEL, since }),
        handAggregate(
          records.filter((r) => r.receivedAt >= since),
          labels,
        ),
      );
      expect(await replicaB.aggregate({ modelName: 'another_model' })).toEqual([]);
    });

    it('counts distinct users per side among rows routed with a given share', async () => {
      const records = experiment();
      await replicaA.insert(records);
      const distinct = (variant: Variant, share: number) =>
        new Set(records.filter((r) => r.variant === variant && r.trafficShare === share).map((r) => r.userId)).size;
      for (const share of [0.25, 0.5]) {
        expect(await replicaB.assignments({ modelName: MODEL, trafficShare: share })).toEqual({
          champion: distinct('champion', share),
          challenger: distinct('challenger', share),
        });
      }
      expect(await replicaB.assignments({ modelName: MODEL, trafficShare: 0.25 })).toEqual({
        champion: 6,
        challenger: 6,
      });
      expect(await replicaB.assignments({ modelName: MODEL, trafficShare: 0.1 })).toEqual({
        champion: 0,
        challenger: 0,
      });
      expect(await replicaB.assignments({ modelName: MODEL, trafficShare: 0.5, until: T0 + 25 * MINUTE })).toEqual({
        champion: 2,
        challenger: 2,
      });
    });

    it('counts a user again in a minute retention cut into, though the writer remembered it there', async () => {
      const ab = (requestId: string, second: number, userId: string) =>
        record({
          requestId,
          receivedAt: T0 + second * 1_000,
          userId,
          variant: 'champion',
          alias: 'champion',
          trafficShare: 0.5,
        });
      const wholeMinute = { modelName: MODEL, trafficShare: 0.5, since: T0, until: T0 + MINUTE };
      await replicaA.insert([ab('a-1', 1, 'user-1'), ab('a-2', 2, 'user-2')]);
      // Seen again before any trim: still one user each.
      await replicaA.insert([ab('a-3', 3, 'user-1')]);
      expect(await replicaB.assignments(wholeMinute)).toEqual({ champion: 2, challenger: 0 });
      // The size bound keeps the newest row only (a-3): minute T0 is recounted from it, without user-2.
      await replicaB.applyRetention({ cutoff: T0 - MINUTE, maxRows: 1, batchRows: 10 });
      expect(await replicaB.assignments(wholeMinute)).toEqual({ champion: 1, challenger: 0 });
      // user-2 comes back in the same minute: replica A must write it again.
      await replicaA.insert([ab('a-4', 4, 'user-2'), ab('a-5', 5, 'user-1')]);
      expect(await replicaB.assignments(wholeMinute)).toEqual({ champion: 2, challenger: 0 });
      // Rollup rows deleted by anything else (an earlier release's retention, a hand-run DELETE)
      // count as a trim too: emptied behind the store's back, the users are written again.
      await emptyRollups(url);
      await replicaA.insert([ab('a-6', 6, 'user-1')]);
      expect(await replicaB.assignments(wholeMinute)).toEqual({ champion: 1, challenger: 0 });
    });

    it('answers any window from per-minute rollups and raw edges as a hand computation does, after retention too', async () => {
      const random = seededRandom(17);
      const records = scatteredTraffic(random, 300);
      for (let start = 0; start < records.length; start += 37)
        await (start % 2 ? replicaA : replicaB).insert(records.slice(start, start + 37));
      // A retried batch adds nothing.
      expect(await replicaA.insert(records.slice(0, 37))).toEqual({ duplicates: [] });
      const labels = labelsFor(records);
      await replicaB.recordFeedback(labels, { now: T0 + 10 * MINUTE, windowMs: 60 * MINUTE });

      const windows: [number | undefined, number | undefined][] = [
        [undefined, undefined],
        [T0 + MINUTE, T0 + 5 * MINUTE], // whole minutes only
        [T0 + 61_234, T0 + 61_999], // inside one minute
        [T0 + 59_999, T0 + 120_001], // one millisecond past each edge
        [undefined, T0 + 150_000],
        [T0 + 150_000, undefined],
      ];
      for (let i = 0; i < 20; i++) {
        const since = random() < 0.15 ? undefined : T0 - MINUTE + Math.floor(random() * 10 * MINUTE);
        const until = random() < 0.15 ? undefined : (since ?? T0) + 1 + Math.floor(random() * 6 * MINUTE);
        windows.push([since, until]);
      }
      // Bounds on a row's own millisecond: since includes it, until excludes it.
      const times = records.map((r) => r.receivedAt).sort((x, y) => x - y);
      for (let i = 0; i < 8; i++) windows.push([times[10 + i * 25], times[90 + i * 25]]);
      const check = async (kept: readonly PredictionRecord[]) => {
        for (const [since, until] of windows) {
          const query = { modelName: MODEL, since, until };
          const inWindow = within(kept, since, until);
          expectAggregatesToMatch(await replicaA.aggregate(query), handAggregate(inWindow, labels));
          for (const share of [0.5, 0.25])
            expect({
              since,
              until,
              share,
              users: await replicaB.assignments({ ...query, trafficShare: share }),
            }).toEqual({
              since,
              until,
              share,
              users: handAssignments(inWindow, share),
            });
        }
      };
      await check(records);

      // Retention cutting a minute in two, by age and then by size.
      const cutoff = T0 + 3 * MINUTE + 30_123;
      await replicaB.applyRetention({ cutoff, maxRows: 0, batchRows: 50 });
      const young = records.filter((r) => r.receivedAt >= cutoff);
      await check(young);
      await replicaA.applyRetention({ cutoff, maxRows: 60, batchRows: 7 });
      await check([...young].sort(byKey).slice(-60));
    });

    it('fills empty rollups from the predictions already logged when the schema is migrated', async () => {
      const records = scatteredTraffic(seededRandom(5), 120);
      await replicaA.insert(records);
      const before = await replicaB.aggregate({ modelName: MODEL, since: T0 + MINUTE });
      await emptyRollups(url);
      expect(await replicaB.aggregate({ modelName: MODEL, since: T0 + MINUTE })).not.toEqual(before);
      await replicaB.migrate();
      expectAggregatesToMatch(await replicaB.aggregate({ modelName: MODEL, since: T0 + MINUTE }), before);
      expect(await replicaA.assignments({ modelName: MODEL, trafficShare: 0.5 })).toEqual(
        handAssignments(records, 0.5),
      );
      // Once filled, a second migration adds nothing.
      await replicaA.migrate();
      expectAggregatesToMatch(await replicaB.aggregate({ modelName: MODEL }), handAggregate(records, []));
    });

    it('deletes predictions received before the cutoff and orphaned labels older than it', async () => {
      const windowMs = 24 * 60 * MINUTE;
      await replicaA.insert([
        record({ requestId: 'old', receivedAt: T0 }),
        record({ requestId: 'kept', receivedAt: T0 + 10 * MINUTE }),
      ]);
      await replicaA.recordFeedback(
        [
          { requestId: 'old', row: 0, actual: 1 },
          { requestId: 'kept', row: 0, actual: 0 },
          { requestId: 'never-logged', row: 0, actual: 1 },
        ],
        { now: T0 + MINUTE, windowMs },
      );
      await replicaA.recordFeedback([{ requestId: 'never-logged-recent', row: 0, actual: 1 }], {
        now: T0 + 20 * MINUTE,
        windowMs,
      });

      const retention = (cutoff: number) => ({ cutoff, maxRows: 0, batchRows: 1 });
      expect(await replicaB.applyRetention(retention(T0 + 5 * MINUTE))).toEqual({
        predictions: 1,
        feedback: 2,
        rejected: 0,
      });
      expect(await readAll(replicaA, { modelName: MODEL })).toEqual([
        asStored(record({ requestId: 'kept', receivedAt: T0 + 10 * MINUTE }), { actual: 0, labelledAt: T0 + MINUTE }),
      ]);
      expect(await replicaB.applyRetention(retention(T0 + 5 * MINUTE))).toEqual({
        predictions: 0,
        feedback: 0,
        rejected: 0,
      });
      // The label of a prediction that arrives after all still joins it.
      await replicaB.insert([record({ requestId: 'never-logged-recent', receivedAt: T0 + 15 * MINUTE })]);
      expect((await readAll(replicaA, { modelName: MODEL })).map((r) => [r.requestId, r.actual])).toEqual([
        ['kept', 0],
        ['never-logged-recent', 1],
      ]);
      expect(await replicaB.applyRetention(retention(T0 + 60 * MINUTE))).toEqual({
        predictions: 2,
        feedback: 2,
        rejected: 0,
      });
    });

    it('bounds the log by size as well: the oldest rows beyond maxRows go, in batches, and rejected rows too', async () => {
      await replicaA.insert(
        Array.from({ length: 23 }, (_, i) =>
          record({ requestId: `r-${String(i).padStart(2, '0')}`, receivedAt: T0 + i }),
        ),
      );
      await replicaA.reject(
        Array.from({ length: 4 }, (_, i) => ({ record: record({ requestId: `bad-${i}` }), reason: 'test' })),
        T0,
      );
      await replicaA.reject([{ record: record({ requestId: 'bad-new' }), reason: 'test' }], T0 + MINUTE);
      expect(await replicaB.applyRetention({ cutoff: T0 - 1, maxRows: 10, batchRows: 4 })).toEqual({
        predictions: 13,
        feedback: 0,
        rejected: 0,
      });
      expect((await readAll(replicaA, { modelName: MODEL })).map((r) => r.requestId)).toEqual(
        Array.from({ length: 10 }, (_, i) => `r-${13 + i}`),
      );
      // Rejected rows: the newest maxRows kept (rows set aside at one time go together).
      expect(await replicaB.applyRetention({ cutoff: T0 - 1, maxRows: 1, batchRows: 4 })).toMatchObject({
        rejected: 4,
      });
      expect((await replicaA.rejections()).map((r) => r.requestId)).toEqual(['bad-new']);
    });

    it('takes every poison row aside through the log writer, writing every good row around it', async () => {
      const poison: [string, Partial<PredictionRecord>][] = [
        // A float32 overflow (1e39) scored to NaN, as in issue #17.
        ['nan-probability', { probability: Number.NaN }],
        ['infinite-latency', { latencyMs: Number.POSITIVE_INFINITY }],
        ['nul-user', { userId: 'user\u0000' }],
        ['nul-in-\u0000-request-id', {}],
        ['bell-version', { version: '1\u0007' }],
        ['nul-replica', { replica: 'replica\u0000a' }],
        ['nan-shadow', { shadow: { alias: 'challenger', version: '2', probability: Number.NaN, prediction: 1 } }],
        ['bigint-feature', { features: { tenure: 10n as unknown as number } }],
      ];
      const writer = new PredictionLogWriter({
        store: replicaA,
        queueCapacity: 1000,
        batchSize: 7,
        flushIntervalMs: 60_000,
      });
      const good: string[] = [];
      poison.forEach(([requestId, overrides], index) => {
        good.push(`good-${index}`);
        writer.enqueue([record({ requestId: `good-${index}`, receivedAt: T0 + index })]);
        writer.enqueue([record({ requestId, receivedAt: T0 + index, ...overrides })]);
      });
      // NUL in a feature's text is not a poison row: the features are stored as JSON, which escapes it.
      writer.enqueue([
        record({ requestId: 'nul-in-feature', receivedAt: T0 + 100, features: { Contract: 'a\u0000b' } }),
      ]);
      await writer.close();
      expect((await readAll(replicaB, { modelName: MODEL })).map((r) => r.requestId)).toEqual([
        ...good,
        'nul-in-feature',
      ]);
      const rejections = await replicaB.rejections();
      expect(rejections.map((r) => r.requestId).sort()).toEqual(
        poison.map(([id]) => id.replace('\u0000', '\\u0000')).sort(),
      );
      expect(rejections.every((r) => r.reason.length > 0 && JSON.parse(r.record).requestId !== undefined)).toBe(true);
      const stats = writer.stats;
      expect(stats).toMatchObject({ received: 17, written: 9, rejected: 8, dropped: 0, queued: 0, failedWrites: 0 });
    });
  });
}

describe('prediction store contract', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'churn-prediction-store-'));
  let postgres: PostgresCluster | undefined;
  let databases = 0;

  beforeAll(async () => {
    // Never skipped: a missing or broken PostgreSQL fails this suite with the reason.
    const binDir = await ensurePostgresInstalled();
    openToServerUser(workDir);
    postgres = new PostgresCluster(binDir, join(workDir, 'postgres'));
    mkdirSync(postgres.rootDir);
    await postgres.start();
  });

  afterAll(async () => {
    await postgres?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  predictionStoreContract(
    'sqlite',
    () => async () => `sqlite:${join(workDir, 'sqlite', `store-${++databases}`, 'predictions.db')}`,
  );

  const freshPostgresDatabase: FreshDatabase = async () => {
    if (!postgres) throw new Error('the PostgreSQL cluster did not start (see beforeAll)');
    const name = `predictions_${++databases}`;
    await postgres.createDatabase(name);
    return `postgresql://postgres:unused-password@127.0.0.1:${postgres.port}/${name}`;
  };

  predictionStoreContract('postgres', () => freshPostgresDatabase);

  // The report thread's PostgreSQL path (prediction-report-reader.ts): a report that overruns has its
  // thread terminated at once (the client is plain JavaScript, safe to terminate), instead of told
  // to exit after its query as on SQLite, which here would keep refusing reports until the query
  // ended or hit the 60 s statement timeout. The query is held up by a lock on the tables it reads.
  it('terminates the thread of an overrunning report on PostgreSQL at once, and the next report is taken', async () => {
    const url = await freshPostgresDatabase();
    const store = openPredictionStore(url);
    const reader = new PredictionReportReader({
      storeUrl: url,
      script: writeThreadScript(workDir, 'report'),
      localStore: () => store,
      timeoutMs: 60_000,
    });
    // The reader's bound and current thread, reached into: neither is part of its interface.
    const internals = reader as unknown as { options: { timeoutMs: number }; current: { worker: Worker } | undefined };
    /** The thread that runs the next report, its terminate() recorded, and its exit. */
    const watchThread = () => {
      const worker = internals.current?.worker;
      if (!worker) throw new Error('the reader runs no report thread: the report was refused before one started');
      return {
        terminate: jest.spyOn(worker, 'terminate'),
        exited: new Promise((resolve) => worker.once('exit', resolve)),
      };
    };
    const query: ReportQuery = { modelName: MODEL, since: T0, until: T0 + 40 * MINUTE, trafficShare: 0.5 };
    // What the reader rejects an overrun with (answered 503 with Retry-After).
    const overran = {
      name: 'ReportUnavailableError',
      retryAfterSeconds: 1,
      message: expect.stringContaining('took longer than 300 ms'),
    };
    const locker = new Client({ connectionString: url });
    try {
      await store.init();
      await store.insert(experiment());
      await locker.connect();
      await reader.read(query); // starts the thread and its connection
      const first = watchThread();
      await locker.query('BEGIN');
      await locker.query(
        'LOCK TABLE prediction_log, prediction_minutes, prediction_minute_users IN ACCESS EXCLUSIVE MODE',
      );
      internals.options.timeoutMs = 300;
      await expect(reader.read(query)).rejects.toMatchObject(overran);
      expect(first.terminate).toHaveBeenCalledTimes(1);
      await first.exited;
      await new Promise((resolve) => setImmediate(resolve));
      // The lock is still held: a thread told to exit after its query would still be there, and this
      // report refused as "still being stopped". A new thread takes it instead (it may overrun while
      // starting or behind the lock; either way it is terminated at once too).
      const next = reader.read(query);
      next.catch(() => undefined); // awaited below, once its thread is watched
      const second = watchThread();
      await expect(next).rejects.toMatchObject(overran);
      expect(second.terminate).toHaveBeenCalledTimes(1);
      await second.exited;
      await new Promise((resolve) => setImmediate(resolve));
      await locker.query('ROLLBACK');
      // Well inside the test's own limit, so a slow report fails here and the cleanup below runs.
      internals.options.timeoutMs = 10_000;
      const report = await reader.read(query);
      expect(report.aggregates.length).toBeGreaterThan(0);
      expect(report).toEqual(await readReport(store, query));
    } finally {
      // Ending the session also ends its transaction and the lock, so a thread still behind it can finish.
      await locker.end().catch(() => undefined);
      await reader.close();
      await store.close();
    }
  }, 60_000);
});
