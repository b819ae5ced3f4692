/**
 * The categories each categorical graph input is one-hot encoded against, read straight from the
 * ONNX model: the `cats_strings` attribute of every `ai.onnx.ml` OneHotEncoder node whose input is a
 * graph input (directly or through single-input plumbing such as Cast, Reshape or skl2onnx's
 * ArrayFeatureExtractor). Serving uses them to warn about categories the model has never seen (the
 * graph itself encodes those as all zeros) and to feed such inputs as integer codes
 * (integer-coded-categories.ts).
 *
 * Reading the graph instead of a side file means any exporter's model gets the warnings, including
 * one converted with skl2onnx in Python. Only the few fields needed are decoded (onnx-wire.ts).
 */
import {
  decodeText,
  forEachField,
  lastMessageOf,
  lastTextOf,
  lastVarintOf,
  messagesOf,
  OnnxField,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from './onnx-wire';

export { OnnxDecodeError } from './onnx-wire';

/** Nodes that pass one column through unchanged in content, so an encoder behind them still sees the input. */
const PASS_THROUGH_OPS = new Set([
  'Identity',
  'Cast',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'ArrayFeatureExtractor',
]);

export interface GraphNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  catsStrings: string[] | undefined;
  /** The `zeros` attribute of a OneHotEncoder, when written (the operator's default is 1). */
  zeros: number | undefined;
  /** True when an attribute holds a subgraph (If, Loop, Scan), which may read any outer value. */
  hasSubgraph: boolean;
}

export interface GraphInput {
  name: string;
  /** `TensorProto.DataType` of a tensor input; undefined for other kinds of input. */
  elemType: number | undefined;
  /** Each dimension's fixed size or symbolic name (undefined when neither is written); undefined when no shape is declared. */
  dims: (number | string | undefined)[] | undefined;
}

/** The parts of a `GraphProto` serving looks at, in file order. */
export interface GraphSummary {
  inputs: GraphInput[];
  outputs: string[];
  initializers: string[];
  nodes: GraphNode[];
}

/**
 * Decodes the main graph of a model; `undefined` when the model has none.
 * @throws {OnnxDecodeError} when the bytes are not a well-formed protobuf message
 */
export function readGraphSummary(onnxBytes: Uint8Array): GraphSummary | undefined {
  const graphBytes = lastMessageOf(onnxBytes, OnnxField.MODEL_GRAPH);
  if (graphBytes === undefined) return undefined;
  const summary: GraphSummary = { inputs: [], outputs: [], initializers: [], nodes: [] };
  forEachField(graphBytes, ({ field, value }) => {
    if (!(value instanceof Uint8Array)) return;
    if (field === OnnxField.GRAPH_INPUT) summary.inputs.push(decodeInput(value));
    else if (field === OnnxField.GRAPH_OUTPUT) summary.outputs.push(lastTextOf(value, OnnxField.VALUE_INFO_NAME));
    else if (field === OnnxField.GRAPH_INITIALIZER) summary.initializers.push(lastTextOf(value, OnnxField.TENSOR_NAME));
    else if (field === OnnxField.GRAPH_NODE) summary.nodes.push(decodeNode(value));
  });
  return summary;
}

/**
 * Categories per graph input name, for inputs that reach a OneHotEncoder with `cats_strings`.
 * Inputs reaching several encoders get the union.
 * @throws {OnnxDecodeError} when the bytes are not a well-formed protobuf message
 */
export function oneHotCategoriesByInput(onnxBytes: Uint8Array): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const graph = readGraphSummary(onnxBytes);
  if (graph === undefined) return result;
  const inputs = new Set(graph.inputs.map((input) => input.name));
  const producers = new Map<string, GraphNode>();
  for (const node of graph.nodes) for (const output of node.outputs) producers.set(output, node);
  for (const encoder of graph.nodes) {
    if (encoder.opType !== 'OneHotEncoder' || !encoder.catsStrings) continue;
    let name: string | undefined = encoder.inputs[0];
    for (let hops = 0; name !== undefined && !inputs.has(name) && hops < 16; hops++) {
      const producer = producers.get(name);
      name = producer && PASS_THROUGH_OPS.has(producer.opType) ? producer.inputs[0] : undefined;
    }
    if (name === undefined || !inputs.has(name)) continue;
    const categories = result.get(name) ?? new Set<string>();
    for (const category of encoder.catsStrings) categories.add(category);
    result.set(name, categories);
  }
  return result;
}

function decodeInput(valueInfo: Uint8Array): GraphInput {
  const type = lastMessageOf(valueInfo, OnnxField.VALUE_INFO_TYPE);
  const tensorType = type && lastMessageOf(type, OnnxField.TYPE_TENSOR_TYPE);
  const shape = tensorType && lastMessageOf(tensorType, OnnxField.TENSOR_TYPE_SHAPE);
  return {
    name: lastTextOf(valueInfo, OnnxField.VALUE_INFO_NAME),
    elemType: tensorType && lastVarintOf(tensorType, OnnxField.TENSOR_TYPE_ELEM_TYPE),
    dims: shape && messagesOf(shape, OnnxField.SHAPE_DIM).map(decodeDimension),
  };
}

function decodeDimension(dimension: Uint8Array): number | string | undefined {
  const size = lastVarintOf(dimension, OnnxField.DIM_VALUE);
  if (size !== undefined) return size;
  const name = lastMessageOf(dimension, OnnxField.DIM_PARAM);
  return name && decodeText(name);
}

function decodeNode(bytes: Uint8Array): GraphNode {
  const node: GraphNode = {
    opType: '',
    domain: '',
    inputs: [],
    outputs: [],
    catsStrings: undefined,
    zeros: undefined,
    hasSubgraph: false,
  };
  forEachField(bytes, ({ field, wire, value }) => {
    if (wire !== WIRE_LENGTH_DELIMITED || !(value instanceof Uint8Array)) return;
    if (field === OnnxField.NODE_INPUT) node.inputs.push(decodeText(value));
    else if (field === OnnxField.NODE_OUTPUT) node.outputs.push(decodeText(value));
    else if (field === OnnxField.NODE_OP_TYPE) node.opType = decodeText(value);
    else if (field === OnnxField.NODE_DOMAIN) node.domain = decodeText(value);
    else if (field === OnnxField.NODE_ATTRIBUTE) decodeAttribute(value, node);
  });
  return node;
}

function decodeAttribute(bytes: Uint8Array, node: GraphNode): void {
  let name = '';
  let integer: number | undefined;
  const strings: string[] = [];
  forEachField(bytes, ({ field, wire, value }) => {
    if (field === OnnxField.ATTRIBUTE_GRAPH || field === OnnxField.ATTRIBUTE_GRAPHS) node.hasSubgraph = true;
    else if (field === OnnxField.ATTRIBUTE_INT && wire === WIRE_VARINT && typeof value === 'number') integer = value;
    else if (!(value instanceof Uint8Array)) return;
    else if (field === OnnxField.ATTRIBUTE_NAME) name = decodeText(value);
    else if (field === OnnxField.ATTRIBUTE_STRINGS) strings.push(decodeText(value));
  });
  if (name === 'cats_strings') node.catsStrings = strings;
  else if (name === 'zeros') node.zeros = integer;
}
