"""The tuned Python reference of the inference benchmark: what a Python team would write instead of
`mlflow models serve`. FastAPI on uvicorn (uvloop, httptools, two worker processes, access log off)
calling onnxruntime directly on the same `model.onnx`, started by serve.py (which gives each worker
a socket of its own):

    MODEL_DIR=<model dir> python serve.py --port 8000 --workers 2

`GET /ping` answers 200 once the worker's session is open; `POST /predict` takes one customer as a
JSON object (the body inference-api's /predict takes) and answers `{"prediction", "probability"}`.

Tuned, not naive: the body is read as bytes and parsed with orjson (no pydantic model per request),
the endpoint is `async def` so the run happens on the event loop without a thread-pool hop (it takes
well under a millisecond), and each worker's session uses one intra-op and one inter-op thread, so
two workers use the two cores without their thread pools contending (inference-api's setting too).
"""

import os

import numpy as np
import onnxruntime
import orjson
from fastapi import FastAPI, Request, Response

NUMPY_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


def open_session(model_dir):
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        os.path.join(model_dir, "model.onnx"), options, providers=["CPUExecutionProvider"]
    )


session = open_session(os.environ["MODEL_DIR"])
# Per input: name, numpy type (None for text) and the shape of one row.
inputs = [
    (item.name, NUMPY_TYPES.get(item.type), (1, 1) if len(item.shape) == 2 else (1,))
    for item in session.get_inputs()
]
app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


def feeds_of(customer):
    feeds = {}
    for name, numeric_type, shape in inputs:
        value = customer.get(name)
        if numeric_type is None:
            feeds[name] = np.array(["" if value is None else str(value)], dtype=object).reshape(shape)
        else:
            number = np.nan if value is None or value == "" else float(value)
            feeds[name] = np.array([number], dtype=numeric_type).reshape(shape)
    return feeds


@app.get("/ping")
async def ping():
    return Response(b"ok", media_type="text/plain")


@app.post("/predict")
async def predict(request: Request):
    customer = orjson.loads(await request.body())
    label, probability = session.run(["label", "probability"], feeds_of(customer))
    return Response(
        orjson.dumps({"prediction": int(label[0]), "probability": float(probability[0])}),
        media_type="application/json",
    )
