"""Parses YAML documents with PyYAML's safe_load, the reader MLflow uses for MLmodel and env files.

Reads JSON from stdin: {"documents": [yaml text, ...]}; writes the parsed documents as a JSON list.
"""
import json
import sys

import yaml

json.dump([yaml.safe_load(text) for text in json.load(sys.stdin)["documents"]], sys.stdout)
