"""Logs two scikit-learn churn pipelines to MLflow the way a Python team would, for the inference-api tests.

Both are the same fitted pipeline (median imputation and scaling for numeric columns, one-hot encoding
for categorical ones, logistic regression) converted with skl2onnx, one graph input per column
(skl2onnx's initial_types, shape [None, 1]), logged with mlflow.onnx.log_model with a signature and an
input example, and registered:
- "plain": zipmap=False, so probabilities are a float [N, 2] tensor — inference-api must serve it;
- "zipmap": skl2onnx's default ZipMap output (a sequence of maps) — inference-api must refuse it.

Usage: python log_sklearn_models.py <telco csv> <registered model name> <output json>
Writes {"plain_version", "zipmap_version", "records", "probabilities"}: the first rows of the data
as JSON records and scikit-learn's own predict_proba[:, 1] for them.
"""

import json
import sys
import warnings

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

warnings.filterwarnings("ignore")

NUMERIC = ["tenure", "MonthlyCharges", "TotalCharges"]
CATEGORICAL = ["gender", "Partner", "Dependents", "PhoneService", "InternetService", "Contract", "PaperlessBilling", "PaymentMethod"]
SCORED_ROWS = 50


def main(csv_path: str, model_name: str, output_path: str) -> None:
    frame = pd.read_csv(csv_path)
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce")
    features = frame[NUMERIC + CATEGORICAL].copy()
    for column in NUMERIC:
        features[column] = features[column].astype("float64")
    target = (frame["Churn"] == "Yes").astype(int)

    pipeline = Pipeline([
        ("preprocess", ColumnTransformer([
            ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ])),
        ("classifier", LogisticRegression(max_iter=1000)),
    ])
    pipeline.fit(features, target)

    initial_types = [(c, FloatTensorType([None, 1])) for c in NUMERIC] + [(c, StringTensorType([None, 1])) for c in CATEGORICAL]
    example = features.head(5)
    signature = infer_signature(example, pipeline.predict(example))
    mlflow.set_experiment("inference-api-sklearn")
    versions = {}
    for variant, zipmap in (("plain", False), ("zipmap", True)):
        onnx_model = convert_sklearn(
            pipeline,
            initial_types=initial_types,
            options={id(pipeline.steps[-1][1]): {"zipmap": zipmap}},
            target_opset={"": 17, "ai.onnx.ml": 3},
        )
        with mlflow.start_run(run_name=f"sklearn-{variant}"):
            info = mlflow.onnx.log_model(onnx_model, name="model", signature=signature, input_example=example, registered_model_name=model_name)
        versions[variant] = str(info.registered_model_version)

    scored = features.head(SCORED_ROWS)
    records = json.loads(scored.to_json(orient="records"))
    probabilities = pipeline.predict_proba(scored)[:, 1]
    with open(output_path, "w", encoding="utf-8") as out:
        json.dump({
            "plain_version": versions["plain"],
            "zipmap_version": versions["zipmap"],
            "records": records,
            "probabilities": [float(p) for p in np.asarray(probabilities)],
        }, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
