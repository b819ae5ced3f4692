"""Validates an ONNX model with onnx.checker and scores it with Python's onnxruntime.

Reads JSON from stdin: {"model_path": str, "feeds": {input name: [values]}} where numeric inputs
hold numbers or null (fed as float32 NaN) and string inputs hold text. Writes JSON to stdout: the
graph's declared inputs/outputs, IR version and opsets, and the scored label/probability lists.
This is the independent side of the ONNX parity test: nothing here comes from the TypeScript code.
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime


def main() -> None:
    request = json.load(sys.stdin)
    model = onnx.load(request["model_path"])
    onnx.checker.check_model(model, full_check=True)

    session = onnxruntime.InferenceSession(request["model_path"], providers=["CPUExecutionProvider"])
    feeds = {}
    for graph_input in session.get_inputs():
        values = request["feeds"][graph_input.name]
        if graph_input.type == "tensor(string)":
            feeds[graph_input.name] = np.array(values, dtype=object)
        else:
            feeds[graph_input.name] = np.array([np.nan if v is None else v for v in values], dtype=np.float32)
    output_names = [o.name for o in session.get_outputs()]
    results = dict(zip(output_names, session.run(output_names, feeds)))

    json.dump(
        {
            "ir_version": model.ir_version,
            "opsets": {o.domain: o.version for o in model.opset_import},
            "inputs": [{"name": i.name, "type": i.type, "shape": i.shape} for i in session.get_inputs()],
            "outputs": [{"name": o.name, "type": o.type, "shape": o.shape} for o in session.get_outputs()],
            "label": results["label"].tolist(),
            "probability": [float(p) for p in results["probability"]],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
