/**
 * The champion/challenger report, computed from the prediction store's per-variant aggregates: the
 * numbers are counts from SQL, the statistics come from `@churn/drift-stats` (checked there against
 * scikit-learn, scipy and statsmodels). Framework-free so it can be tested on hand-made aggregates.
 */
import {
  classificationMetrics,
  compareVariantMetrics,
  sampleRatioMismatch,
  type ConfusionCounts,
  type MetricDifference,
} from '@churn/drift-stats';

import type { VariantAggregate } from '../prediction-log';
import type { TrafficSettings } from '../routing/traffic-settings';
import type { ScoreDistributionsJson } from './score-distribution';

/** The sample-ratio check's significance level, fixed by the issue: a split this unlikely is a bug, not luck. */
export const SRM_ALPHA = 0.001;

export type AbVerdict =
  | 'no_experiment'
  | 'sample_ratio_mismatch'
  | 'insufficient_labels'
  | 'challenger_better'
  | 'champion_better'
  | 'mixed'
  | 'no_significant_difference';

export interface MetricsJson {
  count: number;
  labelled: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  confusion: { true_positives: number; false_positives: number; true_negatives: number; false_negatives: number };
}

export interface ShadowJson {
  count: number;
  agreement_rate: number | null;
  /** Mean of challenger − served probability. */
  mean_difference: number | null;
  mean_abs_difference: number | null;
  max_abs_difference: number | null;
}

export interface AbReportJson {
  model: string;
  generated_at: string;
  window: { since: string | null; until: string | null };
  traffic: {
    challenger_share: number | null;
    shadow: boolean;
    salt: string;
    champion_version: string | null;
    challenger_version: string | null;
    problems: string[];
  };
  sample_ratio_mismatch: {
    checked: boolean;
    alpha: number;
    expected_challenger_share: number | null;
    users: { champion: number; challenger: number };
    statistic: number | null;
    p_value: number | null;
    mismatch: boolean;
  };
  variants: (MetricsJson & { variant: string; alias: string; version: string; shadow: ShadowJson | null })[];
  comparison: {
    confidence: number;
    min_labels: number;
    champion: MetricsJson;
    challenger: MetricsJson;
    /** challenger − champion: accuracy, precision and recall with Newcombe's interval, F1 with the delta method's (see compareVariantMetrics). */
    differences: {
      metric: MetricDifference['metric'];
      champion: number | null;
      challenger: number | null;
      difference: number | null;
      lower: number | null;
      upper: number | null;
      significant: boolean;
    }[];
    f1_difference: number | null;
  };
  shadow: ShadowJson;
  verdict: AbVerdict;
  verdict_reason: string;
  /** Each arm's probabilities as a histogram, when asked for with `score_bins`; else null. */
  score_distributions: ScoreDistributionsJson | null;
}

export interface AbReportInput {
  modelName: string;
  aggregates: readonly VariantAggregate[];
  traffic: TrafficSettings;
  /** Distinct users per arm among records routed with the current share; undefined without a share. */
  assignments: { champion: number; challenger: number } | undefined;
  since: number | undefined;
  until: number | undefined;
  confidence: number;
  minLabels: number;
  now: Date;
  scoreDistributions?: ScoreDistributionsJson;
}

/** Builds the report; a sample-ratio mismatch is decided before, and instead of, any verdict on the metrics. */
export function buildAbReport(input: AbReportInput): AbReportJson {
  const { aggregates, traffic, confidence, minLabels } = input;
  const champion = sumCounts(aggregates.filter((entry) => entry.variant === 'champion'));
  const challenger = sumCounts(aggregates.filter((entry) => entry.variant === 'challenger'));
  const differences = compareVariantMetrics(champion.confusion, challenger.confusion, confidence);
  const championMetrics = metricsJson(champion.count, champion.confusion);
  const challengerMetrics = metricsJson(challenger.count, challenger.confusion);

  const srm = srmJson(traffic.challengerShare, input.assignments);
  const { verdict, reason } = decide({
    traffic,
    srm,
    championMetrics,
    challengerMetrics,
    differences,
    minLabels,
    confidence,
  });
  return {
    model: input.modelName,
    generated_at: input.now.toISOString(),
    window: { since: isoOrNull(input.since), until: isoOrNull(input.until) },
    traffic: {
      challenger_share: traffic.challengerShare,
      shadow: traffic.shadow,
      salt: traffic.salt,
      champion_version: traffic.championVersion,
      challenger_version: traffic.challengerVersion,
      problems: traffic.problems,
    },
    sample_ratio_mismatch: srm,
    variants: aggregates.map((entry) => ({
      variant: entry.variant,
      alias: entry.alias,
      version: entry.version,
      ...metricsJson(entry.count, confusionOf(entry)),
      shadow: entry.shadowCount > 0 ? shadowJson([entry]) : null,
    })),
    comparison: {
      confidence,
      min_labels: minLabels,
      champion: championMetrics,
      challenger: challengerMetrics,
      differences: differences.map(({ metric, champion: a, challenger: b, difference, lower, upper, significant }) => ({
        metric,
        champion: a,
        challenger: b,
        difference,
        lower,
        upper,
        significant,
      })),
      f1_difference:
        championMetrics.f1 !== null && challengerMetrics.f1 !== null ? challengerMetrics.f1 - championMetrics.f1 : null,
    },
    shadow: shadowJson(aggregates),
    verdict,
    verdict_reason: reason,
    score_distributions: input.scoreDistributions ?? null,
  };
}

