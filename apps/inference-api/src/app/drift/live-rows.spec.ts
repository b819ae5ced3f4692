import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { buildTrainingStatistics, driftReport, type LiveRow, type TrainingStatistics } from '@churn/drift-stats';

import type { FeatureBatch } from '../model/feature-batch';
import { liveCell, LiveColumnPlan } from './live-rows';
import { RollingDriftWindow } from './rolling-drift-window';

/**
 * The monitor's columnar intake (`LiveColumnPlan.columnsOf` for large batches, `stagingArea` for
 * small ones, then `RollingDriftWindow.addColumns`) against the per-row one it replaced (a row object of `liveCell`s per row + `RollingDriftWindow.add`), on Telco batches
 * as the scorer builds them. Exact equality: the same values reach each feature window in the same
 * order, so counts, samples and every report computed from them must be identical.
 */
const workspaceRoot = resolve(__dirname, '../../../../..');
const telcoCsv = resolve(workspaceRoot, 'libs/churn-pipeline/data/telco-customer-churn.csv');

/** The model's columns; the reference below disagrees on two kinds, as a model and its train_stats.json can. */
const MODEL_NUMERIC = ['SeniorCitizen', 'tenure', 'MonthlyCharges'];
const MODEL_TEXT = ['TotalCharges', 'gender', 'Partner', 'InternetService', 'Contract', 'PaymentMethod'];
const MODEL_COLUMNS = [...MODEL_NUMERIC, ...MODEL_TEXT, 'unused'];

function readTelco(): { header: string[]; records: string[][] } {
  const [headerLine, ...lines] = readFileSync(telcoCsv, 'utf8').trim().split(/\r?\n/);
  return { header: headerLine.split(','), records: lines.map((line) => line.split(',')) };
}

/**
 * The training statistics: TotalCharges numeric (the model takes it as text, so the window parses it),
 * SeniorCitizen categorical (the model takes numbers, so the window sees "0" and "1"); `unused` is
 * not a feature of the reference and `Dependents` is not a model column.
 */
function referenceOf(header: string[], records: string[][]): TrainingStatistics {
  const column = (name: string) => records.map((record) => record[header.indexOf(name)]);
  return buildTrainingStatistics(
    {
      tenure: column('tenure').map(Number),
      MonthlyCharges: column('MonthlyCharges').map(Number),
      TotalCharges: column('TotalCharges').map((text) => (text.trim() === '' ? null : Number(text))),
      SeniorCitizen: column('SeniorCitizen'),
      gender: column('gender'),
      Partner: column('Partner'),
      InternetService: column('InternetService'),
      Contract: column('Contract'),
      PaymentMethod: column('PaymentMethod'),
      Dependents: column('Dependents'),
    },
    {
      numeric: ['tenure', 'MonthlyCharges', 'TotalCharges'],
      categorical: ['SeniorCitizen', 'gender', 'Partner', 'InternetService', 'Contract', 'PaymentMethod', 'Dependents'],
    },
  );
}

/** Batches of the records as FeatureBatchBuilder leaves them: float32 numbers (NaN = missing), text ('' = missing). */
function batchesOf(header: string[], records: string[][], size: number): FeatureBatch[] {
  const batches: FeatureBatch[] = [];
  for (let first = 0; first < records.length; first += size) {
    const rows = records.slice(first, first + size);
    const columns = MODEL_COLUMNS.map((name, index) => {
      if (name === 'unused') return rows.map(() => 'x');
      const at = header.indexOf(name);
      if (index < MODEL_NUMERIC.length) {
        // Every 50th tenure overflows float32 (numbers beyond its range are accepted and become Infinity) or is missing.
        return Float32Array.from(rows, (record, row) =>
          name === 'tenure' && row % 50 === 7
            ? 1e39
            : name === 'tenure' && row % 50 === 9
              ? Number.NaN
              : Number(record[at]),
        );
      }
      return rows.map((record, row) =>
        name === 'Contract' && row % 40 === 3 ? '' : name === 'TotalCharges' ? record[at].trim() : record[at],
      );
    });
    batches.push({
      rowCount: rows.length,
      columns,
      categoryCodes: columns.map(() => undefined),
      rowWarnings: undefined,
      batchWarnings: [],
    });
  }
  return batches;
}

/** A batch cut into consecutive parts of the given sizes, cycling, as consecutive requests would be. */
function partsOf(batch: FeatureBatch, sizes: number[]): FeatureBatch[] {
  const parts: FeatureBatch[] = [];
  for (let start = 0, turn = 0; start < batch.rowCount; turn++) {
    const end = Math.min(batch.rowCount, start + sizes[turn % sizes.length]);
    parts.push({
      rowCount: end - start,
      columns: batch.columns.map((column) => column.slice(start, end) as typeof column),
      categoryCodes: batch.categoryCodes.map((codes) => codes?.slice(start, end)),
      rowWarnings: undefined,
      batchWarnings: [],
    });
    start = end;
  }
  return parts;
}

