/**
 * The Python environment an MLflow Model directory declares (`requirements.txt`, `python_env.yaml`,
 * `conda.yaml`), in the layout `mlflow.onnx.save_model` writes. The defaults are the versions this
 * project pins in `tools/mlflow/requirements.txt` and the ones MLflow 3.17.2 infers for an onnx
 * model there (it adds numpy and pandas, which `mlflow.onnx`'s pyfunc imports).
 */
import { toYaml } from './yaml-emitter';

export interface PythonEnvironment {
  /** Full interpreter version, e.g. `3.11.7`. */
  pythonVersion: string;
  /** pip requirement lines, e.g. `mlflow==3.17.2`. */
  requirements: string[];
  /** pip, setuptools and wheel versions MLflow's virtualenv restorer installs first. */
  buildDependencies: string[];
}

export const MLFLOW_VERSION = '3.17.2';
export const ONNX_VERSION = '1.23.2';

export const DEFAULT_PYTHON_ENVIRONMENT: PythonEnvironment = {
  pythonVersion: '3.11.7',
  requirements: [
    `mlflow==${MLFLOW_VERSION}`,
    'numpy==2.4.6',
    `onnx==${ONNX_VERSION}`,
    'onnxruntime==1.32.0',
    'pandas==2.3.3',
  ],
  buildDependencies: ['pip==23.2.1', 'setuptools==65.5.0', 'wheel'],
};

/** `requirements.txt`: one requirement a line (MLflow writes no trailing newline; pip accepts either). */
export function requirementsTxt(environment: PythonEnvironment): string {
  return `${environment.requirements.join('\n')}\n`;
}

/** `python_env.yaml`, read by `mlflow models serve --env-manager virtualenv`. */
export function pythonEnvYaml(environment: PythonEnvironment): string {
  return toYaml({
    python: environment.pythonVersion,
    build_dependencies: environment.buildDependencies,
    dependencies: ['-r requirements.txt'],
  });
}

/** `conda.yaml`, read by `--env-manager conda`; pip is capped at the build version as MLflow does. */
export function condaYaml(environment: PythonEnvironment): string {
  const pip = environment.buildDependencies.find((dependency) => dependency.startsWith('pip=='));
  return toYaml({
    channels: ['conda-forge'],
    dependencies: [
      `python=${environment.pythonVersion}`,
      pip === undefined ? 'pip' : `pip<=${pip.slice('pip=='.length)}`,
      { pip: environment.requirements },
    ],
    name: 'mlflow-env',
  });
}
