/**
 * The categories each categorical graph input is one-hot encoded against, read straight from the
 * ONNX model: the `cats_strings` attribute of every `ai.onnx.ml` OneHotEncoder node whose input is a
 * graph input (directly or through single-input plumbing such as Cast, Reshape or skl2onnx's
 * ArrayFeatureExtractor). Serving uses them only to warn about categories the model has never seen;
 * the graph itself encodes those as all zeros.
 *
 * Reading the graph instead of a side file means any exporter's model gets the warnings, including
 * one converted with skl2onnx in Python. Only the few fields needed are decoded, with a minimal
 * protobuf reader (wire format: https://protobuf.dev/programming-guides/encoding/; message fields:
 * https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
 */

/** onnx.proto field numbers used here. */
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INPUT = 11;
const VALUE_INFO_NAME = 1;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_STRINGS = 9;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Nodes that pass one column through unchanged in content, so an encoder behind them still sees the input. */
const PASS_THROUGH_OPS = new Set(['Identity', 'Cast', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'ArrayFeatureExtractor']);

/** The ONNX bytes cannot be decoded as a protobuf message. */
export class OnnxDecodeError extends Error {
  override readonly name = 'OnnxDecodeError';
}

interface GraphNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  catsStrings: string[] | undefined;
}

/**
 * Categories per graph input name, for inputs that reach a OneHotEncoder with `cats_strings`.
 * Inputs reaching several encoders get the union.
 * @throws {OnnxDecodeError} when the bytes are not a well-formed protobuf message
 */
export function oneHotCategoriesByInput(onnxBytes: Uint8Array): Map<string, Set<string>> {
  const graphBytes = lastField(onnxBytes, MODEL_GRAPH);
  const result = new Map<string, Set<string>>();
  if (graphBytes === undefined) return result;
  const inputs = new Set<string>();
  const producers = new Map<string, GraphNode>();
  const encoders: GraphNode[] = [];
  forEachField(graphBytes, (field, wire, value) => {
    if (wire !== WIRE_LENGTH_DELIMITED || !(value instanceof Uint8Array)) return;
    if (field === GRAPH_INPUT) {
      const name = lastField(value, VALUE_INFO_NAME);
      if (name) inputs.add(decodeText(name));
    } else if (field === GRAPH_NODE) {
      const node = decodeNode(value);
      for (const output of node.outputs) producers.set(output, node);
      if (node.opType === 'OneHotEncoder' && node.catsStrings) encoders.push(node);
    }
  });
  for (const encoder of encoders) {
    let name: string | undefined = encoder.inputs[0];
    for (let hops = 0; name !== undefined && !inputs.has(name) && hops < 16; hops++) {
      const producer = producers.get(name);
      name = producer && PASS_THROUGH_OPS.has(producer.opType) ? producer.inputs[0] : undefined;
    }
    if (name === undefined || !inputs.has(name)) continue;
    const categories = result.get(name) ?? new Set<string>();
    for (const category of encoder.catsStrings ?? []) categories.add(category);
    result.set(name, categories);
  }
  return result;
}

function decodeNode(bytes: Uint8Array): GraphNode {
  const node: GraphNode = { opType: '', inputs: [], outputs: [], catsStrings: undefined };
  forEachField(bytes, (field, wire, value) => {
    if (wire !== WIRE_LENGTH_DELIMITED || !(value instanceof Uint8Array)) return;
    if (field === NODE_INPUT) node.inputs.push(decodeText(value));
    else if (field === NODE_OUTPUT) node.outputs.push(decodeText(value));
    else if (field === NODE_OP_TYPE) node.opType = decodeText(value);
    else if (field === NODE_ATTRIBUTE) {
      let name = '';
      const strings: string[] = [];
      forEachField(value, (attributeField, attributeWire, attributeValue) => {
        if (attributeWire !== WIRE_LENGTH_DELIMITED || !(attributeValue instanceof Uint8Array)) return;
        if (attributeField === ATTRIBUTE_NAME) name = decodeText(attributeValue);
        else if (attributeField === ATTRIBUTE_STRINGS) strings.push(decodeText(attributeValue));
      });
      if (name === 'cats_strings') node.catsStrings = strings;
    }
  });
  return node;
}

function lastField(bytes: Uint8Array, wanted: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  forEachField(bytes, (field, wire, value) => {
    if (field === wanted && wire === WIRE_LENGTH_DELIMITED && value instanceof Uint8Array) found = value;
  });
  return found;
}

/** Calls `visit` for each top-level field; length-delimited values are sub-arrays (no copies). */
function forEachField(bytes: Uint8Array, visit: (field: number, wire: number, value: Uint8Array | number) => void): void {
  let offset = 0;
  const readVarint = (): number => {
    let result = 0;
    let multiplier = 1;
    for (let shift = 0; shift < 70; shift += 7) {
      if (offset >= bytes.length) throw new OnnxDecodeError('the ONNX file ends inside a varint; is it truncated?');
      const byte = bytes[offset++];
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result;
      multiplier *= 128;
    }
    throw new OnnxDecodeError('a varint in the ONNX file is longer than 10 bytes');
  };
  while (offset < bytes.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === WIRE_VARINT) visit(field, wire, readVarint());
    else if (wire === WIRE_FIXED64) offset += 8;
    else if (wire === WIRE_FIXED32) offset += 4;
    else if (wire === WIRE_LENGTH_DELIMITED) {
      const length = readVarint();
      if (offset + length > bytes.length) throw new OnnxDecodeError('a field in the ONNX file runs past its end; is it truncated?');
      visit(field, wire, bytes.subarray(offset, offset + length));
      offset += length;
    } else throw new OnnxDecodeError(`unsupported protobuf wire type ${wire}; this is not an ONNX model`);
    if (offset > bytes.length) throw new OnnxDecodeError('the ONNX file ends inside a fixed-size field; is it truncated?');
  }
}

const utf8 = new TextDecoder('utf-8');

function decodeText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
