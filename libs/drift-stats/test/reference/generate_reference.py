"""Reference values for libs/drift-stats, computed with scipy and numpy from fixed, seeded inputs.

Run by the test suite (test/scipy-reference.spec.ts) through the pinned interpreter in CHURN_PYTHON;
it prints one JSON document on stdout holding every input and the value scipy/numpy give for it, so
the TypeScript implementation is checked against an independent implementation on every test run.
"""

import json
import math
import sys

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
EMPTY_BIN_SHARE = 1e-4


def floats(values):
    return [float(v) for v in values]


def ks_cases(rng):
    """ks_2samp(method='auto'): exact below 10 000 values per sample, asymptotic above; ties included."""
    specs = [
        ("exact, equal sizes, no shift", rng.normal(0, 1, 10), rng.normal(0, 1, 10)),
        ("exact, equal sizes, shifted", rng.normal(0, 1, 25), rng.normal(1, 1, 25)),
        ("exact, unequal sizes", rng.normal(0, 1, 8), rng.normal(0.5, 1, 13)),
        ("exact, coprime sizes, shifted", rng.normal(0, 1, 37), rng.normal(0.8, 1.2, 41)),
        ("exact, ties (small integers)", rng.integers(0, 5, 30).astype(float), rng.integers(1, 6, 45).astype(float)),
        ("exact, ties, equal sizes", rng.integers(0, 3, 20).astype(float), rng.integers(0, 3, 20).astype(float)),
        ("exact, identical samples", np.arange(12.0), np.arange(12.0)),
        ("exact, one value each", np.array([1.0]), np.array([2.0])),
        ("exact, disjoint samples", rng.normal(0, 1, 15), rng.normal(50, 1, 9)),
        ("exact, reference-sample size vs window", rng.normal(0, 1, 5000), rng.normal(0.1, 1, 800)),
        ("exact, 1000 vs 1000 with ties", np.round(rng.normal(0, 1, 1000), 1), np.round(rng.normal(0.05, 1, 1000), 1)),
        ("exact, 10000 vs 1000", rng.exponential(1, 10000), rng.exponential(1.1, 1000)),
        ("asymptotic, n≈571, small shift", rng.normal(0, 1, 12000), rng.normal(0.0, 1, 600)),
        ("asymptotic, n≈571, moderate shift", rng.normal(0, 1, 12000), rng.normal(0.1, 1, 600)),
        ("asymptotic, n≈571, large shift", rng.normal(0, 1, 12000), rng.normal(0.4, 1, 600)),
        ("asymptotic, n=100 (≤140 branch)", rng.normal(0, 1, 20000), rng.normal(0.1, 1, 100)),
        ("asymptotic, n=100, shifted", rng.normal(0, 1, 20000), rng.normal(0.3, 1, 100)),
        ("asymptotic, large samples", rng.normal(0, 1, 15000), rng.normal(0.02, 1, 11000)),
        ("asymptotic, ties", rng.integers(0, 10, 12000).astype(float), rng.integers(0, 11, 3000).astype(float)),
    ]
    cases = []
    for name, reference, current in specs:
        result = stats.ks_2samp(reference, current, method="auto")
        exact = max(len(reference), len(current)) <= 10000
        cases.append({
            "name": name,
            "reference": floats(reference),
            "current": floats(current),
            "statistic": float(result.statistic),
            "p_value": float(result.pvalue),
            "method": "exact" if exact else "asymptotic",
        })
    return cases


def kolmogorov_cases():
    """kstwo.sf(x, n) over a grid reaching every branch of Simard & L'Ecuyer's selection."""
    cases = []
    for n in [1, 5, 20, 100, 140, 141, 571, 5000, 120000]:
        for nx2 in [0.3, 0.7, 1.0, 2.0, 3.5, 5.0, 20.0, 100.0]:
            x = math.sqrt(nx2 / n)
            if x < 1:
                cases.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
        for x in [0.6 / n, 0.55, 0.8, 1 - 0.5 / n]:
            if 0 < x < 1:
                cases.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    return cases


