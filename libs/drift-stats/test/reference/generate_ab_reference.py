"""Reference values for the champion/challenger statistics of libs/drift-stats (src/lib/ab).

Run by the test suite (test/ab-reference.spec.ts) through the pinned interpreter in CHURN_PYTHON; it
prints one JSON document on stdout holding every input together with the value an independent
implementation gives for it:
- confusion counts and metrics: sklearn.metrics (confusion_matrix, accuracy/precision/recall/f1 with
  zero_division=nan, written as null);
- the normal quantile: scipy.stats.norm.ppf (cephes' ndtri, a different algorithm from AS241);
- Wilson intervals: statsmodels.stats.proportion.proportion_confint(method='wilson');
- Newcombe differences: statsmodels.stats.proportion.confint_proportions_2indep(method='newcomb');
- sample-ratio mismatch: scipy.stats.chisquare;
- two-proportion z-tests: statsmodels.stats.proportion.proportions_ztest (pooled, two-sided);
- champion/challenger differences: sklearn's confusion matrices, then statsmodels' Newcombe interval;
  for F1, sklearn's f1_score and the delta method's Wald interval with the gradient taken numerically
  (central differences) over the multinomial covariance of the four cells, z from scipy.stats.norm.
Every input is fixed or drawn from a seeded generator, so the document is the same on every run.
"""

import json
import math
import sys
import warnings

import numpy as np
from scipy import stats
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

SEED = 20240606
CONFIDENCES = [0.95, 0.9, 0.99, 0.5, 0.999]


def nullable(value):
    value = float(value)
    return None if math.isnan(value) else value


def labels(rng, n, positive_rate, accuracy):
    actual = (rng.random(n) < positive_rate).astype(int)
    flip = rng.random(n) >= accuracy
    predicted = np.where(flip, 1 - actual, actual)
    return actual, predicted


def classification_cases(rng):
    """Label pairs, including one-class and empty-denominator samples where sklearn divides 0 by 0."""
    specs = [
        ("seeded, balanced, n=200", *labels(rng, 200, 0.5, 0.8)),
        ("seeded, churn-like, n=1000", *labels(rng, 1000, 0.27, 0.79)),
        ("seeded, rare positives, n=500", *labels(rng, 500, 0.02, 0.95)),
        ("seeded, tiny n=7", *labels(rng, 7, 0.4, 0.6)),
        ("n=1, true positive", np.array([1]), np.array([1])),
        ("n=1, false negative", np.array([1]), np.array([0])),
        ("n=1, true negative (precision, recall and f1 undefined)", np.array([0]), np.array([0])),
        ("all negatives, none predicted positive", np.zeros(20, int), np.zeros(20, int)),
        ("all negatives, some predicted positive (recall undefined)", np.zeros(10, int), np.array([0, 1] * 5)),
        ("positives, none predicted positive (precision undefined, f1 = 0)", np.array([1, 1, 0, 0, 1]), np.zeros(5, int)),
        ("all correct", np.array([1, 0, 1, 1, 0, 0]), np.array([1, 0, 1, 1, 0, 0])),
        ("all wrong", np.array([1, 0, 1, 1, 0, 0]), np.array([0, 1, 0, 0, 1, 1])),
    ]
    cases = []
    for name, actual, predicted in specs:
        tn, fp, fn, tp = confusion_matrix(actual, predicted, labels=[0, 1]).ravel()
        cases.append({
            "name": name,
            "actual": [int(v) for v in actual],
            "predicted": [int(v) for v in predicted],
            "true_positives": int(tp),
            "false_positives": int(fp),
            "true_negatives": int(tn),
            "false_negatives": int(fn),
            "accuracy": nullable(accuracy_score(actual, predicted)),
            "precision": nullable(precision_score(actual, predicted, labels=[0, 1], pos_label=1, zero_division=np.nan)),
            "recall": nullable(recall_score(actual, predicted, labels=[0, 1], pos_label=1, zero_division=np.nan)),
            "f1": nullable(f1_score(actual, predicted, labels=[0, 1], pos_label=1, zero_division=np.nan)),
        })
    return cases


