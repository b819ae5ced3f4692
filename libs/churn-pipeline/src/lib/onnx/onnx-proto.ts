/**
 * The subset of ONNX's protobuf messages the pipeline exporter writes, as plain TypeScript values,
 * and their encoders. Field numbers are those of `onnx/onnx-ml.proto` (ONNX 1.23, IR version 14
 * schema; the messages and numbers used here have been stable since IR version 3):
 * https://github.com/onnx/onnx/blob/main/onnx/onnx-ml.proto
 */
import { ProtobufWriter } from './protobuf-writer';

/** `TensorProto.DataType` values used by the exporter. */
export const TensorElementType = { FLOAT: 1, INT64: 7, STRING: 8 } as const;
export type TensorElementType = (typeof TensorElementType)[keyof typeof TensorElementType];

/** `AttributeProto.AttributeType` values used by the exporter. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** `OperatorSetIdProto`: an operator domain ('' is the default `ai.onnx` domain) and its opset. */
export interface OnnxOperatorSetId {
  domain: string;
  version: number;
}

/** `TensorProto`, holding its values in the typed field for its element type. */
export type OnnxTensor = { name: string; dims: number[] } & (
  | { dataType: typeof TensorElementType.FLOAT; values: number[] }
  | { dataType: typeof TensorElementType.INT64; values: number[] }
  | { dataType: typeof TensorElementType.STRING; values: string[] }
);

/** `AttributeProto`, one variant per attribute type used. */
export type OnnxAttribute = { name: string } & (
  | { type: 'FLOAT'; value: number }
  | { type: 'INT'; value: number }
  | { type: 'STRING'; value: string }
  | { type: 'TENSOR'; value: OnnxTensor }
  | { type: 'FLOATS'; value: number[] }
  | { type: 'INTS'; value: number[] }
  | { type: 'STRINGS'; value: string[] }
);

/** `NodeProto`: one operator application. */
export interface OnnxNode {
  name: string;
  opType: string;
  /** '' for the default domain, `ai.onnx.ml` for the classical ML operators. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

/** `ValueInfoProto` of a tensor: name, element type and shape (numbers are fixed, strings symbolic). */
export interface OnnxTensorValueInfo {
  name: string;
  elemType: TensorElementType;
  shape: (number | string)[];
  docString?: string;
}

/** `GraphProto`. */
export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxTensorValueInfo[];
  outputs: OnnxTensorValueInfo[];
  docString?: string;
}

/** `ModelProto`. */
export interface OnnxModel {
  irVersion: number;
  opsetImports: OnnxOperatorSetId[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: OnnxGraph;
  /** `metadata_props`: free key/value pairs that onnxruntime exposes as custom metadata. */
  metadata: Record<string, string>;
}

/** Serialises a `ModelProto`: the bytes of a `.onnx` file. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const writer = new ProtobufWriter()
    .int(1, model.irVersion)
    .string(2, model.producerName)
    .string(3, model.producerVersion);
  if (model.docString !== undefined) writer.string(6, model.docString);
  writer.message(7, graphWriter(model.graph));
  for (const opset of model.opsetImports) {
    writer.message(8, new ProtobufWriter().string(1, opset.domain).int(2, opset.version));
  }
  for (const [key, value] of Object.entries(model.metadata)) {
    writer.message(14, new ProtobufWriter().string(1, key).string(2, value));
  }
  return writer.finish();
}

function graphWriter(graph: OnnxGraph): ProtobufWriter {
  const writer = new ProtobufWriter();
  for (const node of graph.nodes) writer.message(1, nodeWriter(node));
  writer.string(2, graph.name);
  for (const tensor of graph.initializers) writer.message(5, tensorWriter(tensor));
  if (graph.docString !== undefined) writer.string(10, graph.docString);
  for (const input of graph.inputs) writer.message(11, valueInfoWriter(input));
  for (const output of graph.outputs) writer.message(12, valueInfoWriter(output));
  return writer;
}

function nodeWriter(node: OnnxNode): ProtobufWriter {
  const writer = new ProtobufWriter();
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  writer.string(3, node.name).string(4, node.opType);
  for (const attribute of node.attributes) writer.message(5, attributeWriter(attribute));
  if (node.domain !== '') writer.string(7, node.domain);
  return writer;
}

function attributeWriter(attribute: OnnxAttribute): ProtobufWriter {
  const writer = new ProtobufWriter().string(1, attribute.name).int(20, AttributeType[attribute.type]);
  switch (attribute.type) {
    case 'FLOAT':
      return writer.float(2, attribute.value);
    case 'INT':
      return writer.int(3, attribute.value);
    case 'STRING':
      return writer.string(4, attribute.value);
    case 'TENSOR':
      return writer.message(5, tensorWriter(attribute.value));
    case 'FLOATS':
      return writer.packedFloats(7, attribute.value);
    case 'INTS':
      return writer.packedInts(8, attribute.value);
    case 'STRINGS':
      for (const value of attribute.value) writer.string(9, value);
      return writer;
  }
}

function tensorWriter(tensor: OnnxTensor): ProtobufWriter {
  const writer = new ProtobufWriter().packedInts(1, tensor.dims).int(2, tensor.dataType);
  switch (tensor.dataType) {
    case TensorElementType.FLOAT:
      writer.packedFloats(4, tensor.values);
      break;
    case TensorElementType.STRING:
      for (const value of tensor.values) writer.string(6, value);
      break;
    case TensorElementType.INT64:
      writer.packedInts(7, tensor.values);
      break;
  }
  return writer.string(8, tensor.name);
}

function valueInfoWriter(info: OnnxTensorValueInfo): ProtobufWriter {
  const shape = new ProtobufWriter();
  for (const dim of info.shape) {
    shape.message(1, typeof dim === 'number' ? new ProtobufWriter().int(1, dim) : new ProtobufWriter().string(2, dim));
  }
  const tensorType = new ProtobufWriter().int(1, info.elemType).message(2, shape);
  const writer = new ProtobufWriter().string(1, info.name).message(2, new ProtobufWriter().message(1, tensorType));
  if (info.docString !== undefined) writer.string(3, info.docString);
  return writer;
}