def smirnov_cases():
    return [
        {"n": n, "x": x, "sf": float(special.smirnov(n, x))}
        for n in [1, 2, 10, 57, 300, 4000]
        for x in [0.01, 0.05, 0.1, 0.3, 0.5, 0.9]
    ]


def gamma_cases():
    pairs = [(0.5, 0.1), (0.5, 3.0), (1.0, 2.0), (2.5, 1.0), (2.5, 40.0), (10.0, 5.0), (10.0, 30.0),
             (50.0, 45.0), (50.0, 120.0), (150.0, 170.0), (0.5, 200.0), (3.0, 3.9999)]
    return [{"a": a, "x": x, "q": float(special.gammaincc(a, x)), "log_gamma_a": float(special.gammaln(a))}
            for a, x in pairs]


def chi_square_sf_cases():
    return [{"x": x, "df": df, "sf": float(stats.chi2.sf(x, df))}
            for df in [1, 2, 3, 7, 24, 99]
            for x in [0.01, 0.5, 1.0, 3.84, 10.0, 60.0, 250.0]]


def chi_square_cases(rng):
    specs = [
        ("balanced", [30, 70], [0.5, 0.5]),
        ("three levels plus other, no shift", [48, 31, 19, 2], [0.5, 0.3, 0.2, 0.0001]),
        ("shifted", [20, 50, 30], [0.6, 0.3, 0.1]),
        ("reference counts as frequencies", [120, 340, 95, 7], [2000, 5100, 1500, 90]),
        ("many levels", list(rng.integers(5, 60, 20)), list(rng.integers(50, 600, 20))),
        ("far in the tail", [500, 10, 10], [0.1, 0.45, 0.45]),
    ]
    cases = []
    for name, observed, frequencies in specs:
        observed = np.asarray(observed, dtype=float)
        frequencies = np.asarray(frequencies, dtype=float)
        expected = frequencies / frequencies.sum() * observed.sum()
        result = stats.chisquare(observed, expected)
        cases.append({"name": name, "observed": floats(observed), "frequencies": floats(frequencies),
                      "statistic": float(result.statistic), "p_value": float(result.pvalue),
                      "degrees_of_freedom": len(observed) - 1})
    return cases


def jensen_shannon_cases(rng):
    specs = [
        ("disjoint", [1, 0], [0, 1]),
        ("identical", [3, 5, 2], [0.3, 0.5, 0.2]),
        ("close", [0.5, 0.3, 0.2], [0.45, 0.35, 0.2]),
        ("with empty categories", [10, 0, 5, 3], [2, 4, 0, 3]),
        ("random counts", list(rng.integers(0, 100, 12)), list(rng.integers(0, 100, 12))),
    ]
    return [{"name": name, "p": floats(p), "q": floats(q), "distance": float(distance.jensenshannon(p, q))}
            for name, p, q in specs]


def wasserstein_cases(rng):
    specs = [
        ("small", [0.0, 1.0, 3.0], [5.0, 6.0, 8.0]),
        ("ties", rng.integers(0, 5, 40).astype(float), rng.integers(0, 6, 25).astype(float)),
        ("reference sample vs big window", rng.normal(10, 3, 5000), rng.normal(10.6, 3, 4000)),
        ("skewed", rng.exponential(2, 700), rng.exponential(2.5, 1300)),
        ("identical", np.arange(50.0), np.arange(50.0)),
    ]
    cases = []
    for name, reference, current in specs:
        reference = np.asarray(reference, dtype=float)
        current = np.asarray(current, dtype=float)
        raw = stats.wasserstein_distance(reference, current)
        cases.append({"name": name, "reference": floats(reference), "current": floats(current),
                      "distance": float(raw), "reference_std": float(np.std(reference)),
                      "reference_mean": float(np.mean(reference)),
                      "normalized": float(raw / np.std(reference))})
    return cases


def quantile_cases(rng):
    specs = [
        ("normal", rng.normal(0, 1, 1001)),
        ("heavy ties at zero", np.concatenate([np.zeros(600), rng.uniform(0, 10, 400)])),
        ("integers", rng.integers(0, 73, 7043).astype(float)),
        ("tiny", np.array([3.0, 1.0, 2.0])),
        ("constant", np.full(10, 4.5)),
        ("charges", np.round(rng.uniform(18.25, 118.75, 2000), 2)),
    ]
    cases = []
    for name, values in specs:
        quantiles = np.quantile(values, DECILES)
        cases.append({"name": name, "values": floats(values), "deciles": floats(quantiles),
                      "edges": floats(np.unique(quantiles))})
    return cases


