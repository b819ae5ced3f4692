// The probe a serving copy must score exactly as the original: any two inputs of a kind differ in some
// row (a copy feeding one to the other would answer differently), rows differ, and every cell is one
// the request path takes.
import { FeatureBatchBuilder } from './feature-batch';
import type { InputColumnPlan } from './model-contract';
import { PROBE_ROWS, probeRecords } from './serving-copy-check';

function numeric(name: string): InputColumnPlan {
  return { name, kind: 'numeric', tensorType: 'float32', columnVector: false, required: true, categories: undefined };
}

function categorical(name: string, categories: string[] | undefined): InputColumnPlan {
  return {
    name,
    kind: 'categorical',
    tensorType: 'string',
    columnVector: false,
    required: true,
    categories: categories && new Set(categories),
  };
}

describe('probeRecords', () => {
  const columns: InputColumnPlan[] = [
    numeric('tenure'),
    numeric('MonthlyCharges'),
    numeric('TotalCharges'),
    // More two-category columns than the Telco model has, so the digit patterns run past one row.
    ...Array.from({ length: 40 }, (_, index) => categorical(`yes_no_${index}`, ['Yes', 'No'])),
    ...Array.from({ length: 6 }, (_, index) => categorical(`three_${index}`, ['DSL', 'Fiber optic', 'No'])),
    categorical('free_text', undefined),
  ];
  const records = probeRecords(columns);

  it('gives every pair of inputs fed alike a row where they differ, and no two rows alike', () => {
    expect(records).toHaveLength(PROBE_ROWS);
    const alike = (a: InputColumnPlan, b: InputColumnPlan) =>
      a.kind === b.kind && [...(a.categories ?? [])].sort().join() === [...(b.categories ?? [])].sort().join();
    const neverDiffering: string[] = [];
    for (const [i, a] of columns.entries()) {
      for (const b of columns.slice(i + 1)) {
        if (!alike(a, b) || (a.kind === 'categorical' && a.categories === undefined)) continue;
        if (records.every((record) => record[a.name] === record[b.name])) neverDiffering.push(`${a.name}/${b.name}`);
      }
    }
    expect(neverDiffering).toEqual([]);
    const rows = new Set(records.map((record) => JSON.stringify(record)));
    expect(rows.size).toBe(PROBE_ROWS);
    // Numeric cells differ within each row too (a swap of two numeric inputs shows in every row).
    for (const record of records)
      expect(new Set(['tenure', 'MonthlyCharges', 'TotalCharges'].map((name) => record[name])).size).toBe(3);
  });

  it('uses only known categories (missing where none are known), which the request path takes without warnings', () => {
    for (const record of records) {
      for (const column of columns) {
        if (column.kind === 'numeric') expect(typeof record[column.name]).toBe('number');
        else if (column.categories) expect(column.categories.has(record[column.name] as string)).toBe(true);
        else expect(record[column.name]).toBeNull();
      }
    }
    const batch = new FeatureBatchBuilder(columns).fromRecords(records, (row, column) => `${row}.${column}`);
    expect(batch.rowCount).toBe(PROBE_ROWS);
    expect(batch.rowWarnings).toBeUndefined();
    expect(batch.batchWarnings).toEqual([]);
  });
});
