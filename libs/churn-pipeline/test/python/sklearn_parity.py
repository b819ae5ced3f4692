"""Reference values from scikit-learn for the churn-pipeline parity tests.

Run by the Jest suite (libs/churn-pipeline/test/sklearn-parity.spec.ts) through CHURN_PYTHON:

    python sklearn_parity.py <input.json>

The input names the CSV, the feature schema, one or more train/test splits exported by our code
(each with a class weight), our own test-split probabilities, and extra (labels, scores) cases for
the metric functions. For each split this script fits scikit-learn's own pipeline on exactly those
rows,

    Pipeline([
        ("prep", ColumnTransformer([
            ("num", Pipeline([SimpleImputer(strategy="median"), StandardScaler()]), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)])),
        ("clf", LogisticRegression(C=1.0, tol=1e-10, max_iter=10000, class_weight=...)),
    ])

with a tight tolerance because lbfgs stops far from the optimum at its default tol=1e-4, and
prints one JSON object on stdout: the learned preprocessing, coefficients, intercept, the metrics of
scikit-learn's own model, and sklearn.metrics evaluated on OUR probabilities.
"""

import json
import sys

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def load_frame(csv_path, schema):
    """Every column as text (so SeniorCitizen's 0/1 are categories, as in our schema); numeric
    columns coerced to numbers with blank cells (TotalCharges' single space) as NaN."""
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    for column in schema["numeric"]:
        frame[column] = pd.to_numeric(frame[column].str.strip().replace("", np.nan), errors="coerce")
    labels = (frame[schema["target"]].str.strip() == schema["positiveLabel"]).astype(int).to_numpy()
    return frame[schema["numeric"] + schema["categorical"]], labels


def metric_values(labels, probabilities, threshold=0.5):
    predictions = (np.asarray(probabilities) >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(labels, predictions, labels=[0, 1]).ravel()
    return {
        "f1": f1_score(labels, predictions, zero_division=0),
        "accuracy": accuracy_score(labels, predictions),
        "precision": precision_score(labels, predictions, zero_division=0),
        "recall": recall_score(labels, predictions, zero_division=0),
        "rocAuc": roc_auc_score(labels, probabilities),
        "logLoss": log_loss(labels, np.asarray(probabilities, dtype=np.float64), labels=[0, 1]),
        "confusionMatrix": {
            "trueNegatives": int(tn),
            "falsePositives": int(fp),
            "falseNegatives": int(fn),
            "truePositives": int(tp),
        },
    }


def fit_reference(features, labels, schema, fit_spec):
    train = np.asarray(fit_spec["split"]["train"], dtype=int)
    test = np.asarray(fit_spec["split"]["test"], dtype=int)
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
            (
                "clf",
                LogisticRegression(C=1.0, tol=1e-10, max_iter=10000, class_weight=fit_spec["classWeight"]),
            ),
        ]
    )
    model.fit(features.iloc[train], labels[train])
    numeric = model.named_steps["prep"].named_transformers_["num"]
    encoder = model.named_steps["prep"].named_transformers_["cat"]
    classifier = model.named_steps["clf"]
    probabilities = model.predict_proba(features.iloc[test])[:, 1]
    return {
        "name": fit_spec["name"],
        "featureNames": [str(name) for name in model.named_steps["prep"].get_feature_names_out()],
        "medians": numeric.named_steps["impute"].statistics_.tolist(),
        "means": numeric.named_steps["scale"].mean_.tolist(),
        "scales": numeric.named_steps["scale"].scale_.tolist(),
        "categories": [[str(c) for c in levels] for levels in encoder.categories_],
        "coefficients": classifier.coef_[0].tolist(),
        "intercept": float(classifier.intercept_[0]),
        "iterations": int(classifier.n_iter_[0]),
        "testProbabilities": probabilities.tolist(),
        "metrics": metric_values(labels[test], probabilities),
        "metricsOfOurProbabilities": metric_values(labels[test], fit_spec["ourTestProbabilities"]),
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    features, labels = load_frame(spec["csv"], spec["schema"])
    fits = [fit_reference(features, labels, spec["schema"], fit_spec) for fit_spec in spec["fits"]]
    metric_cases = [
        {
            "rocAuc": roc_auc_score(case["labels"], case["scores"]),
            "logLoss": log_loss(case["labels"], np.asarray(case["scores"], dtype=np.float64), labels=[0, 1]),
        }
        for case in spec["metricCases"]
    ]
    json.dump({"fits": fits, "metricCases": metric_cases}, sys.stdout)


if __name__ == "__main__":
    main()
