import { chiSquareGoodnessOfFit } from './chi-square';
import { jensenShannonDistance, wassersteinDistanceAndScore } from './distances';
import { DriftInputError } from './errors';
import { kolmogorovSmirnovTwoSample } from './kolmogorov-smirnov';
import { CategoricalFeatureWindow, DriftWindow, FeatureWindow, NumericFeatureWindow } from './live-window';
import { populationStabilityIndex, PSI_EMPTY_BIN_SHARE } from './population-stability-index';
import {
  CategoricalColumnStatistics,
  NumericColumnStatistics,
  referenceCategoryCounts,
  TrainingStatistics,
} from './training-statistics';

/** Thresholds of the drift verdicts. Every field is optional; DRIFT_DEFAULTS documents the defaults. */
export interface DriftOptions {
  /** Largest window (non-missing values) still tested with KS / chi-square; above it the distances are used. */
  largeSampleSize?: number;
  /** KS p-value below which a numeric feature drifts. */
  ksPValueThreshold?: number;
  /** Chi-square p-value below which a categorical feature drifts. */
  chiSquarePValueThreshold?: number;
  /** Normalised Wasserstein score at or above which a numeric feature drifts. */
  wassersteinThreshold?: number;
  /** Jensen–Shannon distance (nats) at or above which a categorical feature drifts. */
  jensenShannonThreshold?: number;
  /** PSI at or above which a feature that passed its test is reported as `warn`. */
  psiWarnThreshold?: number;
  /** PSI at or above which psiBand says `drift`. */
  psiDriftThreshold?: number;
  /** Fewest non-missing window values for any verdict; fewer give `insufficient_data`. */
  minimumWindowSize?: number;
  /** Share of tested features that must drift for the dataset to drift. */
  datasetDriftShare?: number;
  /** Share given to empty bins in PSI. */
  psiEmptyBinShare?: number;
}

/**
 * Defaults, those of Evidently's data drift preset where it has one:
 * - 1000 rows: KS (numeric) and chi-square (categorical) up to it, normalised Wasserstein and
 *   Jensen–Shannon above it, where p-values of tests on huge samples flag negligible differences.
 *   Unlike Evidently, which looks at the reference size, the size is that of the live window
 *   (issue 7), and low-cardinality numeric columns are not switched to chi-square / z-test.
 * - p < 0.05 drifts for KS and chi-square; score ≥ 0.1 drifts for Wasserstein (in reference standard
 *   deviations) and Jensen–Shannon (nats, scipy's default base).
 * - PSI bands 0.1 / 0.25: below 0.1 ok, from 0.1 warn, from 0.25 drift (the usual credit-scoring reading).
 * - 30 values at least: below that KS and chi-square have almost no power and chi-square's asymptotic
 *   distribution is unreliable (expected counts under 5 in most of ten-odd bins), so no verdict is given.
 * - dataset drift when at least half the tested features drift (Evidently's `drift_share` = 0.5).
 */
export const DRIFT_DEFAULTS: Required<DriftOptions> = {
  largeSampleSize: 1000,
  ksPValueThreshold: 0.05,
  chiSquarePValueThreshold: 0.05,
  wassersteinThreshold: 0.1,
  jensenShannonThreshold: 0.1,
  psiWarnThreshold: 0.1,
  psiDriftThreshold: 0.25,
  minimumWindowSize: 30,
  datasetDriftShare: 0.5,
  psiEmptyBinShare: PSI_EMPTY_BIN_SHARE,
};

export type DriftStatus = 'ok' | 'warn' | 'drift' | 'insufficient_data' | 'no_reference';
export type DriftMethod = 'ks' | 'chisquare' | 'wasserstein' | 'jensenshannon';

/** One feature's line of the drift report (the wiring table's schema; null where a field does not apply). */
export interface FeatureDriftReport {
  name: string;
  method: DriftMethod | null;
  /** KS D, chi-square χ², or the raw Wasserstein-1 distance in the feature's units; null for Jensen–Shannon. */
  statistic: number | null;
  /** KS and chi-square. */
  p_value: number | null;
  /** Normalised Wasserstein or Jensen–Shannon distance. */
  score: number | null;
  /** The threshold the p-value or score was compared with. */
  threshold: number | null;
  status: DriftStatus;
  psi: number | null;
}

