/**
 * The rollout guards: what a step's window must show before the candidate gets more traffic. Each
 * compares the candidate (challenger) with the champion over the same window and says `pass`,
 * `breach` (revert now) or `insufficient` (hold the step: too little data to say either).
 */
import { populationStabilityIndex, sampleRatioMismatch, twoProportionZTest } from '@churn/drift-stats';

import { latencyQuantile, type TrafficFigures } from './replica-figures';

export type GuardName = 'error_rate' | 'latency_p99' | 'score_psi' | 'positive_rate' | 'sample_ratio' | 'f1';

/** Thresholds; every one has a default and may be overridden per rollout. */
export interface GuardSettings {
  /** Candidate error rate minus the champion's, at most. */
  max_error_rate_increase: number;
  /** Candidate p99 latency at most champion p99 × this, plus `latency_slack_ms`. */
  max_latency_p99_ratio: number;
  latency_slack_ms: number;
  /** PSI of the candidate's probabilities against the champion's, at most. */
  max_score_psi: number;
  /** |candidate − champion| share of positive answers, at most (a breach also needs the z-test below). */
  max_positive_rate_difference: number;
  /** Significance level of the two-proportion z-test that a positive-rate difference must also pass. */
  positive_rate_alpha: number;
  /** Logged predictions each arm needs before the score guards decide. */
  min_scores: number;
  /** The sample-ratio check's significance level. */
  srm_alpha: number;
  /** Breach when the F1 difference's whole interval lies below −this. */
  max_f1_drop: number;
  /** Labelled predictions each arm needs before the F1 guard decides; below it the guard does not apply. */
  min_labels: number;
}

export const DEFAULT_GUARDS: GuardSettings = {
  max_error_rate_increase: 0.01,
  max_latency_p99_ratio: 1.5,
  latency_slack_ms: 25,
  max_score_psi: 0.2,
  max_positive_rate_difference: 0.1,
  positive_rate_alpha: 0.01,
  min_scores: 50,
  srm_alpha: 0.001,
  max_f1_drop: 0.02,
  min_labels: 30,
};

export interface GuardVerdict {
  guard: GuardName;
  /** `not_applicable`: F1 before enough labels came back (it neither holds nor passes the step). */
  status: 'pass' | 'breach' | 'insufficient' | 'not_applicable';
  value: number | null;
  threshold: number;
  detail: string;
}

/** The part of inference-api's `/ab/report?score_bins=N` the guards read. */
export interface ReportFigures {
  score_distributions: {
    bins: number;
    champion: { count: number; positives: number; counts: number[] };
    challenger: { count: number; positives: number; counts: number[] };
  } | null;
  comparison: {
    champion: { labelled: number };
    challenger: { labelled: number };
    differences: { metric: string; difference: number | null; lower: number | null; upper: number | null }[];
  };
}

export interface GuardInput {
  traffic: TrafficFigures;
  /** The report over the same window; null when no replica answered it. */
  report: ReportFigures | null;
  share: number;
  /** Requests each arm needs before the traffic guards decide. */
  minRequests: number;
  settings: GuardSettings;
}

/** Every guard's verdict over one window. Inputs are not modified. */
export function evaluateGuards(input: GuardInput): GuardVerdict[] {
  return [errorRate(input), latency(input), scorePsi(input), positiveRate(input), sampleRatio(input), f1(input)];
}

/** The step's outcome: the first breach reverts; any insufficient guard holds; else it passes. */
export function stepDecision(verdicts: readonly GuardVerdict[]): 'pass' | 'breach' | 'hold' {
  if (verdicts.some((verdict) => verdict.status === 'breach')) return 'breach';
  if (verdicts.some((verdict) => verdict.status === 'insufficient')) return 'hold';
  return 'pass';
}

function enoughRequests({ traffic, minRequests }: GuardInput): string | null {
  const unreachable = traffic.unreachable.length > 0 ? `; unreachable: ${traffic.unreachable.join(', ')}` : '';
  if (traffic.champion.requests < minRequests || traffic.challenger.requests < minRequests || unreachable)
    return `champion ${traffic.champion.requests} and candidate ${traffic.challenger.requests} requests, ${minRequests} needed each${unreachable}`;
  return null;
}

function errorRate(input: GuardInput): GuardVerdict {
  const threshold = input.settings.max_error_rate_increase;
  const missing = enoughRequests(input);
  if (missing) return { guard: 'error_rate', status: 'insufficient', value: null, threshold, detail: missing };
  const { champion, challenger } = input.traffic;
  const candidateRate = challenger.errors / challenger.requests;
  const championRate = champion.errors / champion.requests;
  const increase = candidateRate - championRate;
  return {
    guard: 'error_rate',
    status: increase > threshold ? 'breach' : 'pass',
    value: increase,
    threshold,
    detail: `candidate ${challenger.errors}/${challenger.requests} failed (${pct(candidateRate)}), champion ${champion.errors}/${champion.requests} (${pct(championRate)}); increase ${pct(increase)}, allowed ${pct(threshold)}`,
  };
}

