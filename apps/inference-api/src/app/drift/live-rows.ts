/**
 * Model inputs as drift-window rows. The drift reference decides each feature's kind: a numeric
 * feature takes numbers (NaN = missing), a categorical one takes text ('' = missing) and numbers as
 * their decimal text, as the wiring table says categorical columns accept them.
 */
import { parseNumericText } from '@churn/churn-pipeline';
import type { LiveRow, TrainingStatistics } from '@churn/drift-stats';
import type { FeatureBatch } from '../model/feature-batch';

/** A cell as the drift window takes it for `feature` of `reference`; null when missing. */
export function liveCell(reference: TrainingStatistics, feature: string, value: number | string | null | undefined): number | string | null {
  if (value === null || value === undefined) return null;
  if (reference.numeric[feature] !== undefined) {
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    return parseNumericText(value) ?? null;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  return value === '' ? null : value;
}

/** Feeds every row of a scored batch to `add`, features named by `columnNames` (the batch's column order). */
export function forEachLiveRow(reference: TrainingStatistics, columnNames: readonly string[], batch: FeatureBatch, add: (row: LiveRow) => void): void {
  for (let row = 0; row < batch.rowCount; row++) {
    const live: Record<string, number | string | null> = {};
    for (let index = 0; index < columnNames.length; index++) {
      live[columnNames[index]] = liveCell(reference, columnNames[index], batch.columns[index][row]);
    }
    add(live);
  }
}
