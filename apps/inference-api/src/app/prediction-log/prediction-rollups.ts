/**
 * Per-minute rollups of the prediction log, kept in the same transaction as the rows they count, so
 * that the A/B report reads a few thousand rollup rows instead of every prediction in its window:
 * over two million rows the raw aggregate and the distinct-user count took about a second each, on
 * a thread that shares the cores with /predict. Labels are not rolled up (they arrive later and can
 * change); the report joins them from the feedback table, which is the smaller side.
 *
 * The SQL is plain enough for SQLite and PostgreSQL alike, as everywhere in the store.
 */
import type {
  PredictionQuery,
  PredictionRecord,
  PredictionStoreKind,
  Variant,
  VariantAggregate,
} from './prediction-store';
import type { SqlExecutor, SqlTransaction, SqlValue } from './sql-database';

export const MINUTES = 'prediction_minutes';
export const MINUTE_USERS = 'prediction_minute_users';
/** One row counting the trims of the users rollup, which tells a writer its {@link MinuteUsersSeen} may be stale. */
export const ROLLUP_TRIMS = 'prediction_rollup_trims';
export const MINUTE_MS = 60_000;

/** The minute holding `ms` (floored, negative times included), as its first millisecond. */
export function minuteOf(ms: number): number {
  return ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

/** {@link minuteOf} in SQL, for a BIGINT column: both engines truncate `%`, hence the double modulo. */
function minuteSql(column: string): string {
  return `(${column} - ((${column} % ${MINUTE_MS}) + ${MINUTE_MS}) % ${MINUTE_MS})`;
}

const A_B_VARIANTS = `('champion', 'challenger')`;

/** What a group of prediction rows sums to, in {@link MINUTE_COLUMNS}' order after the key. */
const MINUTE_SUMS = `COUNT(*) AS count, COUNT(shadow_probability) AS shadow_count,
  SUM(CASE WHEN shadow_prediction = prediction THEN 1 ELSE 0 END) AS shadow_agreements,
  SUM(shadow_probability - probability) AS shadow_difference_sum,
  SUM(ABS(shadow_probability - probability)) AS shadow_abs_difference_sum,
  MAX(ABS(shadow_probability - probability)) AS shadow_abs_difference_max`;
const MINUTE_COLUMNS =
  'model_name, minute, variant, alias, version, count, shadow_count, shadow_agreements, shadow_difference_sum, shadow_abs_difference_sum, shadow_abs_difference_max';
const USER_COLUMNS = 'model_name, traffic_share, variant, minute, user_id';

/**
 * The rollup tables, and their first filling from predictions logged before they existed (a store
 * created by an earlier release). The filling runs only while the minute table is empty, which
 * with predictions present happens once; the users first, as their condition reads that table.
 */
export function rollupSchemaStatements(predictions: string, keyText: string, kind: PredictionStoreKind): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${MINUTES} (
      model_name ${keyText} NOT NULL,
      minute BIGINT NOT NULL,
      variant ${keyText} NOT NULL,
      alias ${keyText} NOT NULL,
      version ${keyText} NOT NULL,
      count BIGINT NOT NULL,
      shadow_count BIGINT NOT NULL,
      shadow_agreements BIGINT NOT NULL,
      shadow_difference_sum DOUBLE PRECISION,
      shadow_abs_difference_sum DOUBLE PRECISION,
      shadow_abs_difference_max DOUBLE PRECISION,
      PRIMARY KEY (model_name, minute, variant, alias, version)
    )`,
    // Retention clears minutes across models.
    `CREATE INDEX IF NOT EXISTS ${MINUTES}_minute ON ${MINUTES} (minute)`,
    `CREATE TABLE IF NOT EXISTS ${MINUTE_USERS} (
      model_name ${keyText} NOT NULL,
      traffic_share DOUBLE PRECISION NOT NULL,
      variant ${keyText} NOT NULL,
      minute BIGINT NOT NULL,
      user_id ${keyText} NOT NULL,
      PRIMARY KEY (model_name, traffic_share, variant, minute, user_id)
    )`,
    `CREATE INDEX IF NOT EXISTS ${MINUTE_USERS}_minute ON ${MINUTE_USERS} (minute)`,
    `CREATE TABLE IF NOT EXISTS ${ROLLUP_TRIMS} (
      id INTEGER PRIMARY KEY,
      trims BIGINT NOT NULL
    )`,
    `INSERT INTO ${ROLLUP_TRIMS} (id, trims) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`,
    ...trimCountTriggers(kind),
    `INSERT INTO ${MINUTE_USERS} (${USER_COLUMNS})
     SELECT DISTINCT model_name, traffic_share, variant, ${minuteSql('received_at')}, user_id FROM ${predictions}
     WHERE ${USER_ROWS} AND NOT EXISTS (SELECT 1 FROM ${MINUTES})`,
    `INSERT INTO ${MINUTES} (${MINUTE_COLUMNS})
     SELECT model_name, ${minuteSql('received_at')}, variant, alias, version, ${MINUTE_SUMS} FROM ${predictions}
     WHERE NOT EXISTS (SELECT 1 FROM ${MINUTES})
     GROUP BY model_name, ${minuteSql('received_at')}, variant, alias, version`,
  ];
}

/**
 * Moves the trim count whenever rows of the users rollup are deleted, whoever deletes them (a trim
 * by this release or an earlier one, a DELETE or TRUNCATE run by hand), so writers forget the
 * users they remember. The PostgreSQL function keeps its creator's search_path, where the table is.
 */
function trimCountTriggers(kind: PredictionStoreKind): string[] {
  const count = `UPDATE ${ROLLUP_TRIMS} SET trims = trims + 1 WHERE id = 1`;
  if (kind === 'sqlite')
    return [`CREATE TRIGGER IF NOT EXISTS ${MINUTE_USERS}_deleted AFTER DELETE ON ${MINUTE_USERS} BEGIN ${count}; END`];
  return [
    `CREATE OR REPLACE FUNCTION ${ROLLUP_TRIMS}_count() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT
     AS $$ BEGIN ${count}; RETURN NULL; END $$`,
    `CREATE OR REPLACE TRIGGER ${MINUTE_USERS}_deleted AFTER DELETE OR TRUNCATE ON ${MINUTE_USERS}
     FOR EACH STATEMENT EXECUTE FUNCTION ${ROLLUP_TRIMS}_count()`,
  ];
}

/** Rows the sample-ratio check counts: A/B-routed, with a user id. */
const USER_ROWS = `traffic_share IS NOT NULL AND user_id IS NOT NULL AND variant IN ${A_B_VARIANTS}`;

/** Counts and shadow sums of a group of rows. */
interface Sums {
  count: number;
  shadowCount: number;
  shadowAgreements: number;
  shadowDifferenceSum: number;
  shadowAbsDifferenceSum: number;
  shadowAbsDifferenceMax: number | null;
}

const NO_ROWS: Readonly<Sums> = {
  count: 0,
  shadowCount: 0,
  shadowAgreements: 0,
  shadowDifferenceSum: 0,
  shadowAbsDifferenceSum: 0,
  shadowAbsDifferenceMax: null,
};

/** A minute group's key, in the minute table's key order. */
interface MinuteKey {
  modelName: string;
  minute: number;
  variant: Variant;
  alias: string;
  version: string;
}

type MinuteSums = MinuteKey & Sums;

/** A row of the users rollup, with its identity: model, share, variant, minute and user joined by NUL. */
export interface MinuteUser {
  key: string;
  minute: number;
  row: SqlValue[];
}

/**
 * Adds freshly inserted records to the rollups (same transaction as the insert, so a rollback
 * takes both back). Another replica adding to the same minute at once is summed by the upsert;
 * keys go in one sorted order, so two PostgreSQL writers never wait on each other's rows in a
 * cycle. `rowsPerStatement`: 1 for SQLite (one compiled statement run per row is its fastest bulk
 * insert, and VALUES lists of varying length would churn its statement cache), many for
 * PostgreSQL, where each statement is a round trip. Users `seen` already are skipped; the users
 * the rollup now holds (written, or found there) go to {@link MinuteUsersSeen.commit} once the
 * transaction has committed.
 */
export async function addToRollups(
  tx: SqlTransaction,
  records: readonly PredictionRecord[],
  rowsPerStatement: number,
  seen: MinuteUsersSeen,
): Promise<UsersWritten> {
  const { minutes, users } = rollupRows(records);
  if (minutes.length === 0) return { users: [], trims: Number.NaN };
  // After the upsert, which waits for a trim holding the rollups (PostgreSQL's lock, SQLite's
  // write lock), so a trim is either counted here or comes after this transaction's users.
  await tx.runEach(MINUTE_UPSERT, minutes);
  const [counter] = await tx.all(`SELECT trims FROM ${ROLLUP_TRIMS} WHERE id = 1`);
  const trims = Number(counter?.trims);
  const added = seen.unseen(users.values(), trims);
  const rows = added.map((user) => user.row);
  if (rowsPerStatement === 1) {
    if (rows.length > 0) await tx.runEach(userInsertSql(1), rows);
  } else {
    for (let start = 0; start < rows.length; start += rowsPerStatement) {
      const chunk = rows.slice(start, start + rowsPerStatement);
      await tx.run(userInsertSql(chunk.length), chunk.flat());
    }
  }
  return { users: added, trims };
}

/** The users a transaction made sure the users rollup holds, and the trim count it read. */
export interface UsersWritten {
  users: MinuteUser[];
  trims: number;
}

/** Users a writer remembers over its two minutes; beyond it, further users are written as if never seen. */
export const MAX_SEEN_USERS = 100_000;

/**
 * The users-rollup rows a writer knows are there, for its two newest minutes: an A/B user sends
 * many requests a minute, and one statement per request to find the row already there was a
 * tenth of the log's cost. A trim (retention cutting into a minute) can take rows out, so
 * everything remembered is forgotten when the store's trim count moves.
 */
export class MinuteUsersSeen {
  private trims = Number.NaN;
  private newest = Number.NEGATIVE_INFINITY;
  private readonly minutes = new Map<number, Set<string>>();
  private size = 0;

  /**
   * The users not known to be written, in key order, given the store's trim count now (NaN when
   * it cannot be read, which forgets everything every time).
   */
  unseen(users: Iterable<MinuteUser>, trims: number): MinuteUser[] {
    if (trims !== this.trims) {
      this.forget();
      this.trims = trims;
    }
    const unseen: MinuteUser[] = [];
    for (const user of users) if (!this.minutes.get(user.minute)?.has(user.key)) unseen.push(user);
    return unseen.sort((a, b) => compareText(a.key, b.key));
  }

  /** Forgets everything: a write failed, and what the database holds is unknown until the next count is read. */
  forget(): void {
    this.minutes.clear();
    this.size = 0;
    this.newest = Number.NEGATIVE_INFINITY;
    this.trims = Number.NaN;
  }

  /**
   * Remembers the users of a committed transaction, keeping the newest two minutes; nothing when
   * another transaction has read a different trim count since (the trim may have come after it).
   */
  commit({ users, trims }: UsersWritten): void {
    if (trims !== this.trims) return;
    for (const { minute, key } of users) {
      if (minute > this.newest) {
        this.newest = minute;
        this.forgetBefore(minute - MINUTE_MS);
      }
      if (minute < this.newest - MINUTE_MS || this.size >= MAX_SEEN_USERS) continue;
      let keys = this.minutes.get(minute);
      if (!keys) {
        keys = new Set();
        this.minutes.set(minute, keys);
      }
      const before = keys.size;
      keys.add(key);
      this.size += keys.size - before;
    }
  }

  private forgetBefore(oldest: number): void {
    for (const [minute, keys] of this.minutes)
      if (minute < oldest) {
        this.size -= keys.size;
        this.minutes.delete(minute);
      }
  }
}

/** Users per multi-row INSERT on PostgreSQL: 5 parameters each, far below its bound. */
export const USER_ROWS_PER_STATEMENT = 500;

function userInsertSql(rows: number): string {
  return `INSERT INTO ${MINUTE_USERS} (${USER_COLUMNS}) VALUES ${new Array<string>(rows).fill('(?, ?, ?, ?, ?)').join(', ')}
    ON CONFLICT DO NOTHING`;
}

const MINUTE_UPSERT = `INSERT INTO ${MINUTES} (${MINUTE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (model_name, minute, variant, alias, version) DO UPDATE SET
    count = ${MINUTES}.count + excluded.count,
    shadow_count = ${MINUTES}.shadow_count + excluded.shadow_count,
    shadow_agreements = ${MINUTES}.shadow_agreements + excluded.shadow_agreements,
    shadow_difference_sum = COALESCE(${MINUTES}.shadow_difference_sum + excluded.shadow_difference_sum, ${MINUTES}.shadow_difference_sum, excluded.shadow_difference_sum),
    shadow_abs_difference_sum = COALESCE(${MINUTES}.shadow_abs_difference_sum + excluded.shadow_abs_difference_sum, ${MINUTES}.shadow_abs_difference_sum, excluded.shadow_abs_difference_sum),
    shadow_abs_difference_max = CASE
      WHEN ${MINUTES}.shadow_abs_difference_max IS NULL OR excluded.shadow_abs_difference_max > ${MINUTES}.shadow_abs_difference_max
      THEN excluded.shadow_abs_difference_max ELSE ${MINUTES}.shadow_abs_difference_max END`;

/**
 * The records' sums per minute group, as parameter rows in key order, and their distinct A/B users
 * per minute by key. A batch holds a few groups (variants and versions of one or two minutes), so
 * each record finds its own by comparing fields, cheaper than building a key to look it up.
 */
function rollupRows(records: readonly PredictionRecord[]): { minutes: SqlValue[][]; users: Map<string, MinuteUser> } {
  const groups: MinuteSums[] = [];
  const users = new Map<string, MinuteUser>();
  for (const record of records) {
    const minute = minuteOf(record.receivedAt);
    let sums = groups.find(
      (group) =>
        group.minute === minute &&
        group.variant === record.variant &&
        group.version === record.version &&
        group.alias === record.alias &&
        group.modelName === record.modelName,
    );
    if (!sums) {
      const { modelName, variant, alias, version } = record;
      sums = { modelName, minute, variant, alias, version, ...NO_ROWS };
      groups.push(sums);
    }
    sums.count++;
    if (record.shadow) {
      const difference = record.shadow.probability - record.probability;
      sums.shadowCount++;
      if (record.shadow.prediction === record.prediction) sums.shadowAgreements++;
      sums.shadowDifferenceSum += difference;
      sums.shadowAbsDifferenceSum += Math.abs(difference);
      sums.shadowAbsDifferenceMax = Math.max(sums.shadowAbsDifferenceMax ?? 0, Math.abs(difference));
    }
    if (record.trafficShare !== null && record.userId !== null && record.variant !== 'production') {
      // NUL separates the fields: no text field holds a control character (predictionRecordProblem).
      // join() makes a flat copy: a template would keep the whole bundle's id text alive through
      // the user id sliced from it, for as long as the writer remembers the key.
      const row = [record.modelName, record.trafficShare, record.variant, minute, record.userId];
      const key = row.join('\u0000');
      if (!users.has(key)) users.set(key, { key, minute, row });
    }
  }
  return {
    minutes: groups
      .sort(byMinuteKey)
      .map((sums) => [
        sums.modelName,
        sums.minute,
        sums.variant,
        sums.alias,
        sums.version,
        sums.count,
        sums.shadowCount,
        sums.shadowAgreements,
        sums.shadowCount > 0 ? sums.shadowDifferenceSum : null,
        sums.shadowCount > 0 ? sums.shadowAbsDifferenceSum : null,
        sums.shadowAbsDifferenceMax,
      ]),
    users,
  };
}

function byMinuteKey(a: MinuteKey, b: MinuteKey): number {
  return (
    compareText(a.modelName, b.modelName) ||
    a.minute - b.minute ||
    compareText(a.variant, b.variant) ||
    compareText(a.alias, b.alias) ||
    compareText(a.version, b.version)
  );
}

/** Byte order for the ASCII names grouped on and the NUL-joined user keys, as SQL's ORDER BY gives it. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * How a query's [since, until) splits: whole minutes read from the rollups, and at most two
 * partial minutes at its edges read from the predictions themselves.
 */
export interface RangeSplit {
  /** Whole minutes [from, to) as minute starts; undefined when the range holds none. */
  minutes: { from: number | undefined; to: number | undefined } | undefined;
  /** Sub-minute ranges to read raw. */
  edges: { since: number | undefined; until: number | undefined }[];
}

export function splitRange(query: Pick<PredictionQuery, 'since' | 'until'>): RangeSplit {
  const { since, until } = query;
  const from = since === undefined ? undefined : minuteOf(since) === since ? since : minuteOf(since) + MINUTE_MS;
  const to = until === undefined ? undefined : minuteOf(until);
  if (from !== undefined && to !== undefined && from >= to) return { minutes: undefined, edges: [{ since, until }] };
  const edges: RangeSplit['edges'] = [];
  if (since !== undefined && from !== since) edges.push({ since, until: from });
  if (until !== undefined && to !== until) edges.push({ since: to, until });
  return { minutes: { from, to }, edges };
}

/** `column` within [from, to), either bound optional, as SQL and parameters. */
function between(
  column: string,
  from: number | undefined,
  to: number | undefined,
): { sql: string; params: SqlValue[] } {
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  if (from !== undefined) {
    clauses.push(`${column} >= ?`);
    params.push(from);
  }
  if (to !== undefined) {
    clauses.push(`${column} < ?`);
    params.push(to);
  }
  return { sql: clauses.length === 0 ? '1 = 1' : clauses.join(' AND '), params };
}

type GroupCounts = Omit<
  VariantAggregate,
  'labelled' | 'truePositives' | 'falsePositives' | 'trueNegatives' | 'falseNegatives'
>;

/** Counts and shadow sums per (variant, alias, version): whole minutes from the rollups, edges raw. */
export async function rolledUpCounts(
  db: SqlExecutor,
  predictions: string,
  modelName: string,
  split: RangeSplit,
): Promise<GroupCounts[]> {
  const parts: { sql: string; params: SqlValue[] }[] = [];
  if (split.minutes) {
    const filter = between('minute', split.minutes.from, split.minutes.to);
    parts.push({
      sql: `SELECT variant, alias, version, SUM(count) AS count, SUM(shadow_count) AS shadow_count,
              SUM(shadow_agreements) AS shadow_agreements, SUM(shadow_difference_sum) AS shadow_difference_sum,
              SUM(shadow_abs_difference_sum) AS shadow_abs_difference_sum, MAX(shadow_abs_difference_max) AS shadow_abs_difference_max
            FROM ${MINUTES} WHERE model_name = ? AND ${filter.sql} GROUP BY variant, alias, version`,
      params: [modelName, ...filter.params],
    });
  }
  for (const edge of split.edges) {
    const filter = between('received_at', edge.since, edge.until);
    parts.push({
      sql: `SELECT variant, alias, version, ${MINUTE_SUMS}
            FROM ${predictions} WHERE model_name = ? AND ${filter.sql} GROUP BY variant, alias, version`,
      params: [modelName, ...filter.params],
    });
  }
  const groups = new Map<string, GroupCounts>();
  for (const part of parts)
    for (const row of await db.all(part.sql, part.params)) {
      const id = JSON.stringify([row.variant, row.alias, row.version]);
      const group = groups.get(id) ?? {
        variant: row.variant as Variant,
        alias: String(row.alias),
        version: String(row.version),
        ...NO_ROWS,
      };
      group.count += Number(row.count);
      group.shadowCount += Number(row.shadow_count);
      group.shadowAgreements += Number(row.shadow_agreements ?? 0);
      group.shadowDifferenceSum += Number(row.shadow_difference_sum ?? 0);
      group.shadowAbsDifferenceSum += Number(row.shadow_abs_difference_sum ?? 0);
      if (row.shadow_abs_difference_max !== null)
        group.shadowAbsDifferenceMax = Math.max(
          group.shadowAbsDifferenceMax ?? 0,
          Number(row.shadow_abs_difference_max),
        );
      groups.set(id, group);
    }
  return [...groups.values()].filter((group) => group.count > 0);
}

/** Distinct users per A/B side among rows routed with `trafficShare`: whole minutes from the rollups, edges raw. */
export async function rolledUpAssignments(
  db: SqlExecutor,
  predictions: string,
  query: { modelName: string; trafficShare: number },
  split: RangeSplit,
): Promise<Map<string, number>> {
  const parts: { sql: string; params: SqlValue[] }[] = [];
  if (split.minutes) {
    const filter = between('minute', split.minutes.from, split.minutes.to);
    parts.push({
      sql: `SELECT variant, user_id FROM ${MINUTE_USERS} WHERE model_name = ? AND traffic_share = ? AND variant IN ${A_B_VARIANTS} AND ${filter.sql}`,
      params: [query.modelName, query.trafficShare, ...filter.params],
    });
  }
  for (const edge of split.edges) {
    const filter = between('received_at', edge.since, edge.until);
    parts.push({
      sql: `SELECT variant, user_id FROM ${predictions}
            WHERE model_name = ? AND traffic_share = ? AND ${USER_ROWS} AND ${filter.sql}`,
      params: [query.modelName, query.trafficShare, ...filter.params],
    });
  }
  const rows = await db.all(
    `SELECT u.variant, COUNT(DISTINCT u.user_id) AS users FROM (${parts.map((part) => part.sql).join(' UNION ALL ')}) u
     GROUP BY u.variant`,
    parts.flatMap((part) => part.params),
  );
  return new Map(rows.map((row) => [String(row.variant), Number(row.users)]));
}

/**
 * Brings the rollups back in line with the predictions after retention deleted some: minutes
 * before the oldest row left are dropped, and that row's minute, possibly cut in two, is counted
 * again from the rows; deleting users moves the trim count (trimCountTriggers), so writers forget the
 * users they remember. Run in a transaction that holds writers off the rollups.
 */
export async function trimRollups(tx: SqlExecutor, predictions: string): Promise<void> {
  const [{ oldest }] = await tx.all(`SELECT MIN(received_at) AS oldest FROM ${predictions}`);
  if (oldest === null || oldest === undefined) {
    await tx.run(`DELETE FROM ${MINUTES}`);
    await tx.run(`DELETE FROM ${MINUTE_USERS}`);
    return;
  }
  const minute = minuteOf(Number(oldest));
  await tx.run(`DELETE FROM ${MINUTES} WHERE minute <= ?`, [minute]);
  await tx.run(`DELETE FROM ${MINUTE_USERS} WHERE minute <= ?`, [minute]);
  await tx.run(
    `INSERT INTO ${MINUTES} (${MINUTE_COLUMNS})
     SELECT model_name, CAST(? AS BIGINT), variant, alias, version, ${MINUTE_SUMS} FROM ${predictions}
     WHERE received_at >= ? AND received_at < ? GROUP BY model_name, variant, alias, version`,
    [minute, minute, minute + MINUTE_MS],
  );
  await tx.run(
    `INSERT INTO ${MINUTE_USERS} (${USER_COLUMNS})
     SELECT DISTINCT model_name, traffic_share, variant, CAST(? AS BIGINT), user_id FROM ${predictions}
     WHERE received_at >= ? AND received_at < ? AND ${USER_ROWS}`,
    [minute, minute, minute + MINUTE_MS],
  );
}
