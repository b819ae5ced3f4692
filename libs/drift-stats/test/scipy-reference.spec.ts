import {
  buildTrainingStatistics,
  chiSquareGoodnessOfFit,
  chiSquareSurvival,
  countNumericBins,
  decileEdges,
  jensenShannonDistance,
  kolmogorovSmirnovTwoSample,
  kolmogorovSurvival,
  logGamma,
  mean,
  normalizedWassersteinDistance,
  populationStabilityIndex,
  populationStandardDeviation,
  PSI_EMPTY_BIN_SHARE,
  quantile,
  regularizedUpperGamma,
  smirnovSurvival,
  wassersteinDistance,
} from '../src';
import { loadPythonReference } from './support/python-reference';
import { expectAllWithin, expectWithin } from './support/within-tolerance';

interface Reference {
  empty_bin_share: number;
  ks: {
    name: string;
    reference: number[];
    current: number[];
    statistic: number;
    p_value: number;
    method: 'exact' | 'asymptotic';
  }[];
  kolmogorov: { n: number; x: number; sf: number }[];
  smirnov: { n: number; x: number; sf: number }[];
  gamma: { a: number; x: number; q: number; log_gamma_a: number }[];
  chi_square_sf: { x: number; df: number; sf: number }[];
  chi_square: {
    name: string;
    observed: number[];
    frequencies: number[];
    statistic: number;
    p_value: number;
    degrees_of_freedom: number;
  }[];
  jensen_shannon: { name: string; p: number[]; q: number[]; distance: number }[];
  wasserstein: {
    name: string;
    reference: number[];
    current: number[];
    distance: number;
    reference_std: number;
    reference_mean: number;
    normalized: number;
  }[];
  quantiles: { name: string; values: number[]; deciles: number[]; edges: number[] }[];
  psi: {
    name: string;
    reference?: number[];
    current?: number[];
    edges?: number[];
    reference_counts: number[];
    current_counts: number[];
    psi: number;
  }[];
  training_statistics: {
    columns: Record<string, (number | null)[]>;
    expected: Record<
      string,
      {
        count: number;
        missing_share: number;
        mean: number;
        std: number;
        min: number;
        max: number;
        bin_edges: number[];
        bin_counts: number[];
      }
    >;
  };
}

/*
 * Tolerances, and why:
 * - EXACT (0): the KS statistic (the same integer divisions and one subtraction), numpy's linear
 *   quantiles (the same interpolation formula, branch included) and bin counts are the same floating-
 *   point operations as numpy/scipy, so they must agree to the last bit.
 * - SAME_ALGORITHM (1e-12 relative): exact KS p-values (scipy's recursions ported operation for
 *   operation; the compiled original may contract multiply-adds), chi-square statistics and PSI (sums
 *   in another order: numpy sums pairwise, we sum left to right; a few hundred terms cost < 1e-13).
 * - SUMS (2e-12 relative): Wasserstein, mean and std sum up to 9 000 terms left to right where numpy
 *   sums pairwise; the worst-case bound n·ε ≈ 9 000 × 1.1e-16 ≈ 1e-12.
 * - SERIES (1e-12 relative): the incomplete gamma function from Numerical Recipes' series / continued
 *   fraction (stopped at 1e-16 relative) against cephes' igamc; the prefactor e^(−x + a ln x − ln Γ(a))
 *   for x ≤ 250 carries about x·ε ≈ 3e-14 of rounding. Observed worst case: 3e-14.
 * - LOG_SPACE (1e-9 relative): the one-sided Smirnov distribution (and the Kolmogorov distribution
 *   where it uses it, hence asymptotic KS p-values) sums C(n, j)(…)ⁿ⁻ʲ(…)ʲ⁻¹ in log space; ln C(n, j)
 *   comes from ln Γ values near n ln n (1.3e6 for n = 120 000) whose last bit is worth ~2e-10, while
 *   scipy's cephes works in double-double. Observed worst case: 2.3e-10 at n = 120 000, 4e-12 at n = 5 000.
 *   Plus 1e-300 absolute: results in the subnormal range (smirnov(4000, 0.3) ≈ 4.6e-320) keep only a
 *   few significant bits in any implementation, and a p-value that small means "drift" either way.
 * - The Durbin matrix power uses plain loops where scipy uses BLAS and long-double rescaling; that
 *   error is far below LOG_SPACE.
 */
const EXACT = { relative: 0 };
const SAME_ALGORITHM = { relative: 1e-12 };
const SUMS = { relative: 2e-12, absolute: 1e-15 };
const SERIES = { relative: 1e-12 };
const LOG_SPACE = { relative: 1e-9, absolute: 1e-300 };

