/**
 * The served probabilities of each A/B arm as equal-width histograms over [0, 1], with the share of
 * positive answers: what registry-admin's rollout guards compare between champion and challenger
 * (PSI on the bins, the positive rate) without reading the prediction store themselves.
 */
import { InputError } from '../model/model-errors';
import type { StoredPrediction } from '../prediction-log';

export interface ArmScoresJson {
  count: number;
  /** Rows answered 1. */
  positives: number;
  /** Rows per bin: bin i holds probabilities in [i/bins, (i+1)/bins), the last one includes 1. */
  counts: number[];
}

export interface ScoreDistributionsJson {
  bins: number;
  champion: ArmScoresJson;
  challenger: ArmScoresJson;
}

export const MAX_SCORE_BINS = 100;

/**
 * Bins the champion's and the challenger's rows (other variants are not part of the split).
 * @throws {InputError} when `bins` is not a whole number from 2 to {@link MAX_SCORE_BINS}
 * @example
 * await scoreDistributions(rowsOf([0.1, 0.9]), 2) // champion { count: 2, positives: 1, counts: [1, 1] }
 */
export async function scoreDistributions(
  rows: AsyncIterable<Pick<StoredPrediction, 'variant' | 'probability' | 'prediction'>>,
  bins: number,
): Promise<ScoreDistributionsJson> {
  if (!Number.isInteger(bins) || bins < 2 || bins > MAX_SCORE_BINS)
    throw new InputError('score_bins', `expected a whole number from 2 to ${MAX_SCORE_BINS}, got ${bins}`);
  const arms = { champion: emptyArm(bins), challenger: emptyArm(bins) };
  for await (const row of rows) {
    if (row.variant !== 'champion' && row.variant !== 'challenger') continue;
    const arm = arms[row.variant];
    arm.count++;
    if (row.prediction === 1) arm.positives++;
    arm.counts[Math.min(bins - 1, Math.max(0, Math.floor(row.probability * bins)))]++;
  }
  return { bins, ...arms };
}

function emptyArm(bins: number): ArmScoresJson {
  return { count: 0, positives: 0, counts: new Array<number>(bins).fill(0) };
}