def quantile_cases(rng):
    """Each branch of AS241: the centre, the near tails (r ≤ 5) and the far tails, on both sides."""
    fixed = [1e-300, 1e-100, 1e-20, 1e-12, 1e-10, 1e-5, 0.001, 0.01, 0.025, 0.05, 0.074, 0.075, 0.076,
             0.1, 0.3, 0.49, 0.5, 0.5000001, 0.51, 0.7, 0.9, 0.924, 0.925, 0.926, 0.95, 0.975, 0.99, 0.999,
             1 - 1e-5, 1 - 1e-10, 1 - 1e-15, 1 - 2 ** -53]
    seeded = list(rng.random(40)) + list(10.0 ** -rng.uniform(1, 200, 20))
    return [{"p": float(p), "z": float(stats.norm.ppf(p))} for p in fixed + seeded]


def proportion_specs(rng):
    fixed = [(0, 1), (1, 1), (0, 10), (10, 10), (1, 10), (9, 10), (8, 10), (3, 7), (1, 2), (0, 1000),
             (1, 1000), (999, 1000), (1000, 1000), (1, 1_000_000), (500_000, 1_000_000), (27, 100), (5, 5000)]
    seeded = []
    for _ in range(20):
        trials = int(rng.integers(1, 5000))
        seeded.append((int(rng.integers(0, trials + 1)), trials))
    return fixed + seeded


def wilson_cases(rng):
    cases = []
    for successes, trials in proportion_specs(rng):
        for confidence in CONFIDENCES:
            lower, upper = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
            cases.append({"successes": successes, "trials": trials, "confidence": confidence,
                          "lower": float(lower), "upper": float(upper)})
    return cases


def newcombe_cases(rng):
    fixed = [
        (56, 70, 48, 80), (0, 10, 0, 10), (10, 10, 10, 10), (0, 10, 10, 10), (10, 10, 0, 10), (1, 1, 0, 1),
        (0, 1, 1, 1), (5, 5, 3, 7), (0, 20, 1, 30), (1, 3, 2, 3), (9, 1000, 1, 10), (900, 1000, 2, 2),
        (4, 10_000, 11, 9_000), (5000, 10_000, 5100, 10_000), (780, 1000, 805, 1000),
    ]
    seeded = []
    for _ in range(20):
        trials1, trials2 = int(rng.integers(1, 3000)), int(rng.integers(1, 3000))
        seeded.append((int(rng.integers(0, trials1 + 1)), trials1, int(rng.integers(0, trials2 + 1)), trials2))
    cases = []
    for successes1, trials1, successes2, trials2 in fixed + seeded:
        for confidence in CONFIDENCES:
            lower, upper = confint_proportions_2indep(successes1, trials1, successes2, trials2, method="newcomb",
                                                      compare="diff", alpha=1 - confidence)
            cases.append({"successes1": successes1, "trials1": trials1, "successes2": successes2,
                          "trials2": trials2, "confidence": confidence,
                          "difference": successes1 / trials1 - successes2 / trials2,
                          "lower": float(lower), "upper": float(upper)})
    return cases


def z_test_cases(rng):
    """Pooled two-proportion z-tests; statsmodels answers NaN when every trial agrees, so those
    (tested apart) are left out."""
    fixed = [
        (60, 100, 40, 100), (56, 70, 48, 80), (1, 1, 0, 1), (5, 5, 3, 7), (9, 1000, 1, 10), (30, 50, 30, 50),
        (4, 10_000, 11, 9_000), (5000, 10_000, 5100, 10_000), (780, 1000, 805, 1000), (120, 400, 20, 60),
        (400, 1000, 100, 1000), (1, 100_000, 60, 100_000),
    ]
    seeded = []
    for _ in range(30):
        trials1, trials2 = int(rng.integers(1, 3000)), int(rng.integers(1, 3000))
        seeded.append((int(rng.integers(0, trials1 + 1)), trials1, int(rng.integers(0, trials2 + 1)), trials2))
    cases = []
    for successes1, trials1, successes2, trials2 in fixed + seeded:
        pooled = (successes1 + successes2) / (trials1 + trials2)
        if pooled in (0.0, 1.0):
            continue
        z, p_value = proportions_ztest([successes1, successes2], [trials1, trials2])
        cases.append({"successes1": successes1, "trials1": trials1, "successes2": successes2,
                      "trials2": trials2, "z": float(z), "p_value": float(p_value)})
    return cases


