/**
 * The few pieces of ONNX's protobuf encoding that serving reads and rewrites itself, with no protobuf
 * or ONNX package: a field walker over the wire format
 * (https://protobuf.dev/programming-guides/encoding/) and the field numbers of the messages used
 * (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
 */
import { ProtobufWriter } from '@churn/churn-pipeline';

/** onnx.proto field numbers used by serving. */
export const OnnxField = {
  MODEL_IR_VERSION: 1,
  MODEL_GRAPH: 7,
  MODEL_OPSET_IMPORT: 8,
  OPSET_DOMAIN: 1,
  OPSET_VERSION: 2,
  GRAPH_NODE: 1,
  GRAPH_INITIALIZER: 5,
  GRAPH_INPUT: 11,
  GRAPH_OUTPUT: 12,
  VALUE_INFO_NAME: 1,
  VALUE_INFO_TYPE: 2,
  TYPE_TENSOR_TYPE: 1,
  TENSOR_TYPE_ELEM_TYPE: 1,
  TENSOR_TYPE_SHAPE: 2,
  SHAPE_DIM: 1,
  DIM_VALUE: 1,
  DIM_PARAM: 2,
  TENSOR_DIMS: 1,
  TENSOR_DATA_TYPE: 2,
  TENSOR_INT64_DATA: 7,
  TENSOR_NAME: 8,
  NODE_INPUT: 1,
  NODE_OUTPUT: 2,
  NODE_NAME: 3,
  NODE_OP_TYPE: 4,
  NODE_ATTRIBUTE: 5,
  NODE_DOMAIN: 7,
  ATTRIBUTE_NAME: 1,
  ATTRIBUTE_INT: 3,
  ATTRIBUTE_GRAPH: 6,
  ATTRIBUTE_STRINGS: 9,
  ATTRIBUTE_GRAPHS: 11,
  ATTRIBUTE_TYPE: 20,
} as const;

/** `TensorProto.DataType` values serving looks for. */
export const OnnxElementType = { FLOAT: 1, INT64: 7, STRING: 8, DOUBLE: 11 } as const;

export const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** The ONNX bytes cannot be decoded as a protobuf message. */
export class OnnxDecodeError extends Error {
  override readonly name = 'OnnxDecodeError';
}

/** One top-level field of a message. */
export interface WireField {
  field: number;
  wire: number;
  /** The payload of a length-delimited field (a sub-array, no copy), or a varint's value. */
  value: Uint8Array | number;
  /** The whole field as written, key included: copied unchanged by a rewrite. */
  raw: Uint8Array;
}

/**
 * Calls `visit` for each top-level field of a message, in order.
 * @throws {OnnxDecodeError} when the bytes are not a well-formed protobuf message
 */
export function forEachField(bytes: Uint8Array, visit: (field: WireField) => void): void {
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
    const start = offset;
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let value: Uint8Array | number = 0;
    if (wire === WIRE_VARINT) value = readVarint();
    else if (wire === WIRE_FIXED64) offset += 8;
    else if (wire === WIRE_FIXED32) offset += 4;
    else if (wire === WIRE_LENGTH_DELIMITED) {
      const length = readVarint();
      if (offset + length > bytes.length)
        throw new OnnxDecodeError('a field in the ONNX file runs past its end; is it truncated?');
      value = bytes.subarray(offset, offset + length);
      offset += length;
    } else throw new OnnxDecodeError(`unsupported protobuf wire type ${wire}; this is not an ONNX model`);
    if (offset > bytes.length)
      throw new OnnxDecodeError('the ONNX file ends inside a fixed-size field; is it truncated?');
    visit({ field, wire, value, raw: bytes.subarray(start, offset) });
  }
}

/** The payloads of every length-delimited occurrence of `wanted`, in order. */
export function messagesOf(bytes: Uint8Array, wanted: number): Uint8Array[] {
  const found: Uint8Array[] = [];
  forEachField(bytes, ({ field, value }) => {
    if (field === wanted && value instanceof Uint8Array) found.push(value);
  });
  return found;
}

/** The last occurrence of a length-delimited field (protobuf's rule for a repeated singular field). */
export function lastMessageOf(bytes: Uint8Array, wanted: number): Uint8Array | undefined {
  const all = messagesOf(bytes, wanted);
  return all[all.length - 1];
}

/** The last value of a varint field. */
export function lastVarintOf(bytes: Uint8Array, wanted: number): number | undefined {
  let found: number | undefined;
  forEachField(bytes, ({ field, wire, value }) => {
    if (field === wanted && wire === WIRE_VARINT && typeof value === 'number') found = value;
  });
  return found;
}

/** The text of the last occurrence of a length-delimited field (a name); '' when absent. */
export function lastTextOf(bytes: Uint8Array, wanted: number): string {
  const text = lastMessageOf(bytes, wanted);
  return text ? decodeText(text) : '';
}

/**
 * Copies a message field by field; where `replace` returns a payload for a length-delimited field,
 * that payload is written in its place (same field number), otherwise the field's bytes are kept.
 */
export function rewriteFields(
  message: Uint8Array,
  replace: (field: number, value: Uint8Array) => Uint8Array | undefined,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  forEachField(message, ({ field, value, raw }) => {
    const replacement = value instanceof Uint8Array ? replace(field, value) : undefined;
    chunks.push(replacement === undefined ? raw : new ProtobufWriter().bytes(field, replacement).finish());
  });
  return concatChunks(chunks);
}

const utf8 = new TextDecoder('utf-8');

export function decodeText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Joins byte chunks into one array. */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
