/**
 * What a served model must look like (DESIGN.md's wiring table, "model inputs" and "model outputs"),
 * checked against the opened onnxruntime session before a version may be swapped in:
 * - one graph input per signature column, named like it, 1-D `[N]` (or `[N,1]`, as skl2onnx's
 *   per-column `initial_types` produce); float or double for numeric columns, string for
 *   categorical ones;
 * - outputs `label` (int64 `[N]`) and `probability` (float `[N]`), or a float `[N,2]` probability
 *   tensor whose column 1 is the positive class (with an optional int64 `[N]` label);
 * - no sequence-of-map outputs (skl2onnx's ZipMap).
 * Every refusal says what is wrong and how to change the export.
 */
import type { InferenceSession } from 'onnxruntime-node';

import type { SignatureColumn } from './mlmodel';
import { ModelLoadError } from './model-errors';
import type { PackedInputPlan } from './session-feeds';

type ValueMetadata = InferenceSession.ValueMetadata;

/** MLflow column types served as numbers. */
const NUMERIC_SIGNATURE_TYPES = new Set(['double', 'float', 'long', 'integer']);

export interface InputColumnPlan {
  name: string;
  kind: 'numeric' | 'categorical';
  tensorType: 'float32' | 'float64' | 'string';
  /** True for `[N,1]` graph inputs, false for `[N]`. */
  columnVector: boolean;
  /** Absent from a record means "missing value" instead of an error (signature `required: false`). */
  required: boolean;
  /** Categories the graph one-hot encodes, when known; others are scored as all zeros and warned about. */
  categories: ReadonlySet<string> | undefined;
  /**
   * Set when the session takes this categorical column as int64 codes (integer-coded-categories.ts):
   * category → code; anything else is fed as UNKNOWN_CATEGORY_CODE.
   */
  categoryCodes?: ReadonlyMap<string, number>;
}

export interface ModelContract {
  /** In graph input order. */
  columns: InputColumnPlan[];
  /** Output holding the positive-class probability. */
  probabilityOutput: string;
  /** 1 for a `[N]` probability, 2 for a `[N,2]` tensor (column 1 is used). */
  probabilityWidth: 1 | 2;
  /** int64 `[N]` label output; absent for `[N,2]`-only models, whose label is probability ≥ 0.5. */
  labelOutput: string | undefined;
  /** Set when the session takes several columns as one tensor (packed-inputs.ts): which, and in what order. */
  packedInputs?: PackedInputPlan[];
}

/** @throws {ModelLoadError} stage `contract`, naming the input or output at fault and the fix */
export function checkModelContract(
  signature: readonly SignatureColumn[],
  inputs: readonly ValueMetadata[],
  outputs: readonly ValueMetadata[],
  categoriesByInput: ReadonlyMap<string, ReadonlySet<string>>,
): ModelContract {
  return { columns: checkInputs(signature, inputs, categoriesByInput), ...checkOutputs(outputs) };
}

function checkInputs(
  signature: readonly SignatureColumn[],
  inputs: readonly ValueMetadata[],
  categoriesByInput: ReadonlyMap<string, ReadonlySet<string>>,
): InputColumnPlan[] {
  const fail = (message: string): never => {
    throw new ModelLoadError('contract', message);
  };
  const byName = new Map(signature.map((column) => [column.name, column]));
  const graphNames = new Set(inputs.map((input) => input.name));
  const unmatched = signature.filter((column) => !graphNames.has(column.name)).map((column) => column.name);
  if (unmatched.length > 0) {
    fail(
      `signature column(s) ${unmatched.join(', ')} have no graph input of that name (graph inputs: ${[...graphNames].join(', ')}); export one graph input per column, named like the DataFrame column (skl2onnx: initial_types=[(column, type), …])`,
    );
  }
  return inputs.map((input): InputColumnPlan => {
    const column = byName.get(input.name);
    if (!column)
      fail(
        `graph input '${input.name}' is not in the model signature; log the model with a signature listing every graph input as a column`,
      );
    const spec = column as SignatureColumn;
    if (!input.isTensor)
      fail(`graph input '${input.name}' is not a tensor; each column must be a 1-D [N] tensor input`);
    const tensor = input as InferenceSession.TensorValueMetadata;
    const shape = tensor.shape;
    const columnVector = shape.length === 2 && shape[1] === 1;
    if (shape.length !== 1 && !columnVector) {
      fail(
        `graph input '${input.name}' has shape [${shape.join(', ')}]; each column must be its own 1-D [N] input (or [N,1]), not a matrix of several columns`,
      );
    }
    if (NUMERIC_SIGNATURE_TYPES.has(spec.type)) {
      if (tensor.type !== 'float32' && tensor.type !== 'float64') {
        fail(
          `column '${input.name}' is ${spec.type} in the signature but the graph input is ${tensor.type}; numeric columns must be float or double graph inputs (skl2onnx: FloatTensorType)`,
        );
      }
      return {
        name: input.name,
        kind: 'numeric',
        tensorType: tensor.type as 'float32' | 'float64',
        columnVector,
        required: spec.required,
        categories: undefined,
      };
    }
    if (spec.type === 'string') {
      if (tensor.type !== 'string')
        fail(
          `column '${input.name}' is string in the signature but the graph input is ${tensor.type}; categorical columns must be string graph inputs (skl2onnx: StringTensorType)`,
        );
      return {
        name: input.name,
        kind: 'categorical',
        tensorType: 'string',
        columnVector,
        required: spec.required,
        categories: categoriesByInput.get(input.name),
      };
    }
    return fail(
      `column '${input.name}' has signature type ${spec.type}; only numeric (double, float, long, integer) and string columns are served`,
    );
  });
}

function checkOutputs(outputs: readonly ValueMetadata[]): Omit<ModelContract, 'columns'> {
  const describe = outputs
    .map((output) =>
      output.isTensor
        ? `${output.name} (${output.type} [${output.shape.join(', ')}])`
        : `${output.name} (not a tensor)`,
    )
    .join(', ');
  const nonTensor = outputs.find((output) => !output.isTensor);
  if (nonTensor) {
    throw new ModelLoadError(
      'contract',
      `output '${nonTensor.name}' is not a tensor (a sequence of maps, as skl2onnx's ZipMap produces); export with zipmap=False (convert_sklearn(..., options={id(classifier): {'zipmap': False}})) so probabilities are a plain float tensor`,
    );
  }
  const tensors = outputs as InferenceSession.TensorValueMetadata[];
  const isVector = (output: InferenceSession.TensorValueMetadata) => output.shape.length === 1;
  const label =
    tensors.find((output) => output.name === 'label' && output.type === 'int64' && isVector(output)) ??
    tensors.find((output) => output.type === 'int64' && isVector(output));
  const probability = tensors.find(
    (output) => output.name === 'probability' && output.type === 'float32' && isVector(output),
  );
  if (probability && label)
    return { probabilityOutput: probability.name, probabilityWidth: 1, labelOutput: label.name };
  const twoColumn = tensors.find(
    (output) => output.type === 'float32' && output.shape.length === 2 && output.shape[1] === 2,
  );
  if (twoColumn) return { probabilityOutput: twoColumn.name, probabilityWidth: 2, labelOutput: label?.name };
  throw new ModelLoadError(
    'contract',
    `the graph's outputs are ${describe || 'none'}; a served model needs outputs label (int64 [N]) and probability (float [N], positive class), or a float [N,2] class-probability tensor — export the classifier's probabilities as a plain float tensor`,
  );
}
