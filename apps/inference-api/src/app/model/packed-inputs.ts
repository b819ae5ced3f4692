/**
 * A serving copy of a model whose column inputs of one element type are fed as one 2-D tensor.
 *
 * Why: onnxruntime-node hands each input of a `session.run` to native code separately, at a fixed
 * cost per input per call; with one graph input per column (19 for the Telco model), that cost is
 * more than the churn graph's kernels on the small batches a turn of the event loop gathers.
 *
 * What changes, per packed group (every float, double or int64 input of shape `[N]` or `[N,1]`,
 * two or more of one type): the group's graph inputs are replaced by one input `[N, k]`, and one
 * `Gather` (axis 1) per former input, at the head of the graph, gives that input's name to its
 * column (a scalar index yields `[N]`, a one-element index `[N,1]`). Every other byte of the model
 * is kept, and Gather only copies, so the copy scores exactly as the model it was made from (the
 * loader also checks that on the warm-up rows before serving it). The model in the registry is not
 * touched. Operator: https://onnx.ai/onnx/operators/onnx__Gather.html
 */
import { ProtobufWriter } from '@churn/churn-pipeline';

import { readGraphSummary, type GraphInput } from './onnx-categories';
import {
  concatChunks,
  forEachField,
  lastTextOf,
  lastVarintOf,
  messagesOf,
  OnnxElementType,
  OnnxField,
  rewriteFields,
} from './onnx-wire';

export type PackedTensorType = 'float32' | 'float64' | 'int64';

export interface PackedInputGroup {
  /** The packed graph input, `[N, members.length]`. */
  name: string;
  tensorType: PackedTensorType;
  /** The inputs it replaces, in the packed tensor's column order; `columnVector` for a former `[N,1]` input. */
  members: { name: string; columnVector: boolean }[];
}

export interface PackedInputsModel {
  onnxBytes: Uint8Array;
  groups: PackedInputGroup[];
}

const PACKABLE_TYPES = new Map<number, PackedTensorType>([
  [OnnxElementType.FLOAT, 'float32'],
  [OnnxElementType.DOUBLE, 'float64'],
  [OnnxElementType.INT64, 'int64'],
]);
const ELEMENT_TYPE_OF: Record<PackedTensorType, number> = {
  float32: OnnxElementType.FLOAT,
  float64: OnnxElementType.DOUBLE,
  int64: OnnxElementType.INT64,
};
/** Initializers that are not graph inputs need IR version 4 or later. */
const MIN_IR_VERSION = 4;
const ATTRIBUTE_TYPE_INT = 2;

/**
 * The packed serving copy of a model, or `undefined` when no two inputs can share a tensor (or the
 * model declares no IR version from 4 on, or does not import the default operator set).
 * @throws {OnnxDecodeError} when the bytes are not a well-formed protobuf message
 */
export function packedInputs(onnxBytes: Uint8Array): PackedInputsModel | undefined {
  if ((lastVarintOf(onnxBytes, OnnxField.MODEL_IR_VERSION) ?? 0) < MIN_IR_VERSION) return undefined;
  if (!importsDefaultOperators(onnxBytes)) return undefined;
  const graph = readGraphSummary(onnxBytes);
  if (graph === undefined) return undefined;
  const notPackable = new Set([...graph.outputs, ...graph.initializers]);
  const membersByType = new Map<PackedTensorType, PackedInputGroup['members']>();
  for (const input of graph.inputs) {
    const tensorType = input.elemType === undefined ? undefined : PACKABLE_TYPES.get(input.elemType);
    const columnVector = columnShape(input);
    if (tensorType === undefined || columnVector === undefined || notPackable.has(input.name)) continue;
    membersByType.set(tensorType, [...(membersByType.get(tensorType) ?? []), { name: input.name, columnVector }]);
  }
  const taken = new Set([
    ...graph.inputs.map((input) => input.name),
    ...graph.outputs,
    ...graph.initializers,
    ...graph.nodes.flatMap((node) => [...node.inputs, ...node.outputs]),
  ]);
  const groups: PackedInputGroup[] = [];
  for (const [tensorType, members] of membersByType) {
    if (members.length >= 2) groups.push({ name: freshName(`packed_${tensorType}`, taken), tensorType, members });
  }
  if (groups.length === 0) return undefined;
  return {
    onnxBytes: rewriteFields(onnxBytes, (number, graphBytes) =>
      number === OnnxField.MODEL_GRAPH ? packGraph(graphBytes, groups, taken) : undefined,
    ),
    groups,
  };
}

/** Whether the input is a column: `[N]` (false) or `[N,1]` (true) with a symbolic or unknown N; undefined otherwise. */
function columnShape(input: GraphInput): boolean | undefined {
  const dims = input.dims;
  if (dims === undefined || typeof dims[0] === 'number') return undefined;
  if (dims.length === 1) return false;
  return dims.length === 2 && dims[1] === 1 ? true : undefined;
}