def srm_cases(rng):
    """scipy's chisquare over the variants with a share or with units: a variant with share 0 and no
    units is dropped first (scipy would divide 0 by 0), the one rule the TypeScript adds."""
    specs = [
        ("50/50, balanced", [5012, 4988], [0.5, 0.5]),
        ("50/50, skewed 51.5/48.5", [5150, 4850], [0.5, 0.5]),
        ("50/50, strongly skewed", [5400, 4600], [0.5, 0.5]),
        ("90/10, matching", [9021, 979], [0.9, 0.1]),
        ("90/10, challenger starved", [9300, 700], [0.9, 0.1]),
        ("three variants 0.8/0.1/0.1", [8000, 1050, 950], [0.8, 0.1, 0.1]),
        ("three variants, one starved", [8200, 1100, 700], [0.8, 0.1, 0.1]),
        ("tiny n", [2, 1], [0.5, 0.5]),
        ("n=1", [1, 0], [0.5, 0.5]),
        ("very unbalanced 0.999/0.001", [99_880, 120], [0.999, 0.001]),
        ("a share of 0 that got units", [990, 10], [1.0, 0.0]),
        ("a share of 0 without units among three", [600, 400, 0], [0.5, 0.5, 0.0]),
        ("shares summing to 1 only in decimal (0.7 + 0.2 + 0.1)", [700, 210, 90], [0.7, 0.2, 0.1]),
    ]
    for i in range(5):
        shares = rng.dirichlet([2, 2, 2]) if i % 2 else rng.dirichlet([3, 3])
        shares = shares / shares.sum()
        observed = rng.multinomial(int(rng.integers(50, 20_000)), shares)
        specs.append((f"seeded multinomial {i}", [int(v) for v in observed], [float(v) for v in shares]))
    cases = []
    for name, observed, shares in specs:
        total = sum(observed)
        kept = [i for i in range(len(observed)) if shares[i] > 0 or observed[i] > 0]
        f_obs = np.array([observed[i] for i in kept], dtype=float)
        f_exp = np.array([shares[i] * total for i in kept])
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            result = stats.chisquare(f_obs, f_exp)
        statistic = float(result.statistic)
        cases.append({
            "name": name,
            "observed": observed,
            "shares": [float(s) for s in shares],
            "statistic": None if math.isinf(statistic) else statistic,
            "statistic_infinite": math.isinf(statistic),
            "p_value": float(result.pvalue),
            "degrees_of_freedom": len(kept) - 1,
            "expected": [float(s * total) for s in shares],
        })
    return cases


def f1_from_cells(cells):
    """F1 of confusion-cell proportions or counts [tn, fp, fn, tp]."""
    tn, fp, fn, tp = cells
    return 2 * tp / (2 * tp + fp + fn)


def f1_delta_variance(cells):
    """Var(F1) by the delta method: a numerical gradient of F1 at the cell proportions p, and the
    multinomial covariance (diag(p) - p p^T) / n of the proportions."""
    n = sum(cells)
    p = np.array(cells, dtype=float) / n
    covariance = (np.diag(p) - np.outer(p, p)) / n
    step = 1e-6
    gradient = np.array([(f1_from_cells(p + step * unit) - f1_from_cells(p - step * unit)) / (2 * step) for unit in np.eye(4)])
    return float(gradient @ covariance @ gradient)


def f1_difference(champion_labels, challenger_labels, champion, challenger, confidence):
    """challenger - champion F1 with the delta method's Wald interval; null bounds where an F1 is
    undefined or exactly 0 or 1 (no spread)."""
    def score(actual, predicted):
        return nullable(f1_score(actual, predicted, zero_division=np.nan))
    entry = {"metric": "f1", "champion": score(*champion_labels), "challenger": score(*challenger_labels),
             "difference": None, "lower": None, "upper": None}
    if entry["champion"] is None or entry["challenger"] is None or entry["champion"] in (0.0, 1.0) or entry["challenger"] in (0.0, 1.0):
        return entry
    difference = entry["challenger"] - entry["champion"]
    half_width = stats.norm.ppf(1 - (1 - confidence) / 2) * math.sqrt(f1_delta_variance(champion) + f1_delta_variance(challenger))
    entry.update(difference=difference, lower=difference - half_width, upper=difference + half_width)
    return entry


