"""MLflow's own view of what training-worker logged and registered: the independent reader of the tests.

Reads JSON from stdin:
  {"runs": [run_id, ...], "model_names": [str, ...],
   "predict": {"model_uri": "models:/<name>/<N>", "columns": [...], "data": [[...]], "numeric": [...]} | null}
Writes JSON to stdout:
  runs: {run_id: {status, run_name, experiment_id, artifact_uri, params, metrics, tags, artifacts}}
  versions: {name: [{version, source, run_id, status, tags}], oldest first ([] when the model does not exist)}
  predictions: {label: [...], probability: [...]} from mlflow.pyfunc.load_model(model_uri).predict
"""
import json
import sys

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException


def artifact_paths(client: MlflowClient, run_id: str, path: str | None = None) -> list[str]:
    found = []
    for entry in client.list_artifacts(run_id, path):
        if entry.is_dir:
            found.extend(artifact_paths(client, run_id, entry.path))
        else:
            found.append(entry.path)
    return sorted(found)


def read_run(client: MlflowClient, run_id: str) -> dict:
    run = client.get_run(run_id)
    return {
        "status": run.info.status,
        "run_name": run.info.run_name,
        "experiment_id": run.info.experiment_id,
        "artifact_uri": run.info.artifact_uri,
        "params": dict(run.data.params),
        "metrics": dict(run.data.metrics),
        "tags": dict(run.data.tags),
        "artifacts": artifact_paths(client, run_id),
    }


def read_versions(client: MlflowClient, name: str) -> list[dict]:
    try:
        versions = client.search_model_versions(f"name='{name}'")
    except MlflowException:
        return []
    return [
        {"version": v.version, "source": v.source, "run_id": v.run_id, "status": v.status, "tags": dict(v.tags)}
        for v in sorted(versions, key=lambda v: int(v.version))
    ]


def predict(request: dict) -> dict:
    model = mlflow.pyfunc.load_model(request["model_uri"])
    frame = pd.DataFrame(request["data"], columns=request["columns"])
    frame = frame.astype({c: np.float64 for c in request["numeric"]})
    result = model.predict(frame)
    return {"label": [int(x) for x in result["label"]], "probability": [float(p) for p in result["probability"]]}


def main() -> None:
    request = json.load(sys.stdin)
    client = MlflowClient()
    answer = {
        "runs": {run_id: read_run(client, run_id) for run_id in request.get("runs", [])},
        "versions": {name: read_versions(client, name) for name in request.get("model_names", [])},
        "predictions": predict(request["predict"]) if request.get("predict") else None,
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