function latency(input: GuardInput): GuardVerdict {
  const { max_latency_p99_ratio: ratio, latency_slack_ms: slack } = input.settings;
  const missing = enoughRequests(input);
  const candidate = latencyQuantile(input.traffic.challenger.latencyBuckets, 0.99);
  const champion = latencyQuantile(input.traffic.champion.latencyBuckets, 0.99);
  if (missing || candidate === null || champion === null)
    return {
      guard: 'latency_p99',
      status: 'insufficient',
      value: null,
      threshold: ratio,
      detail: missing ?? 'no latency observed',
    };
  const limit = champion * ratio + slack / 1000;
  // p99 above the limit means more than 1 % of the candidate's answers slower than it. A step window
  // holds a few hundred answers, so its p99 is about its slowest two or three: one stall on a busy
  // host would breach. The guard breaches only when the answers not shown to be within the limit are
  // significantly more than 1 % (one-sided binomial test at LATENCY_ALPHA).
  const slow = slowerThan(input.traffic.challenger.latencyBuckets, limit);
  const requests = input.traffic.challenger.requests;
  const pValue = binomialTail(slow, requests, 0.01);
  return {
    guard: 'latency_p99',
    status: pValue < LATENCY_ALPHA ? 'breach' : 'pass',
    value: candidate,
    threshold: limit,
    detail: `candidate p99 ≤ ${ms(candidate)}, champion p99 ≤ ${ms(champion)}; limit ${ms(limit)} (× ${ratio} + ${slack} ms); ${slow}/${requests} candidate answers not within it, binomial p = ${pValue.toPrecision(3)} against 1 % (breach below ${LATENCY_ALPHA})`,
  };
}

/** Significance of the latency guard's test that more than 1 % of candidate answers exceed the limit. */
export const LATENCY_ALPHA = 0.001;

/** Observations not shown to be at most `limit`: all but those in buckets whose bound is ≤ limit. */
export function slowerThan(buckets: ReadonlyMap<number, number>, limit: number): number {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? (bounds.length > 0 ? (buckets.get(bounds.at(-1) as number) ?? 0) : 0);
  const within = bounds.filter((bound) => bound <= limit).at(-1);
  return total - (within === undefined ? 0 : (buckets.get(within) ?? 0));
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  // P(X < k), summed from the probability of 0 by the pmf's ratio.
  // In logarithms: (1 − p)^n underflows beyond some 70,000 answers.
  let logTerm = n * Math.log1p(-p);
  let below = 0;
  for (let x = 0; x < k; x++) {
    below += Math.exp(logTerm);
    logTerm += Math.log((n - x) / (x + 1)) + Math.log(p / (1 - p));
  }
  return Math.max(0, 1 - below);
}

function scoresOf(input: GuardInput): ReportFigures['score_distributions'] | string {
  const scores = input.report?.score_distributions ?? null;
  if (scores === null) return 'no A/B report with score distributions from any replica';
  const need = input.settings.min_scores;
  if (scores.champion.count < need || scores.challenger.count < need)
    return `champion ${scores.champion.count} and candidate ${scores.challenger.count} logged predictions, ${need} needed each`;
  return scores;
}

/** Each merged bin holds at least this share of both arms' pooled predictions (at most 10 bins). */
const MIN_PSI_BIN_SHARE = 0.1;

/**
 * Adjacent histogram bins merged until each holds at least {@link MIN_PSI_BIN_SHARE} of both arms'
 * predictions: a step's window has tens to hundreds of predictions per arm, and sparse tail bins
 * (one prediction against none) would make the PSI of two identical models exceed any threshold.
 */
export function mergeSparseBins(
  champion: readonly number[],
  challenger: readonly number[],
): { champion: number[]; challenger: number[] } {
  const total = [...champion, ...challenger].reduce((sum, count) => sum + count, 0);
  const need = total * MIN_PSI_BIN_SHARE;
  const merged = { champion: [] as number[], challenger: [] as number[] };
  let pending = [0, 0];
  for (let index = 0; index < champion.length; index++) {
    pending = [pending[0] + champion[index], pending[1] + challenger[index]];
    if (pending[0] + pending[1] >= need) {
      merged.champion.push(pending[0]);
      merged.challenger.push(pending[1]);
      pending = [0, 0];
    }
  }
  if (pending[0] + pending[1] > 0) {
    if (merged.champion.length === 0) return { champion: [pending[0]], challenger: [pending[1]] };
    merged.champion[merged.champion.length - 1] += pending[0];
    merged.challenger[merged.challenger.length - 1] += pending[1];
  }
  return merged;
}

/**
 * PSI beyond what sampling alone gives two identical models: PSI is a symmetric chi-square-like
 * statistic whose expectation under no difference is about (bins − 1) × (1/n₁ + 1/n₂).
 */