def shares_with_floor(counts):
    counts = np.asarray(counts, dtype=float)
    shares = counts / counts.sum()
    return np.where(counts == 0, EMPTY_BIN_SHARE, shares)


def psi(reference_counts, current_counts):
    expected = shares_with_floor(reference_counts)
    actual = shares_with_floor(current_counts)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi_cases(rng):
    """PSI computed independently: numpy decile edges, np.digitize bins, the formula in numpy."""
    specs = [
        ("no shift", rng.normal(50, 10, 5000), rng.normal(50, 10, 800)),
        ("shifted", rng.normal(50, 10, 5000), rng.normal(56, 10, 800)),
        ("heavy ties, empty live bins", np.concatenate([np.zeros(3000), rng.uniform(1, 72, 4000)]), rng.uniform(30, 40, 300)),
    ]
    cases = []
    for name, reference, current in specs:
        edges = np.unique(np.quantile(reference, DECILES))
        reference_counts = np.bincount(np.digitize(reference, edges, right=True), minlength=len(edges) + 1)
        current_counts = np.bincount(np.digitize(current, edges, right=True), minlength=len(edges) + 1)
        cases.append({"name": name, "reference": floats(reference), "current": floats(current),
                      "edges": floats(edges), "reference_counts": [int(c) for c in reference_counts],
                      "current_counts": [int(c) for c in current_counts],
                      "psi": psi(reference_counts, current_counts)})
    categorical = [
        ("categories, no shift", [500, 300, 200, 0], [52, 29, 19, 0]),
        ("categories, unseen level in live data", [500, 300, 200, 0], [30, 30, 30, 10]),
    ]
    for name, reference_counts, current_counts in categorical:
        cases.append({"name": name, "reference_counts": reference_counts, "current_counts": current_counts,
                      "psi": psi(reference_counts, current_counts)})
    return cases


def training_statistics_case(rng):
    """Numeric columns with missing values (None), summarised by numpy as buildTrainingStatistics should."""
    tenure = rng.integers(0, 73, 3000).astype(float)
    tenure[:400] = 0.0
    charges = np.round(rng.gamma(2.0, 900.0, 3000), 2)
    columns = {"tenure": tenure, "total_charges": charges}
    missing = {"tenure": rng.random(3000) < 0.02, "total_charges": rng.random(3000) < 0.1}
    expected = {}
    for name, values in columns.items():
        present = values[~missing[name]]
        edges = np.unique(np.quantile(present, DECILES))
        expected[name] = {
            "count": int(present.size), "missing_share": float(missing[name].mean()),
            "mean": float(np.mean(present)), "std": float(np.std(present)),
            "min": float(np.min(present)), "max": float(np.max(present)),
            "bin_edges": floats(edges),
            "bin_counts": [int(c) for c in np.bincount(np.digitize(present, edges, right=True), minlength=len(edges) + 1)],
        }
    cells = {name: [None if missing[name][i] else float(v) for i, v in enumerate(values)] for name, values in columns.items()}
    return {"columns": cells, "expected": expected}


def main():
    rng = np.random.default_rng(20240607)
    document = {
        "versions": {"numpy": np.__version__, "scipy": __import__("scipy").__version__},
        "empty_bin_share": EMPTY_BIN_SHARE,
        "ks": ks_cases(rng),
        "kolmogorov": kolmogorov_cases(),
        "smirnov": smirnov_cases(),
        "gamma": gamma_cases(),
        "chi_square_sf": chi_square_sf_cases(),
        "chi_square": chi_square_cases(rng),
        "jensen_shannon": jensen_shannon_cases(rng),
        "wasserstein": wasserstein_cases(rng),
        "quantiles": quantile_cases(rng),
        "psi": psi_cases(rng),
        "training_statistics": training_statistics_case(rng),
    }
    json.dump(document, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