def variant_comparison_cases(rng):
    """challenger − champion per metric from sklearn's confusion matrices, each as statsmodels'
    Newcombe interval of two independent proportions (null where either side has no trials)."""
    specs = [
        ("seeded, challenger better", labels(rng, 800, 0.27, 0.76), labels(rng, 700, 0.27, 0.84), 0.95),
        ("seeded, no real difference", labels(rng, 1500, 0.27, 0.8), labels(rng, 1500, 0.27, 0.8), 0.95),
        ("seeded, small challenger, 90 %", labels(rng, 2000, 0.3, 0.78), labels(rng, 40, 0.3, 0.7), 0.9),
        ("challenger predicted no positive (its precision undefined)",
         labels(rng, 100, 0.3, 0.8), (np.array([1, 0, 0, 1, 0]), np.zeros(5, int)), 0.95),
        ("champion saw no positive (its recall undefined)",
         (np.zeros(6, int), np.array([0, 1, 0, 0, 0, 0])), labels(rng, 50, 0.3, 0.8), 0.99),
        ("seeded, churn-sized arms, 99.9 %", labels(rng, 5000, 0.27, 0.8), labels(rng, 4000, 0.27, 0.82), 0.999),
        ("seeded, tiny arms, 50 %", labels(rng, 12, 0.4, 0.7), labels(rng, 9, 0.4, 0.6), 0.5),
        ("challenger perfect (its F1 is 1, no spread)", labels(rng, 300, 0.3, 0.8),
         (np.array([1, 0, 1, 1, 0]), np.array([1, 0, 1, 1, 0])), 0.95),
        ("neither arm saw or predicted a positive (F1 undefined)",
         (np.zeros(4, int), np.zeros(4, int)), (np.zeros(3, int), np.zeros(3, int)), 0.95),
    ]
    metric_parts = {
        "accuracy": lambda tn, fp, fn, tp: (tp + tn, tp + fp + tn + fn),
        "precision": lambda tn, fp, fn, tp: (tp, tp + fp),
        "recall": lambda tn, fp, fn, tp: (tp, tp + fn),
    }
    cases = []
    for name, champion_labels, challenger_labels, confidence in specs:
        (champion_actual, champion_predicted), (challenger_actual, challenger_predicted) = champion_labels, challenger_labels
        champion = [int(v) for v in confusion_matrix(champion_actual, champion_predicted, labels=[0, 1]).ravel()]
        challenger = [int(v) for v in confusion_matrix(challenger_actual, challenger_predicted, labels=[0, 1]).ravel()]
        differences = []
        for metric, parts in metric_parts.items():
            champion_successes, champion_trials = parts(*champion)
            challenger_successes, challenger_trials = parts(*challenger)
            entry = {"metric": metric,
                     "champion": champion_successes / champion_trials if champion_trials else None,
                     "challenger": challenger_successes / challenger_trials if challenger_trials else None,
                     "difference": None, "lower": None, "upper": None}
            if champion_trials and challenger_trials:
                lower, upper = confint_proportions_2indep(challenger_successes, challenger_trials, champion_successes,
                                                          champion_trials, method="newcomb", compare="diff",
                                                          alpha=1 - confidence)
                entry.update(difference=entry["challenger"] - entry["champion"], lower=float(lower), upper=float(upper))
            differences.append(entry)
        differences.append(f1_difference(champion_labels, challenger_labels, champion, challenger, confidence))
        cases.append({"name": name, "confidence": confidence,
                      "champion": dict(zip(["true_negatives", "false_positives", "false_negatives", "true_positives"], champion)),
                      "challenger": dict(zip(["true_negatives", "false_positives", "false_negatives", "true_positives"], challenger)),
                      "differences": differences})
    return cases


def main():
    rng = np.random.default_rng(SEED)
    document = {
        "classification": classification_cases(rng),
        "normal_quantile": quantile_cases(rng),
        "wilson": wilson_cases(rng),
        "newcombe": newcombe_cases(rng),
        "sample_ratio_mismatch": srm_cases(rng),
        "variant_comparison": variant_comparison_cases(rng),
        # Last, so the cases drawn before it stay what they were.
        "two_proportion_z": z_test_cases(rng),
    }
    json.dump(document, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