export function excessScorePsi(
  champion: readonly number[],
  challenger: readonly number[],
): { psi: number; chance: number; excess: number; bins: number } {
  const merged = mergeSparseBins(champion, challenger);
  const n1 = merged.champion.reduce((sum, count) => sum + count, 0);
  const n2 = merged.challenger.reduce((sum, count) => sum + count, 0);
  const bins = merged.champion.length;
  const psi = bins < 2 ? 0 : populationStabilityIndex(merged.champion, merged.challenger);
  const chance = (bins - 1) * (1 / n1 + 1 / n2);
  return { psi, chance, excess: Math.max(0, psi - chance), bins };
}

function scorePsi(input: GuardInput): GuardVerdict {
  const threshold = input.settings.max_score_psi;
  const scores = scoresOf(input);
  if (typeof scores === 'string' || scores === null)
    return { guard: 'score_psi', status: 'insufficient', value: null, threshold, detail: String(scores) };
  const { psi, chance, excess, bins } = excessScorePsi(scores.champion.counts, scores.challenger.counts);
  return {
    guard: 'score_psi',
    status: excess > threshold ? 'breach' : 'pass',
    value: excess,
    threshold,
    detail: `PSI of candidate probabilities against champion's over ${bins} merged bins (of ${scores.bins}): ${psi.toFixed(4)}, of which ${chance.toFixed(4)} expected from sampling alone (${scores.challenger.count} vs ${scores.champion.count} predictions); excess ${excess.toFixed(4)}, allowed ${threshold}`,
  };
}

/**
 * The candidate's share of positive answers against the champion's: a breach when the difference
 * is larger than the threshold and the pooled two-proportion z-test says it is no sampling accident
 * (p below `positive_rate_alpha`). With 50 predictions per arm a 0.1 difference is within chance, so
 * the threshold alone would revert good candidates.
 */
function positiveRate(input: GuardInput): GuardVerdict {
  const threshold = input.settings.max_positive_rate_difference;
  const alpha = input.settings.positive_rate_alpha;
  const scores = scoresOf(input);
  if (typeof scores === 'string' || scores === null)
    return { guard: 'positive_rate', status: 'insufficient', value: null, threshold, detail: String(scores) };
  const { challenger, champion } = scores;
  const test = twoProportionZTest(challenger.positives, challenger.count, champion.positives, champion.count);
  const difference = Math.abs(test.difference);
  const breach = difference > threshold && test.pValue < alpha;
  return {
    guard: 'positive_rate',
    status: breach ? 'breach' : 'pass',
    value: difference,
    threshold,
    detail: `candidate answers 1 for ${pct(challenger.positives / challenger.count)}, champion for ${pct(champion.positives / champion.count)}; difference ${pct(difference)}, allowed ${pct(threshold)}; two-proportion z = ${test.z.toFixed(2)}, p = ${test.pValue.toPrecision(3)} (a breach needs p < ${alpha})`,
  };
}

function sampleRatio(input: GuardInput): GuardVerdict {
  const alpha = input.settings.srm_alpha;
  const missing = enoughRequests(input);
  if (missing) return { guard: 'sample_ratio', status: 'insufficient', value: null, threshold: alpha, detail: missing };
  const observed = [input.traffic.champion.requests, input.traffic.challenger.requests];
  const check = sampleRatioMismatch(observed, [1 - input.share, input.share], alpha);
  return {
    guard: 'sample_ratio',
    status: check.mismatch ? 'breach' : 'pass',
    value: check.pValue,
    threshold: alpha,
    detail: `requests champion ${observed[0]}, candidate ${observed[1]}, expected share ${pct(input.share)}; chi-square p = ${check.pValue.toPrecision(3)}, mismatch below ${alpha}`,
  };
}

function f1(input: GuardInput): GuardVerdict {
  const threshold = input.settings.max_f1_drop;
  const comparison = input.report?.comparison;
  const need = input.settings.min_labels;
  const f1Difference = comparison?.differences.find((entry) => entry.metric === 'f1');
  if (
    comparison === undefined ||
    comparison.champion.labelled < need ||
    comparison.challenger.labelled < need ||
    f1Difference?.upper == null ||
    f1Difference.difference === null
  ) {
    const labelled = comparison ? `${comparison.champion.labelled} and ${comparison.challenger.labelled}` : 'no';
    return {
      guard: 'f1',
      status: 'not_applicable',
      value: null,
      threshold,
      detail: `${labelled} labelled predictions (champion, candidate), ${need} needed each before F1 is compared`,
    };
  }
  return {
    guard: 'f1',
    status: f1Difference.upper < -threshold ? 'breach' : 'pass',
    value: f1Difference.difference,
    threshold,
    detail: `F1 candidate − champion ${f1Difference.difference.toFixed(4)}, interval [${(f1Difference.lower ?? NaN).toFixed(4)}, ${f1Difference.upper.toFixed(4)}]; breach when the interval lies below −${threshold}`,
  };
}

function pct(value: number): string {
  return `${(value * 100).toFixed(2)} %`;
}

function ms(seconds: number): string {
  return Number.isFinite(seconds) ? `${(seconds * 1000).toFixed(1)} ms` : 'above the largest bucket';
}
