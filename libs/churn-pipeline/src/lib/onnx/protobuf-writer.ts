/**
 * A minimal Protocol Buffers (proto2/proto3 wire format) encoder: just enough to serialise the ONNX
 * messages the exporter writes, so that the lib needs no protobuf or ONNX package.
 *
 * Wire format reference: https://protobuf.dev/programming-guides/encoding/
 * - every field is a key `(field_number << 3) | wire_type` written as a varint, then its payload;
 * - wire type 0 (VARINT): integers, booleans and enums as base-128 varints, least significant group
 *   first, the high bit of each byte saying "more follows"; negative int64 values are written as
 *   their 64-bit two's complement (always 10 bytes);
 * - wire type 2 (LEN): strings (UTF-8), bytes, embedded messages and packed repeated scalars, as a
 *   varint byte length followed by the bytes;
 * - wire type 5 (I32): floats, 4 bytes little-endian.
 */

/** The wire types this encoder writes (I64, type 1, is not needed by the ONNX messages used). */
const WireType = { Varint: 0, LengthDelimited: 2, Fixed32: 5 } as const;
type WireType = (typeof WireType)[keyof typeof WireType];

/** A value or field number that the wire format cannot carry (not an integer, out of range). */
export class ProtobufEncodingError extends Error {
  override readonly name = 'ProtobufEncodingError';
}

const MAX_FIELD_NUMBER = 2 ** 29 - 1;
const UINT64_MODULUS = 1n << 64n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * Encodes an integer as a base-128 varint; negative values as their 64-bit two's complement, as
 * protobuf does for `int64`/`int32` fields.
 *
 * @throws {ProtobufEncodingError} when the value is not a safe integer within int64 range.
 * @example encodeVarint(150) // Uint8Array [0x96, 0x01], the example of the protobuf encoding guide
 */
export function encodeVarint(value: number | bigint): Uint8Array {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new ProtobufEncodingError(`varint value ${value} is not a safe integer`);
  }
  let remaining = BigInt(value);
  if (remaining < INT64_MIN || remaining > INT64_MAX) {
    throw new ProtobufEncodingError(`varint value ${value} is outside the int64 range`);
  }
  if (remaining < 0n) remaining += UINT64_MODULUS;
  const bytes: number[] = [];
  do {
    const group = Number(remaining & 0x7fn);
    remaining >>= 7n;
    bytes.push(remaining > 0n ? group | 0x80 : group);
  } while (remaining > 0n);
  return Uint8Array.from(bytes);
}

/**
 * Accumulates the fields of one message in order; `finish()` returns the serialised bytes. Fields
 * are written in the order of the calls (protobuf parsers accept any order).
 */
export class ProtobufWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** An integer (`int32`, `int64`, enum) field. */
  int(fieldNumber: number, value: number | bigint): this {
    this.key(fieldNumber, WireType.Varint);
    return this.push(encodeVarint(value));
  }

  /** A `float` field: IEEE 754 single precision, little-endian. */
  float(fieldNumber: number, value: number): this {
    this.key(fieldNumber, WireType.Fixed32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.push(bytes);
  }

  /** A `string` field, UTF-8 encoded. */
  string(fieldNumber: number, value: string): this {
    return this.bytes(fieldNumber, new TextEncoder().encode(value));
  }

  /** A `bytes` field or an embedded message already serialised. */
  bytes(fieldNumber: number, value: Uint8Array): this {
    this.key(fieldNumber, WireType.LengthDelimited);
    this.push(encodeVarint(value.length));
    return this.push(value);
  }

  /** An embedded message, serialised by the given writer. */
  message(fieldNumber: number, value: ProtobufWriter): this {
    return this.bytes(fieldNumber, value.finish());
  }

  /** A packed `repeated float` field: one length-delimited run of 4-byte little-endian floats. */
  packedFloats(fieldNumber: number, values: readonly number[]): this {
    const bytes = new Uint8Array(4 * values.length);
    const view = new DataView(bytes.buffer);
    values.forEach((value, index) => view.setFloat32(4 * index, value, true));
    return this.bytes(fieldNumber, bytes);
  }

  /** A packed `repeated int64` field: one length-delimited run of varints. */
  packedInts(fieldNumber: number, values: readonly (number | bigint)[]): this {
    return this.bytes(fieldNumber, concatBytes(values.map(encodeVarint)));
  }

  /** The serialised message. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private key(fieldNumber: number, wireType: WireType): void {
    if (!Number.isInteger(fieldNumber) || fieldNumber < 1 || fieldNumber > MAX_FIELD_NUMBER) {
      throw new ProtobufEncodingError(`field number ${fieldNumber} is not in 1..${MAX_FIELD_NUMBER}`);
    }
    this.push(encodeVarint(fieldNumber * 8 + wireType));
  }

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
