"""Independent reader for the mlflow-client integration tests.

Reads what the TypeScript client wrote through MLflow's own Python client
(mlflow.tracking.MlflowClient) and prints it as JSON on stdout, so the tests compare our writes
with MLflow's reading of them rather than with our own.

Usage: read_back.py run <run_id>
       read_back.py artifacts <run_id> <dest_dir>   (downloads all artifacts; prints path -> sha256, size)
       read_back.py model <name>                     (versions with tags, and aliases)
The tracking server comes from MLFLOW_TRACKING_URI.
"""

import hashlib
import json
import os
import sys

from mlflow.tracking import MlflowClient


def read_run(client, run_id):
    run = client.get_run(run_id)
    histories = {
        key: [
            {"value": m.value, "step": m.step, "timestamp": m.timestamp}
            for m in client.get_metric_history(run_id, key)
        ]
        for key in run.data.metrics
    }
    return {
        "run_id": run.info.run_id,
        "experiment_id": run.info.experiment_id,
        "run_name": run.info.run_name,
        "status": run.info.status,
        "start_time": run.info.start_time,
        "end_time": run.info.end_time,
        "artifact_uri": run.info.artifact_uri,
        "params": run.data.params,
        "tags": run.data.tags,
        "metrics": run.data.metrics,
        "metric_history": histories,
    }


def read_artifacts(client, run_id, dest):
    local = client.download_artifacts(run_id, "", dest)
    files = {}
    for root, _dirs, names in os.walk(local):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                data = handle.read()
            files[os.path.relpath(path, local).replace(os.sep, "/")] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
            }
    return {"files": files}


def read_model(client, name):
    model = client.get_registered_model(name)
    versions = client.search_model_versions(f"name='{name}'")
    return {
        "name": model.name,
        "description": model.description,
        "tags": model.tags,
        "aliases": model.aliases,
        "versions": sorted(
            (
                {
                    "version": v.version,
                    "source": v.source,
                    "run_id": v.run_id,
                    "status": v.status,
                    "description": v.description,
                    "tags": v.tags,
                }
                for v in versions
            ),
            key=lambda v: int(v["version"]),
        ),
    }


def main(argv):
    client = MlflowClient()
    command = argv[1]
    if command == "run":
        result = read_run(client, argv[2])
    elif command == "artifacts":
        result = read_artifacts(client, argv[2], argv[3])
    elif command == "model":
        result = read_model(client, argv[2])
    else:
        raise SystemExit(f"unknown command {command!r}")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