function confusionOf(entry: VariantAggregate): ConfusionCounts {
  return {
    truePositives: entry.truePositives,
    falsePositives: entry.falsePositives,
    trueNegatives: entry.trueNegatives,
    falseNegatives: entry.falseNegatives,
  };
}

function sumCounts(entries: readonly VariantAggregate[]): { count: number; confusion: ConfusionCounts } {
  const confusion: ConfusionCounts = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 };
  let count = 0;
  for (const entry of entries) {
    count += entry.count;
    confusion.truePositives += entry.truePositives;
    confusion.falsePositives += entry.falsePositives;
    confusion.trueNegatives += entry.trueNegatives;
    confusion.falseNegatives += entry.falseNegatives;
  }
  return { count, confusion };
}

function metricsJson(count: number, confusion: ConfusionCounts): MetricsJson {
  const metrics = classificationMetrics(confusion);
  return {
    count,
    labelled: metrics.count,
    accuracy: metrics.accuracy,
    precision: metrics.precision,
    recall: metrics.recall,
    f1: metrics.f1,
    confusion: {
      true_positives: confusion.truePositives,
      false_positives: confusion.falsePositives,
      true_negatives: confusion.trueNegatives,
      false_negatives: confusion.falseNegatives,
    },
  };
}

function shadowJson(entries: readonly VariantAggregate[]): ShadowJson {
  let count = 0;
  let agreements = 0;
  let differenceSum = 0;
  let absDifferenceSum = 0;
  let maxAbs: number | null = null;
  for (const entry of entries) {
    count += entry.shadowCount;
    agreements += entry.shadowAgreements;
    differenceSum += entry.shadowDifferenceSum;
    absDifferenceSum += entry.shadowAbsDifferenceSum;
    if (entry.shadowAbsDifferenceMax !== null) maxAbs = Math.max(maxAbs ?? 0, entry.shadowAbsDifferenceMax);
  }
  if (count === 0)
    return {
      count: 0,
      agreement_rate: null,
      mean_difference: null,
      mean_abs_difference: null,
      max_abs_difference: null,
    };
  return {
    count,
    agreement_rate: agreements / count,
    mean_difference: differenceSum / count,
    mean_abs_difference: absDifferenceSum / count,
    max_abs_difference: maxAbs,
  };
}

function srmJson(
  share: number | null,
  users: { champion: number; challenger: number } | undefined,
): AbReportJson['sample_ratio_mismatch'] {
  const observed = users ?? { champion: 0, challenger: 0 };
  const base = { alpha: SRM_ALPHA, expected_challenger_share: share, users: observed };
  if (share === null || observed.champion + observed.challenger === 0)
    return { ...base, checked: false, statistic: null, p_value: null, mismatch: false };
  const test = sampleRatioMismatch([observed.champion, observed.challenger], [1 - share, share], SRM_ALPHA);
  // A share of 0 that still got users gives an infinite statistic; JSON has no Infinity, so it is said as null with p 0.
  return {
    ...base,
    checked: true,
    statistic: Number.isFinite(test.statistic) ? test.statistic : null,
    p_value: test.pValue,
    mismatch: test.mismatch,
  };
}

function decide(facts: {
  traffic: TrafficSettings;
  srm: AbReportJson['sample_ratio_mismatch'];
  championMetrics: MetricsJson;
  challengerMetrics: MetricsJson;
  differences: MetricDifference[];
  minLabels: number;
  confidence: number;
}): { verdict: AbVerdict; reason: string } {
  const { srm, championMetrics, challengerMetrics, differences, minLabels, confidence } = facts;
  if (srm.mismatch) {
    return {
      verdict: 'sample_ratio_mismatch',
      reason: `the users split ${srm.users.champion}:${srm.users.challenger} (champion:challenger) where a challenger share of ${srm.expected_challenger_share} was configured (chi-square p = ${srm.p_value?.toExponential(2)} < ${SRM_ALPHA}); routing or logging is broken, so the metrics are not compared`,
    };
  }
  if (championMetrics.count === 0 && challengerMetrics.count === 0) {
    return {
      verdict: 'no_experiment',
      reason: 'no prediction in this window was served by the champion or the challenger',
    };
  }
  if (championMetrics.labelled < minLabels || challengerMetrics.labelled < minLabels) {
    return {
      verdict: 'insufficient_labels',
      reason: `each arm needs at least ${minLabels} labelled predictions (champion has ${championMetrics.labelled}, challenger ${challengerMetrics.labelled})`,
    };
  }
  const better = differences
    .filter((entry) => entry.significant && (entry.difference ?? 0) > 0)
    .map((entry) => entry.metric);
  const worse = differences
    .filter((entry) => entry.significant && (entry.difference ?? 0) < 0)
    .map((entry) => entry.metric);
  const level = `${Math.round(confidence * 1000) / 10} %`;
  if (better.length > 0 && worse.length > 0)
    return {
      verdict: 'mixed',
      reason: `the challenger is better on ${better.join(', ')} and worse on ${worse.join(', ')} (${level} intervals)`,
    };
  if (better.length > 0)
    return {
      verdict: 'challenger_better',
      reason: `the challenger is better on ${better.join(', ')} and worse on none (${level} intervals exclude 0)`,
    };
  if (worse.length > 0)
    return {
      verdict: 'champion_better',
      reason: `the challenger is worse on ${worse.join(', ')} and better on none (${level} intervals exclude 0)`,
    };
  return {
    verdict: 'no_significant_difference',
    reason: `every ${level} interval of challenger − champion includes 0`,
  };
}

function isoOrNull(time: number | undefined): string | null {
  return time === undefined ? null : new Date(time).toISOString();
}
