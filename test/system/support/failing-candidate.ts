/**
 * A candidate that answers errors for some inputs: a copy of a registered churn model whose ONNX
 * graph adds `Sqrt(limit − tenure) × 0` to the probability, so a customer with a tenure above the
 * limit gets NaN (inference-api answers 422 for that row) and everyone else the original's exact
 * probability. Built with the `onnx` package and registered through MLflow's own Python client in
 * the pinned venv (CHURN_PYTHON), as a new run and version carrying the original's tags (so the
 * promotion gates see its F1 and pass it: the failure shows only on live traffic).
 */
import { runToCompletion } from './processes';

const SCRIPT = String.raw`
import json, os, sys, tempfile
import mlflow, onnx
from mlflow import MlflowClient
from onnx import TensorProto, helper

name, version, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
client = MlflowClient()
original = client.get_model_version(name, version)
local = mlflow.artifacts.download_artifacts(artifact_uri=original.source, dst_path=tempfile.mkdtemp())
with open(os.path.join(local, 'input_example.json')) as f:
    example = json.load(f)
tenure = [row[example['columns'].index('tenure')] for row in example['data']]
# The input example must still score: a version whose example fails is never swapped in.
assert max(tenure) <= limit, f'the input example has a tenure above {limit}: {max(tenure)}'

path = os.path.join(local, 'model.onnx')
model = onnx.load(path)
nodes = list(model.graph.node)
sigmoid = next(i for i, node in enumerate(nodes) if 'probability' in node.output)
nodes[sigmoid].output[list(nodes[sigmoid].output).index('probability')] = 'probability_sound'
failing = [
    helper.make_node('Sub', ['failing_limit', 'tenure'], ['failing_room']),
    helper.make_node('Sqrt', ['failing_room'], ['failing_root']),  # NaN where tenure > limit
    helper.make_node('Mul', ['failing_root', 'failing_zero'], ['failing_nan']),
    helper.make_node('Add', ['probability_sound', 'failing_nan'], ['probability']),
]
del model.graph.node[:]
model.graph.node.extend(nodes[: sigmoid + 1] + failing + nodes[sigmoid + 1 :])
model.graph.initializer.extend([
    helper.make_tensor('failing_limit', TensorProto.FLOAT, [], [limit]),
    helper.make_tensor('failing_zero', TensorProto.FLOAT, [], [0.0]),
])
onnx.checker.check_model(model)
onnx.save(model, path)

experiment = client.get_experiment_by_name('failing-candidates') or client.get_experiment(
    client.create_experiment('failing-candidates'))
run = client.create_run(experiment.experiment_id, run_name=f'v{version} failing above tenure {limit}')
client.log_artifacts(run.info.run_id, local, 'model')
client.set_terminated(run.info.run_id)
created = client.create_model_version(
    name, f'{run.info.artifact_uri}/model', run_id=run.info.run_id, tags=dict(original.tags))
print(f'FAILING_COPY {created.version}')
`;

/**
 * Registers the copy of `name` v`version` that answers NaN above `tenureLimit`.
 * @returns the new version's number
 */
export async function registerFailingCopy(
  trackingUri: string,
  name: string,
  version: string,
  tenureLimit: number,
): Promise<string> {
  const python = process.env['CHURN_PYTHON'];
  if (!python) throw new Error('CHURN_PYTHON is not set: run the system tests under test/jest.config.cjs');
  const run = await runToCompletion(python, ['-c', SCRIPT, name, version, String(tenureLimit)], {
    MLFLOW_TRACKING_URI: trackingUri,
  });
  const registered = /^FAILING_COPY (\d+)$/m.exec(run.output);
  if (run.code !== 0 || !registered)
    throw new Error(`registering a failing copy of ${name} v${version} exited with ${run.code}:\n${run.output}`);
  return registered[1];
}
