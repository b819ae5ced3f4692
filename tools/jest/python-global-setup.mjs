// Jest global setup for suites that compare against Python references (scipy, scikit-learn,
// onnxruntime, MLflow's own client): install the pinned environment once, then tell the test
// workers where its interpreter is.
import { ensureMlflowInstalled, venvBin } from '../mlflow/mlflow.mjs';
import { detachFromOuterNxRun } from './outer-nx.mjs';

export default async function pythonGlobalSetup() {
  detachFromOuterNxRun();
  ensureMlflowInstalled();
  process.env.CHURN_PYTHON = venvBin('python');
}