/** The dataset's verdict. */
export interface DatasetDriftVerdict {
  dataset_drift: boolean;
  /** Names of the features whose status is `drift`. */
  drifted_features: string[];
  /** drifted_features.length over the number of features tested (status ok, warn or drift); 0 when none was. */
  share: number;
}

export interface DriftReport extends DatasetDriftVerdict {
  features: FeatureDriftReport[];
}

function resolveOptions(options: DriftOptions): Required<DriftOptions> {
  const settings = { ...DRIFT_DEFAULTS, ...options };
  for (const [key, value] of Object.entries(settings)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new DriftInputError(`options.${key}`, `must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  if (settings.datasetDriftShare > 1) {
    throw new DriftInputError('options.datasetDriftShare', `must lie in [0, 1], got ${settings.datasetDriftShare}`);
  }
  return settings;
}

/**
 * The PSI band: `ok` below psiWarnThreshold (0.1), `warn` below psiDriftThreshold (0.25), else `drift`.
 *
 * @example
 * psiBand(0.12); // 'warn'
 */
export function psiBand(psi: number, options: DriftOptions = {}): 'ok' | 'warn' | 'drift' {
  const settings = resolveOptions(options);
  if (psi >= settings.psiDriftThreshold) return 'drift';
  return psi >= settings.psiWarnThreshold ? 'warn' : 'ok';
}

function emptyReport(name: string, status: 'insufficient_data' | 'no_reference'): FeatureDriftReport {
  return { name, method: null, statistic: null, p_value: null, score: null, threshold: null, status, psi: null };
}

/** drift when the test says so; otherwise warn when PSI reaches the warn band, else ok. */
function statusOf(drifted: boolean, psi: number, settings: Required<DriftOptions>): DriftStatus {
  if (drifted) return 'drift';
  return psi >= settings.psiWarnThreshold ? 'warn' : 'ok';
}

/**
 * Drift verdict for one numeric feature: KS on the reference sample vs the window's sample while the
 * window holds at most `largeSampleSize` values (drift when p < ksPValueThreshold), else the
 * normalised Wasserstein distance (drift when score ≥ wassersteinThreshold), PSI on the frozen decile
 * bins alongside. Missing values are left out of every test (their share is not a distribution).
 *
 * @throws {DriftInputError} when the window was not built on the reference's bins, or an option is invalid.
 */
export function numericFeatureDrift(
  name: string,
  reference: NumericColumnStatistics | undefined,
  window: NumericFeatureWindow,
  options: DriftOptions = {},
): FeatureDriftReport {
  const settings = resolveOptions(options);
  if (reference === undefined || reference.count === 0 || reference.sample.length === 0) {
    return emptyReport(name, 'no_reference');
  }
  if (
    window.binEdges.length !== reference.bin_edges.length ||
    window.binEdges.some((e, i) => e !== reference.bin_edges[i])
  ) {
    throw new DriftInputError(`window.${name}`, "was not built on the reference's bin edges");
  }
  if (window.valueCount < settings.minimumWindowSize) return emptyReport(name, 'insufficient_data');
  const psi = populationStabilityIndex(reference.bin_counts, window.binCounts, settings.psiEmptyBinShare);
  const current = window.sample;
  if (window.valueCount <= settings.largeSampleSize) {
    const ks = kolmogorovSmirnovTwoSample(reference.sample, current);
    const threshold = settings.ksPValueThreshold;
    return {
      name,
      method: 'ks',
      statistic: ks.statistic,
      p_value: ks.pValue,
      score: null,
      threshold,
      status: statusOf(ks.pValue < threshold, psi, settings),
      psi,
    };
  }
  const threshold = settings.wassersteinThreshold;
  const { distance, normalized: score } = wassersteinDistanceAndScore(reference.sample, current, reference.std);
  return {
    name,
    method: 'wasserstein',
    statistic: distance,
    p_value: null,
    score,
    threshold,
    status: statusOf(score >= threshold, psi, settings),
    psi,
  };
}

/**
 * Drift verdict for one categorical feature over its frozen levels plus "other": chi-square goodness
 * of fit of the window's counts against the training frequencies while the window holds at most
 * `largeSampleSize` values (drift when p < chiSquarePValueThreshold), else the Jensen–Shannon
 * distance (drift when ≥ jensenShannonThreshold), PSI over the same categories alongside.
 *
 * @throws {DriftInputError} when the window was not built on the reference's levels, or an option is invalid.
 */
export function categoricalFeatureDrift(
  name: string,
  reference: CategoricalColumnStatistics | undefined,
  window: CategoricalFeatureWindow,
  options: DriftOptions = {},
): FeatureDriftReport {
  const settings = resolveOptions(options);
  if (reference === undefined || reference.count === 0) return emptyReport(name, 'no_reference');
  if (
    window.levels.length !== reference.levels.length ||
    window.levels.some((level, i) => level !== reference.levels[i])
  ) {
    throw new DriftInputError(`window.${name}`, "was not built on the reference's levels");
  }
  if (window.valueCount < settings.minimumWindowSize) return emptyReport(name, 'insufficient_data');
  const expected = referenceCategoryCounts(reference);
  const observed = window.levelCounts;
  const psi = populationStabilityIndex(expected, observed, settings.psiEmptyBinShare);
  const seen = expected.map((_, i) => i).filter((i) => expected[i] > 0 || observed[i] > 0);
  if (seen.length < 2) {
    return {
      name,
      method: null,
      statistic: null,
      p_value: null,
      score: null,
      threshold: null,
      status: statusOf(false, psi, settings),
      psi,
    };
  }
  if (window.valueCount <= settings.largeSampleSize) {
    const test = chiSquareGoodnessOfFit(observed, expected);
    const threshold = settings.chiSquarePValueThreshold;
    return {
      name,
      method: 'chisquare',
      statistic: test.statistic,
      p_value: test.pValue,
      score: null,
      threshold,
      status: statusOf(test.pValue < threshold, psi, settings),
      psi,
    };
  }
  const threshold = settings.jensenShannonThreshold;
  const score = jensenShannonDistance(expected, observed);
  return {
    name,
    method: 'jensenshannon',
    statistic: null,
    p_value: null,
    score,
    threshold,
    status: statusOf(score >= threshold, psi, settings),
    psi,
  };
}

/**
 * The dataset verdict: drift when the share of drifted features among those tested (ok, warn or
 * drift; insufficient_data and no_reference cannot vote) reaches datasetDriftShare (½). No tested
 * feature means no dataset drift.
 *
 * @example
 * datasetDrift([{ name: 'a', status: 'drift' }, { name: 'b', status: 'ok' }]);
 * // { dataset_drift: true, drifted_features: ['a'], share: 0.5 }
 */
export function datasetDrift(
  features: ReadonlyArray<Pick<FeatureDriftReport, 'name' | 'status'>>,
  options: DriftOptions = {},
): DatasetDriftVerdict {
  const settings = resolveOptions(options);
  const tested = features.filter((f) => f.status === 'ok' || f.status === 'warn' || f.status === 'drift');
  const drifted = tested.filter((f) => f.status === 'drift').map((f) => f.name);
  const share = tested.length === 0 ? 0 : drifted.length / tested.length;
  return { dataset_drift: tested.length > 0 && share >= settings.datasetDriftShare, drifted_features: drifted, share };
}

/**
 * The full drift report of a live window against training statistics: one line per feature of the
 * window (no_reference for every feature when there are no statistics, or for one the statistics
 * lack) and the dataset verdict.
 *
 * @throws {DriftInputError} when a window does not match its reference's bins or levels, or an option is invalid.
 */
export function driftReport(
  reference: TrainingStatistics | undefined,
  window: DriftWindow,
  options: DriftOptions = {},
): DriftReport {
  const features = [...window.features].map(([name, feature]: [string, FeatureWindow]) =>
    feature instanceof NumericFeatureWindow
      ? numericFeatureDrift(name, reference?.numeric[name], feature, options)
      : categoricalFeatureDrift(name, reference?.categorical[name], feature, options),
  );
  return { ...datasetDrift(features, options), features };
}
