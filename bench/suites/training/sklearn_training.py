"""scikit-learn's side of the training benchmark (bench/suites/training.bench.ts runs it through the
pinned venv's python, one process per measurement so that peak memory is the run's own):

    python sklearn_training.py <data.csv> <schema.json> <seed> <default|matching|newton-cholesky>

Times the same stages as our `trainChurnModel`: read the CSV with pandas (every column as text, the
numeric ones coerced, blanks missing, as the parity script does), a stratified 80/20 split, fit of

    Pipeline([ColumnTransformer([("num", SimpleImputer(median) + StandardScaler(), numeric),
                                 ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)]),
              LogisticRegression(C=1.0, ...)])

and predict_proba + F1 / ROC-AUC on the test rows. `default` is LogisticRegression's defaults
(lbfgs, tol=1e-4, max_iter=100); `matching` uses tol=1e-8, the tolerance of our solver (lbfgs tests
the largest gradient component of the per-row average objective, as ours does), with room to
converge; `newton-cholesky` is scikit-learn's Newton solver (the method ours uses) with its defaults
(tol=1e-4, max_iter=100). Imports are not timed. Prints one JSON object.
"""

import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CLASSIFIERS = {
    "default": lambda: LogisticRegression(C=1.0),
    "matching": lambda: LogisticRegression(C=1.0, tol=1e-8, max_iter=10000),
    "newton-cholesky": lambda: LogisticRegression(C=1.0, solver="newton-cholesky"),
}


def main():
    csv_path, schema_path, seed, variant = sys.argv[1:5]
    with open(schema_path, encoding="utf-8") as handle:
        schema = json.load(handle)
    stages = {}

    started = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    for column in schema["numeric"]:
        frame[column] = pd.to_numeric(frame[column].str.strip().replace("", np.nan), errors="coerce")
    labels = (frame[schema["target"]].str.strip() == schema["positiveLabel"]).astype(int).to_numpy()
    features = frame[schema["numeric"] + schema["categorical"]]
    stages["load"] = time.perf_counter() - started

    mark = time.perf_counter()
    train_x, test_x, train_y, test_y = train_test_split(
        features, labels, test_size=0.2, stratify=labels, random_state=int(seed)
    )
    stages["split"] = time.perf_counter() - mark

    mark = time.perf_counter()
    model = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        (
                            "num",
                            Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                            schema["numeric"],
                        ),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), schema["categorical"]),
                    ]
                ),
            ),
            ("clf", CLASSIFIERS[variant]()),
        ]
    )
    model.fit(train_x, train_y)
    stages["fit"] = time.perf_counter() - mark

    mark = time.perf_counter()
    probabilities = model.predict_proba(test_x)[:, 1]
    f1 = f1_score(test_y, (probabilities >= 0.5).astype(int))
    roc_auc = roc_auc_score(test_y, probabilities)
    stages["evaluate"] = time.perf_counter() - mark
    total = time.perf_counter() - started

    json.dump(
        {
            "variant": variant,
            "totalMs": total * 1000,
            "stageMs": {name: seconds * 1000 for name, seconds in stages.items()},
            "iterations": int(model.named_steps["clf"].n_iter_[0]),
            "f1": f1,
            "rocAuc": roc_auc,
            # ru_maxrss is in KiB on Linux.
            "peakResidentBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
