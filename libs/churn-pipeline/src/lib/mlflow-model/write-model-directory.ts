/**
 * Writes an exported churn pipeline as an MLflow Model directory, file for file what
 * `mlflow.onnx.save_model(model, path, signature=…, input_example=…)` of MLflow 3.17 writes, so that
 * `mlflow.pyfunc.load_model`, `mlflow models serve` and the Model Registry take it as their own:
 *
 *   MLmodel                     flavors onnx + python_function (loader mlflow.onnx), signature, …
 *   model.onnx                  the whole pipeline graph
 *   input_example.json          a few records, pandas split orient
 *   serving_input_example.json  the same as a scoring-server request body (`dataframe_split`)
 *   requirements.txt, python_env.yaml, conda.yaml
 *
 * Format reference: https://mlflow.org/docs/latest/ml/model/ ("Storage Format") and
 * `mlflow/onnx/__init__.py::save_model`, `mlflow/models/model.py::Model.to_dict`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { CustomerRecord, FittedPipeline } from '../pipeline-contract';
import { inputExampleFrame, mlflowSignature } from './model-signature';
import {
  condaYaml,
  DEFAULT_PYTHON_ENVIRONMENT,
  MLFLOW_VERSION,
  ONNX_VERSION,
  pythonEnvYaml,
  requirementsTxt,
  type PythonEnvironment,
} from './python-environment';
import { pythonJsonDumps } from './python-json';
import { toYaml, type YamlValue } from './yaml-emitter';

/** File names inside the directory, as MLflow names them. */
export const MLFLOW_MODEL_FILES = {
  mlmodel: 'MLmodel',
  onnxModel: 'model.onnx',
  inputExample: 'input_example.json',
  servingInputExample: 'serving_input_example.json',
  requirements: 'requirements.txt',
  pythonEnv: 'python_env.yaml',
  conda: 'conda.yaml',
} as const;

export interface MlflowModelDirectoryInput {
  /** The pipeline that `onnxBytes` was exported from; gives the signature and the example's columns. */
  fitted: FittedPipeline;
  /** The bytes of `exportPipelineToOnnx(fitted)`. */
  onnxBytes: Uint8Array;
  /** A few raw records, saved typed as the model takes them (see `inputExampleFrame`). */
  inputExample: readonly CustomerRecord[];
  /** Free key/value pairs stored under `metadata` in MLmodel (MLflow shows them with the version). */
  metadata?: Readonly<Record<string, string>>;
  /** Python environment to declare; the project's pinned one by default. */
  pythonEnvironment?: PythonEnvironment;
  /** Creation time recorded as `utc_time_created`; now by default. */
  createdAt?: Date;
}

export interface WrittenMlflowModel {
  /** The directory written. */
  dir: string;
  /** `model_uuid` recorded in MLmodel (32 hex digits, as MLflow writes `uuid4().hex`). */
  modelUuid: string;
  /** File names written, relative to `dir`. */
  files: string[];
}

/** The directory cannot be written as asked: it is not empty, or an input is unusable. */
export class MlflowModelDirectoryError extends Error {
  override readonly name = 'MlflowModelDirectoryError';