describe('drift statistics against scipy/numpy (test/reference/generate_reference.py)', () => {
  let reference: Reference;

  beforeAll(() => {
    reference = loadPythonReference<Reference>();
  });

  it('uses PSI_EMPTY_BIN_SHARE as the generator does', () => {
    expect(PSI_EMPTY_BIN_SHARE).toBe(reference.empty_bin_share);
  });

  it('matches ks_2samp(method="auto"): statistic, p-value and the exact/asymptotic choice', () => {
    expect(reference.ks.length).toBeGreaterThan(15);
    for (const c of reference.ks) {
      const result = kolmogorovSmirnovTwoSample(c.reference, c.current);
      expect(`${c.name}: ${result.method}`).toBe(`${c.name}: ${c.method}`);
      expectWithin(result.statistic, c.statistic, EXACT, `${c.name} statistic`);
      expectWithin(result.pValue, c.p_value, c.method === 'exact' ? SAME_ALGORITHM : LOG_SPACE, `${c.name} p-value`);
    }
  });

  it('matches kstwo.sf over every branch of the Kolmogorov distribution', () => {
    for (const c of reference.kolmogorov) {
      expectWithin(kolmogorovSurvival(c.n, c.x), c.sf, LOG_SPACE, `kstwo.sf(${c.x}, ${c.n})`);
    }
  });

  it('matches scipy.special.smirnov', () => {
    for (const c of reference.smirnov) {
      expectWithin(smirnovSurvival(c.n, c.x), c.sf, LOG_SPACE, `smirnov(${c.n}, ${c.x})`);
    }
  });

  it('matches gammaincc and gammaln', () => {
    for (const c of reference.gamma) {
      expectWithin(regularizedUpperGamma(c.a, c.x), c.q, SERIES, `gammaincc(${c.a}, ${c.x})`);
      // ln Γ is compared absolutely: its value may be 0 (a = 1, 2), and only e^(ln Γ) is ever used.
      expectWithin(logGamma(c.a), c.log_gamma_a, { absolute: 1e-13 }, `gammaln(${c.a})`);
    }
  });

  it('matches chi2.sf', () => {
    for (const c of reference.chi_square_sf) {
      expectWithin(chiSquareSurvival(c.x, c.df), c.sf, SERIES, `chi2.sf(${c.x}, ${c.df})`);
    }
  });

  it('matches chisquare(observed, scaled reference frequencies)', () => {
    for (const c of reference.chi_square) {
      const result = chiSquareGoodnessOfFit(c.observed, c.frequencies);
      expectWithin(result.statistic, c.statistic, SAME_ALGORITHM, `${c.name} statistic`);
      expectWithin(result.pValue, c.p_value, SERIES, `${c.name} p-value`);
      expect(result.degreesOfFreedom).toBe(c.degrees_of_freedom);
    }
  });

  it("matches jensenshannon (natural log, scipy's default base)", () => {
    for (const c of reference.jensen_shannon) {
      expectWithin(jensenShannonDistance(c.p, c.q), c.distance, SUMS, c.name);
    }
  });

  it('matches wasserstein_distance and its normalisation by np.std(reference)', () => {
    for (const c of reference.wasserstein) {
      expectWithin(wassersteinDistance(c.reference, c.current), c.distance, SUMS, `${c.name} W1`);
      expectWithin(mean(c.reference), c.reference_mean, SUMS, `${c.name} mean`);
      expectWithin(populationStandardDeviation(c.reference), c.reference_std, SUMS, `${c.name} std`);
      expectWithin(
        normalizedWassersteinDistance(c.reference, c.current, populationStandardDeviation(c.reference)),
        c.normalized,
        SUMS,
        `${c.name} normalised`,
      );
    }
  });

  it('matches np.quantile deciles and their deduplicated edges bit for bit', () => {
    for (const c of reference.quantiles) {
      c.deciles.forEach((expected, i) => {
        expectWithin(quantile(c.values, (i + 1) / 10), expected, EXACT, `${c.name} q${i + 1}`);
      });
      expectAllWithin(decileEdges(c.values), c.edges, EXACT, `${c.name} edges`);
    }
  });

  it('matches PSI computed independently in numpy (np.digitize bins, floored shares)', () => {
    for (const c of reference.psi) {
      if (c.reference && c.current && c.edges) {
        expectAllWithin(decileEdges(c.reference), c.edges, EXACT, `${c.name} edges`);
        expectAllWithin(
          countNumericBins(c.reference, c.edges),
          c.reference_counts,
          EXACT,
          `${c.name} reference counts`,
        );
        expectAllWithin(countNumericBins(c.current, c.edges), c.current_counts, EXACT, `${c.name} current counts`);
      }
      expectWithin(
        populationStabilityIndex(c.reference_counts, c.current_counts),
        c.psi,
        SAME_ALGORITHM,
        `${c.name} PSI`,
      );
    }
  });

  it('builds training statistics that numpy agrees with (missing values left out)', () => {
    const { columns, expected } = reference.training_statistics;
    const stats = buildTrainingStatistics(columns, { numeric: Object.keys(columns), categorical: [] });
    for (const [name, want] of Object.entries(expected)) {
      const got = stats.numeric[name];
      expect(got.count).toBe(want.count);
      expectWithin(got.missing_share, want.missing_share, SAME_ALGORITHM, `${name} missing_share`);
      expectWithin(got.mean, want.mean, SUMS, `${name} mean`);
      expectWithin(got.std, want.std, SUMS, `${name} std`);
      expectWithin(got.min, want.min, EXACT, `${name} min`);
      expectWithin(got.max, want.max, EXACT, `${name} max`);
      expectAllWithin(got.bin_edges, want.bin_edges, EXACT, `${name} bin_edges`);
      expectAllWithin(got.bin_counts, want.bin_counts, EXACT, `${name} bin_counts`);
      expect(got.sample).toHaveLength(Math.min(want.count, 5000));
    }
  });
});
