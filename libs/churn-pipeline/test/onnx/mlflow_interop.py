"""MLflow's own view of a model directory written by the TypeScript writer.

Reads JSON from stdin: {"model_dir": str, "reference_dir": str, "rows": {"columns": [...], "data": [[...]]}}.
1. Parses every YAML/JSON file of model_dir with PyYAML/json, as MLflow does.
2. Saves the same model.onnx with MLflow's own `mlflow.onnx.save_model` into reference_dir, with the
   signature and input example MLflow read back from model_dir, and parses what MLflow wrote: the
   files the TypeScript writer must match.
3. Loads model_dir with `mlflow.pyfunc.load_model` and predicts the rows and the saved input example.
Writes the results as JSON to stdout (NaN as null).
"""
import json
import math
import os
import sys

import mlflow.onnx
import mlflow.pyfunc
import numpy as np
import onnx
import pandas as pd
import yaml
from mlflow.models import Model


def read_directory(path: str) -> dict:
    def text(name: str) -> str:
        with open(os.path.join(path, name)) as f:
            return f.read()

    return {
        "MLmodel": yaml.safe_load(text("MLmodel")),
        "conda.yaml": yaml.safe_load(text("conda.yaml")),
        "python_env.yaml": yaml.safe_load(text("python_env.yaml")),
        "requirements.txt": text("requirements.txt").split(),
        "input_example.json": json.loads(text("input_example.json")),
        "serving_input_example.json": json.loads(text("serving_input_example.json")),
        "files": sorted(os.listdir(path)),
    }


def nan_to_none(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [nan_to_none(v) for v in value]
    if isinstance(value, dict):
        return {k: nan_to_none(v) for k, v in value.items()}
    return value


def predictions(model, frame: pd.DataFrame) -> dict:
    result = model.predict(frame)
    return {
        "dtypes": {c: str(t) for c, t in result.dtypes.items()},
        "label": result["label"].tolist(),
        "probability": [float(p) for p in result["probability"]],
    }


def main() -> None:
    request = json.load(sys.stdin)
    model_dir, reference_dir = request["model_dir"], request["reference_dir"]

    ours = read_directory(model_dir)
    our_model = Model.load(model_dir)
    example = our_model.load_input_example(model_dir)
    mlflow.onnx.save_model(
        onnx.load(os.path.join(model_dir, "model.onnx")),
        reference_dir,
        signature=our_model.signature,
        input_example=example,
        onnx_execution_providers=["CPUExecutionProvider"],
    )
    reference = read_directory(reference_dir)

    pyfunc = mlflow.pyfunc.load_model(model_dir)
    rows = pd.DataFrame(request["rows"]["data"], columns=request["rows"]["columns"])
    numeric = [s.name for s in our_model.signature.inputs.inputs if s.type.name == "double"]
    rows = rows.astype({c: np.float64 for c in numeric})

    json.dump(
        nan_to_none({
            "ours": ours,
            "reference": reference,
            "input_schema": [
                {"name": s.name, "type": s.type.name, "required": s.required} for s in pyfunc.metadata.get_input_schema().inputs
            ],
            "input_example": {
                "columns": list(example.columns),
                "dtypes": {c: str(t) for c, t in example.dtypes.items()},
                "data": example.values.tolist(),
            },
            "example_predictions": predictions(pyfunc, example),
            "row_predictions": predictions(pyfunc, rows),
        }),
        sys.stdout,
    )


if __name__ == "__main__":
    main()