  constructor(
    /** The input or path at fault, e.g. `dir`, `onnxBytes`, `inputExample`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * Writes the MLflow Model directory of a fitted, exported pipeline into `dir` (created when absent).
 * The inputs are not modified.
 *
 * @throws {MlflowModelDirectoryError} when `dir` exists and is not empty (MLflow refuses the same),
 *   `onnxBytes` is empty, or `inputExample` has no records.
 * @throws {InputExampleError} when an example value does not fit its column, naming row and column.
 * @example
 *   await writeMlflowModelDirectory('/tmp/model', { fitted, onnxBytes: exportPipelineToOnnx(fitted), inputExample: rows.slice(0, 5) });
 *   // then in Python: mlflow.pyfunc.load_model('/tmp/model').predict(df)
 */
export async function writeMlflowModelDirectory(
  dir: string,
  input: MlflowModelDirectoryInput,
): Promise<WrittenMlflowModel> {
  if (input.onnxBytes.length === 0) {
    throw new MlflowModelDirectoryError('onnxBytes', 'is empty; pass the bytes of exportPipelineToOnnx(fitted)');
  }
  if (input.inputExample.length === 0) {
    throw new MlflowModelDirectoryError('inputExample', 'needs at least one record');
  }
  await ensureEmptyDirectory(dir);

  const environment = input.pythonEnvironment ?? DEFAULT_PYTHON_ENVIRONMENT;
  const example = inputExampleFrame(input.fitted, input.inputExample);
  const inputExampleText = pythonJsonDumps(example);
  const servingInputExampleText = pythonJsonDumps({ dataframe_split: example }, 2);
  const encoder = new TextEncoder();
  // MLflow measures the directory just before writing MLmodel and the environment files.
  const modelSizeBytes =
    input.onnxBytes.length + encoder.encode(inputExampleText).length + encoder.encode(servingInputExampleText).length;
  const modelUuid = randomUUID().replaceAll('-', '');

  const mlmodel: Record<string, YamlValue> = {
    flavors: {
      onnx: {
        code: null,
        data: MLFLOW_MODEL_FILES.onnxModel,
        onnx_session_options: null,
        onnx_version: ONNX_VERSION,
        providers: ['CPUExecutionProvider'],
      },
      python_function: {
        data: MLFLOW_MODEL_FILES.onnxModel,
        env: { conda: MLFLOW_MODEL_FILES.conda, virtualenv: MLFLOW_MODEL_FILES.pythonEnv },
        loader_module: 'mlflow.onnx',
        python_version: environment.pythonVersion,
      },
    },
    is_signature_from_type_hint: false,
    ...(input.metadata === undefined ? {} : { metadata: { ...input.metadata } }),
    mlflow_version: MLFLOW_VERSION,
    model_id: null,
    model_size_bytes: modelSizeBytes,
    model_uuid: modelUuid,
    prompts: null,
    saved_input_example_info: {
      artifact_path: MLFLOW_MODEL_FILES.inputExample,
      pandas_orient: 'split',
      serving_input_path: MLFLOW_MODEL_FILES.servingInputExample,
      type: 'dataframe',
    },
    signature: { ...mlflowSignature(input.fitted) },
    type_hint_from_example: false,
    utc_time_created: pythonUtcTimestamp(input.createdAt ?? new Date()),
  };

  const files: [string, string | Uint8Array][] = [
    [MLFLOW_MODEL_FILES.onnxModel, input.onnxBytes],
    [MLFLOW_MODEL_FILES.inputExample, inputExampleText],
    [MLFLOW_MODEL_FILES.servingInputExample, servingInputExampleText],
    [MLFLOW_MODEL_FILES.mlmodel, toYaml(mlmodel)],
    [MLFLOW_MODEL_FILES.conda, condaYaml(environment)],
    [MLFLOW_MODEL_FILES.requirements, requirementsTxt(environment)],
    [MLFLOW_MODEL_FILES.pythonEnv, pythonEnvYaml(environment)],
  ];
  for (const [name, content] of files) {
    await writeFile(join(dir, name), content);
  }
  return { dir, modelUuid, files: files.map(([name]) => name) };
}

async function ensureEmptyDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const existing = await readdir(dir);
  if (existing.length > 0) {
    throw new MlflowModelDirectoryError(
      'dir',
      `${dir} already holds ${existing.slice(0, 5).join(', ')}; write into an empty directory`,
    );
  }
}

/** `str(datetime.utcnow())` as MLflow records it: `YYYY-MM-DD HH:MM:SS.ffffff`. */
function pythonUtcTimestamp(time: Date): string {
  const [date, clock] = time.toISOString().replace('Z', '').split('T');
  return `${date} ${clock}000`;
}
