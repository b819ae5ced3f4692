/**
 * What a serving copy (integer-coded-categories.ts, packed-inputs.ts) must answer exactly as the
 * original before it is swapped in: the version's warm-up rows, and a probe of rows made from the
 * contract. The warm-up rows alone can be one all-missing row (a version without an input example),
 * in which every input looks alike: a copy that fed one column's values to another input, or strided
 * a packed tensor wrongly, would pass. The probe's cells differ between any two inputs of a row and
 * between rows, and it is scored as two uneven batches in one session call, as coalesced requests
 * are, with no fallback to a call per batch, so joining batches is checked too.
 */
import type { LoadedModel, Scores } from './loaded-model';
import type { InputColumnPlan } from './model-contract';

/**
 * Rows in the probe. The rows hold the low 8 base-n digits of each column's place + 1 among the
 * contract's columns, so two columns with the same n categories differ in some row unless their
 * places differ by a multiple of n^8 (256 for two categories, far past any tabular contract).
 */
export const PROBE_ROWS = 8;
/** The probe's first batch; the second has the rest, so a stride of either batch's length shows. */
const FIRST_BATCH_ROWS = 3;

/** The probe scored by one version, the expected answer of its copies. */
export type ProbeScores = readonly Scores[];

/**
 * Probe rows for `columns`, as `/predict` records. A numeric cell is `row + (column + 1) / (columns + 1)`:
 * distinct across the row and small, so a logistic model does not saturate to exactly 0 or 1. A
 * categorical cell takes the column's known categories (sorted) at `(digit + row) mod n`, where
 * `digit` is digit `row` of `column + 1` in base `n`: two columns with `n` categories get different
 * patterns over the rows, and the rows differ from one another. Columns whose categories are unknown
 * are sent as missing (they are fed as text, which no copy changes).
 */
export function probeRecords(columns: readonly InputColumnPlan[]): Record<string, unknown>[] {
  const categories = columns.map((column) =>
    column.kind === 'categorical' && column.categories ? [...column.categories].sort() : [],
  );
  return Array.from({ length: PROBE_ROWS }, (_, row) => {
    const record: Record<string, unknown> = {};
    columns.forEach((column, index) => {
      if (column.kind === 'numeric') {
        record[column.name] = row + (index + 1) / (columns.length + 1);
        return;
      }
      const known = categories[index];
      const n = known.length;
      record[column.name] = n === 0 ? null : known[(digit(index + 1, row, n) + row) % n];
    });
    return record;
  });
}

/** Digit `position` (0 = least significant) of `value` in base `base`. */
function digit(value: number, position: number, base: number): number {
  if (base < 2) return 0;
  return Math.floor(value / base ** position) % base;
}

/**
 * The probe scored by `model` as two batches that share one session call.
 * @throws whatever scoring throws (a probability outside [0, 1], a session error, a joined call that fails)
 */
export async function scoreProbe(
  model: LoadedModel,
  records: readonly Record<string, unknown>[],
): Promise<ProbeScores> {
  const batchOf = (rows: readonly Record<string, unknown>[], first: number) =>
    model.builder.fromRecords(rows, (row, column) => `probe row ${first + row}, column ${column}`);
  return model.scoreTogether([
    batchOf(records.slice(0, FIRST_BATCH_ROWS), 0),
    batchOf(records.slice(FIRST_BATCH_ROWS), FIRST_BATCH_ROWS),
  ]);
}

/** Same labels and bit-identical probabilities, row by row. */
export function sameScores(actual: Scores, expected: Scores): boolean {
  if (actual.probabilities.length !== expected.probabilities.length) return false;
  for (let row = 0; row < actual.probabilities.length; row++) {
    if (
      actual.labels[row] !== expected.labels[row] ||
      !Object.is(actual.probabilities[row], expected.probabilities[row])
    )
      return false;
  }
  return true;
}

export function sameProbeScores(actual: ProbeScores, expected: ProbeScores): boolean {
  return actual.length === expected.length && actual.every((scores, index) => sameScores(scores, expected[index]));
}
