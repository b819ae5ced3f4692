"""Moves or deletes a registered model alias with MLflow's own Python client, standing in for a
person using MLflow's UI or another tool: an alias move that registry-admin did not make.

usage: set_alias.py MODEL ALIAS VERSION    (VERSION "none" deletes the alias)
"""
import sys

from mlflow import MlflowClient

model, alias, version = sys.argv[1:4]
client = MlflowClient()
if version == "none":
    client.delete_registered_model_alias(model, alias)
else:
    client.set_registered_model_alias(model, alias, version)
print(f"{model}@{alias} -> {version}")