function importsDefaultOperators(model: Uint8Array): boolean {
  return messagesOf(model, OnnxField.MODEL_OPSET_IMPORT).some((opset) => {
    const domain = lastTextOf(opset, OnnxField.OPSET_DOMAIN);
    return domain === '' || domain === 'ai.onnx';
  });
}

/** `base`, or `base_2`, `base_3`… : the first that names nothing in the graph yet (then taken). */
function freshName(base: string, taken: Set<string>): string {
  let name = base;
  for (let suffix = 2; taken.has(name); suffix++) name = `${base}_${suffix}`;
  taken.add(name);
  return name;
}

/**
 * The graph with the Gather nodes first, its own fields next (less the replaced inputs), then the
 * packed inputs and the index initializers. Initializers go last: onnxruntime's
 * GatherSliceToSplitFusion (which turns such Gathers into one Split) fails to open the session
 * ("Attempt to replace the existing tensor") when they come before the graph's own.
 */
function packGraph(graph: Uint8Array, groups: readonly PackedInputGroup[], taken: Set<string>): Uint8Array {
  const replaced = new Set(groups.flatMap((group) => group.members.map((member) => member.name)));
  const nodes: Uint8Array[] = [];
  const added: Uint8Array[] = [];
  for (const group of groups) {
    added.push(field(OnnxField.GRAPH_INPUT, packedInputInfo(group)));
    group.members.forEach((member, column) => {
      const index = freshName(`${group.name}_column_${column}`, taken);
      added.push(field(OnnxField.GRAPH_INITIALIZER, indexTensor(index, column, member.columnVector)));
      nodes.push(
        field(OnnxField.GRAPH_NODE, gatherNode(group.name, index, member.name, freshName(`${index}_gather`, taken))),
      );
    });
  }
  const own: Uint8Array[] = [];
  forEachField(graph, ({ field: number, value, raw }) => {
    const dropped =
      number === OnnxField.GRAPH_INPUT &&
      value instanceof Uint8Array &&
      replaced.has(lastTextOf(value, OnnxField.VALUE_INFO_NAME));
    if (!dropped) own.push(raw);
  });
  return concatChunks([...nodes, ...own, ...added]);
}

/** ValueInfo of `[N, k]` with the group's element type. */
function packedInputInfo(group: PackedInputGroup): ProtobufWriter {
  const shape = new ProtobufWriter()
    .message(OnnxField.SHAPE_DIM, new ProtobufWriter().string(OnnxField.DIM_PARAM, 'N'))
    .message(OnnxField.SHAPE_DIM, new ProtobufWriter().int(OnnxField.DIM_VALUE, group.members.length));
  const tensorType = new ProtobufWriter()
    .int(OnnxField.TENSOR_TYPE_ELEM_TYPE, ELEMENT_TYPE_OF[group.tensorType])
    .message(OnnxField.TENSOR_TYPE_SHAPE, shape);
  return new ProtobufWriter()
    .string(OnnxField.VALUE_INFO_NAME, group.name)
    .message(OnnxField.VALUE_INFO_TYPE, new ProtobufWriter().message(OnnxField.TYPE_TENSOR_TYPE, tensorType));
}

/** An int64 initializer holding `column`: a scalar, or a one-element vector for a `[N,1]` result. */
function indexTensor(name: string, column: number, vector: boolean): ProtobufWriter {
  const tensor = new ProtobufWriter();
  if (vector) tensor.packedInts(OnnxField.TENSOR_DIMS, [1]);
  return tensor
    .int(OnnxField.TENSOR_DATA_TYPE, OnnxElementType.INT64)
    .packedInts(OnnxField.TENSOR_INT64_DATA, [column])
    .string(OnnxField.TENSOR_NAME, name);
}

function gatherNode(packed: string, index: string, output: string, name: string): ProtobufWriter {
  return new ProtobufWriter()
    .string(OnnxField.NODE_INPUT, packed)
    .string(OnnxField.NODE_INPUT, index)
    .string(OnnxField.NODE_OUTPUT, output)
    .string(OnnxField.NODE_NAME, name)
    .string(OnnxField.NODE_OP_TYPE, 'Gather')
    .message(
      OnnxField.NODE_ATTRIBUTE,
      new ProtobufWriter()
        .string(OnnxField.ATTRIBUTE_NAME, 'axis')
        .int(OnnxField.ATTRIBUTE_INT, 1)
        .int(OnnxField.ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT),
    );
}

function field(number: number, message: ProtobufWriter): Uint8Array {
  return new ProtobufWriter().message(number, message).finish();
}