/** The intake the monitor used before the columnar one: one row object per row. */
function addRowByRow(window: RollingDriftWindow, reference: TrainingStatistics, batch: FeatureBatch, at: number): void {
  for (let row = 0; row < batch.rowCount; row++) {
    const live: Record<string, number | string | null> = {};
    MODEL_COLUMNS.forEach((name, index) => (live[name] = liveCell(reference, name, batch.columns[index][row])));
    window.add(live as LiveRow, at);
  }
}

describe("the drift monitor's columnar intake", () => {
  const { header, records } = readTelco();
  const reference = referenceOf(header, records);
  // 1000-row batches into buckets of 417 rows spanning at most 5 s: batches are split across buckets,
  // and the two gaps of over 5 s close half-filled buckets early.
  const batches = batchesOf(header, records, 1000);
  const limits = { maxRows: 5000, maxAgeMs: 60_000 };
  const receivedAt = [1000, 1700, 2400, 9000, 9700, 16_000, 16_700, 17_400];

  it('fills the rolling window exactly as row objects did, bucket by bucket, and gives the same drift report', () => {
    const byRow = new RollingDriftWindow(reference, limits);
    const byColumn = new RollingDriftWindow(reference, limits);
    batches.forEach((batch, b) => {
      addRowByRow(byRow, reference, batch, receivedAt[b]);
      byColumn.addColumns(
        new LiveColumnPlan(reference, MODEL_COLUMNS).columnsOf([batch]),
        batch.rowCount,
        receivedAt[b],
      );
    });
    // 18 buckets were opened; the ring keeps the newest 12, and at this time the two from 2400 ms have aged out:
    // buckets from 9000 ms of 417, 417, 417, 417, 332, 417, 417, 417, 417 and 375 rows (the last batch has 43).
    const now = 2400 + 60_001;
    const [rowSnapshot, columnSnapshot] = [byRow.snapshot(now), byColumn.snapshot(now)];
    expect({ ...columnSnapshot, window: undefined }).toEqual({ ...rowSnapshot, window: undefined });
    expect(columnSnapshot).toMatchObject({ size: 4043, from: 9000, to: 17_400 });
    expect(JSON.stringify(columnSnapshot.window)).toBe(JSON.stringify(rowSnapshot.window));
    expect(columnSnapshot.window).toBeDefined();
    expect(rowSnapshot.window).toBeDefined();
    if (columnSnapshot.window && rowSnapshot.window)
      expect(driftReport(reference, columnSnapshot.window)).toEqual(driftReport(reference, rowSnapshot.window));
  });

  it('counts coded columns by their codes exactly as by their text, in the rolling window and its report', () => {
    // Codes as an integer-coded model holds them: the encoder's own category list ('Two year' left out,
    // so those rows have no code and are read from their text; missing values have none either).
    const codeTexts = MODEL_COLUMNS.map((name) =>
      name === 'Contract'
        ? ['Month-to-month', 'One year']
        : name === 'PaymentMethod'
          ? ['Electronic check', 'Mailed check', 'Bank transfer (automatic)', 'Credit card (automatic)']
          : undefined,
    );
    const coded = batches.map((batch): FeatureBatch => ({
      ...batch,
      categoryCodes: batch.columns.map((column, index) => {
        const texts = codeTexts[index];
        return texts === undefined ? undefined : Int32Array.from(column as string[], (text) => texts.indexOf(text));
      }),
    }));
    expect(Array.from(coded[0].categoryCodes[MODEL_COLUMNS.indexOf('Contract')] as Int32Array)).toContain(-1);
    const byText = new RollingDriftWindow(reference, limits);
    const byCode = new RollingDriftWindow(reference, limits);
    coded.forEach((batch, b) => {
      byText.addColumns(new LiveColumnPlan(reference, MODEL_COLUMNS).columnsOf([batch]), batch.rowCount, receivedAt[b]);
      const columns = new LiveColumnPlan(reference, MODEL_COLUMNS, codeTexts).columnsOf([batch]);
      expect(columns['Contract']).toEqual({
        codes: batch.categoryCodes[MODEL_COLUMNS.indexOf('Contract')],
        categories: codeTexts[MODEL_COLUMNS.indexOf('Contract')],
        texts: batch.columns[MODEL_COLUMNS.indexOf('Contract')],
      });
      byCode.addColumns(columns, batch.rowCount, receivedAt[b]);
    });
    // And each batch as uneven parts joined on the way in (columnsOf joins the batches it is given).
    const byParts = new RollingDriftWindow(reference, limits);
    coded.forEach((batch, b) =>
      byParts.addColumns(
        new LiveColumnPlan(reference, MODEL_COLUMNS, codeTexts).columnsOf(partsOf(batch, [1, 30, 7, 64, 398])),
        batch.rowCount,
        receivedAt[b],
      ),
    );
    const now = 2400 + 60_001;
    const [textSnapshot, codeSnapshot, partsSnapshot] = [
      byText.snapshot(now),
      byCode.snapshot(now),
      byParts.snapshot(now),
    ];
    expect(JSON.stringify(codeSnapshot.window)).toBe(JSON.stringify(textSnapshot.window));
    expect(JSON.stringify(partsSnapshot.window)).toBe(JSON.stringify(textSnapshot.window));
    if (codeSnapshot.window && textSnapshot.window)
      expect(driftReport(reference, codeSnapshot.window)).toEqual(driftReport(reference, textSnapshot.window));
  });

  it('stages small batches into the same window as whole batches give, coded and uncoded, up to its capacity at a time', () => {
    const codeTexts = MODEL_COLUMNS.map((name) => (name === 'Contract' ? ['Month-to-month', 'One year'] : undefined));
    const coded = batches.map((batch): FeatureBatch => ({
      ...batch,
      categoryCodes: batch.columns.map((column, index) => {
        const texts = codeTexts[index];
        return texts === undefined ? undefined : Int32Array.from(column as string[], (text) => texts.indexOf(text));
      }),
    }));
    const whole = new RollingDriftWindow(reference, limits);
    const staged = new RollingDriftWindow(reference, limits);
    const plan = new LiveColumnPlan(reference, MODEL_COLUMNS, codeTexts);
    const area = plan.stagingArea(100);
    const flush = () => area.drainInto(staged);
    let flushes = 0;
    coded.forEach((batch, b) => {
      whole.addColumns(new LiveColumnPlan(reference, MODEL_COLUMNS).columnsOf([batch]), batch.rowCount, receivedAt[b]);
      for (const part of partsOf(batch, [1, 30, 7, 64, 1, 2])) {
        if (!area.fits(part.rowCount)) {
          flush();
          flushes++;
        }
        area.add(part, receivedAt[b]);
      }
      flush();
    });
    expect(flushes).toBeGreaterThan(coded.length * 9);
    const now = 2400 + 60_001;
    const [wholeSnapshot, stagedSnapshot] = [whole.snapshot(now), staged.snapshot(now)];
    expect({ ...stagedSnapshot, window: undefined }).toEqual({ ...wholeSnapshot, window: undefined });
    expect(stagedSnapshot.window).toBeDefined();
    expect(JSON.stringify(stagedSnapshot.window)).toBe(JSON.stringify(wholeSnapshot.window));
    // The staged tenure holds NaN where the batch held an infinity, as the window takes it.
    expect(Number.isNaN((area.columns['tenure'] as Float64Array)[7])).toBe(true);
  });

  it('joins the batches it is given in order, for every kind of column, into what the whole batch gives', () => {
    const whole = batches[1];
    const parts = partsOf(whole, [1, 1, 40, 300, 2]);
    expect(parts.length).toBeGreaterThan(5);
    const joined = new LiveColumnPlan(reference, MODEL_COLUMNS).columnsOf(parts);
    const alone = new LiveColumnPlan(reference, MODEL_COLUMNS).columnsOf([whole]);
    expect(Object.keys(joined).sort()).toEqual(Object.keys(alone).sort());
    for (const name of Object.keys(alone))
      expect({ name, values: Array.from(joined[name] as ArrayLike<unknown>) }).toEqual({
        name,
        values: Array.from(alone[name] as ArrayLike<unknown>),
      });
  });

  it("converts a column only when its kind differs from the reference's or it holds an infinity, and never changes the batch", () => {
    const batch = batchesOf(header, records.slice(0, 100), 100)[0];
    const before = batch.columns.map((column) => Array.from(column as ArrayLike<number | string>));
    const columns = new LiveColumnPlan(reference, MODEL_COLUMNS).columnsOf([batch]);
    expect(Object.keys(columns).sort()).toEqual(MODEL_COLUMNS.filter((name) => name !== 'unused').sort());
    expect(columns['MonthlyCharges']).toBe(batch.columns[2]);
    expect(columns['Contract']).toBe(batch.columns[MODEL_COLUMNS.indexOf('Contract')]);
    const tenure = (row: number) => Number(records[row][header.indexOf('tenure')]);
    expect(Array.from(columns['tenure'] as ArrayLike<number>).slice(6, 10)).toEqual([
      tenure(6),
      Number.NaN,
      tenure(8),
      Number.NaN,
    ]);
    expect((columns['SeniorCitizen'] as string[]).slice(0, 3)).toEqual(
      records.slice(0, 3).map((record) => record[header.indexOf('SeniorCitizen')]),
    );
    expect(batch.columns.map((column) => Array.from(column as ArrayLike<number | string>))).toEqual(before);
  });

  it('counts rows without feature windows for a version without training statistics', () => {
    const rolling = new RollingDriftWindow(undefined, limits);
    const empty: TrainingStatistics = { format_version: 1, row_count: 0, numeric: {}, categorical: {} };
    rolling.addColumns(new LiveColumnPlan(empty, MODEL_COLUMNS).columnsOf([batches[0]]), 1000, 5);
    expect(rolling.snapshot(10)).toEqual({ window: undefined, size: 1000, from: 5, to: 5 });
  });
});
