/**
 * Reads what serving needs from an MLflow Model directory's `MLmodel` file: the ONNX flavor's model
 * file, the column signature and where the input example is. Format reference:
 * https://mlflow.org/docs/latest/ml/model/ ("Storage Format", "Model Signature").
 */
import { parse as parseYaml } from 'yaml';

import { ModelLoadError } from './model-errors';

/** One input column of a column-based signature (`mlflow.types.ColSpec`). */
export interface SignatureColumn {
  name: string;
  /** MLflow data type: `double`, `float`, `long`, `integer`, `string`, `boolean`, … */
  type: string;
  required: boolean;
}

export interface MlmodelInfo {
  /** The ONNX file, relative to the model directory (`flavors.onnx.data`). */
  onnxFile: string;
  inputs: SignatureColumn[];
  /** `saved_input_example_info`: the example file and its pandas orient, when one was saved. */
  inputExample?: { path: string; orient: 'split' | 'records' };
  mlflowVersion?: string;
}

/**
 * Parses MLmodel text.
 * @throws {ModelLoadError} stage `mlmodel` when the file is not YAML, has no `onnx` flavor, or has
 *   no column-based input signature — with what to change in the export.
 */
export function parseMlmodel(text: string): MlmodelInfo {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ModelLoadError('mlmodel', `MLmodel is not valid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(document)) throw new ModelLoadError('mlmodel', 'MLmodel is not a YAML mapping');
  const flavors = isRecord(document['flavors']) ? document['flavors'] : {};
  const onnx = flavors['onnx'];
  if (!isRecord(onnx)) {
    throw new ModelLoadError(
      'mlmodel',
      `the model has no onnx flavor (flavors: ${Object.keys(flavors).join(', ') || 'none'}); log it with mlflow.onnx.log_model or the churn pipeline's writer`,
    );
  }
  const onnxFile = typeof onnx['data'] === 'string' && onnx['data'] !== '' ? onnx['data'] : 'model.onnx';
  if (onnxFile.split('/').some((part) => part === '..')) {
    throw new ModelLoadError('mlmodel', `flavors.onnx.data '${onnxFile}' points outside the model directory`);
  }
  const signature = document['signature'];
  const inputsText = isRecord(signature) ? signature['inputs'] : undefined;
  if (typeof inputsText !== 'string') {
    throw new ModelLoadError(
      'mlmodel',
      'MLmodel has no input signature; log the model with signature=infer_signature(X, y_pred) on a DataFrame with one column per feature',
    );
  }
  const inputs = parseColumns(inputsText);
  const exampleInfo = document['saved_input_example_info'];
  let inputExample: MlmodelInfo['inputExample'];
  if (isRecord(exampleInfo) && typeof exampleInfo['artifact_path'] === 'string') {
    inputExample = {
      path: exampleInfo['artifact_path'],
      orient: exampleInfo['pandas_orient'] === 'records' ? 'records' : 'split',
    };
  }
  const mlflowVersion = typeof document['mlflow_version'] === 'string' ? document['mlflow_version'] : undefined;
  return { onnxFile, inputs, inputExample, mlflowVersion };
}

function parseColumns(text: string): SignatureColumn[] {
  let specs: unknown;
  try {
    specs = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError('mlmodel', `signature.inputs is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(specs) || specs.length === 0)
    throw new ModelLoadError('mlmodel', 'signature.inputs lists no columns');
  return specs.map((spec, index) => {
    if (
      !isRecord(spec) ||
      typeof spec['name'] !== 'string' ||
      typeof spec['type'] !== 'string' ||
      spec['type'] === 'tensor'
    ) {
      throw new ModelLoadError(
        'mlmodel',
        `signature.inputs[${index}] is not a named column (${JSON.stringify(spec)}); serving needs a column-based signature, inferred from a DataFrame with one column per feature, not a tensor signature`,
      );
    }
    return { name: spec['name'], type: spec['type'], required: spec['required'] !== false };
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
