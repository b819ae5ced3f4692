export {
  InputExampleError,
  inputExampleFrame,
  mlflowSignature,
  signatureInputColumns,
  signatureOutputColumns,
  type MlflowColumnSpec,
  type MlflowSignature,
  type PandasSplitFrame,
} from './model-signature';
export { DEFAULT_PYTHON_ENVIRONMENT, MLFLOW_VERSION, ONNX_VERSION, type PythonEnvironment } from './python-environment';
export { pythonJsonDumps, type PythonJsonValue } from './python-json';
export {
  MLFLOW_MODEL_FILES,
  MlflowModelDirectoryError,
  writeMlflowModelDirectory,
  type MlflowModelDirectoryInput,
  type WrittenMlflowModel,
} from './write-model-directory';
export { toYaml, YamlEmitError, type YamlScalar, type YamlValue } from './yaml-emitter';
