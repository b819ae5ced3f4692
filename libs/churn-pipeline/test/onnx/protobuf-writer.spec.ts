import { encodeVarint, ProtobufEncodingError, ProtobufWriter } from '../../src/lib/onnx';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// Expected bytes are the worked examples of https://protobuf.dev/programming-guides/encoding/
// ("Base 128 Varints", "Signed Integers", "Length-Delimited Records", "Packed Repeated Fields").
describe('encodeVarint', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [150, '9601'],
    [300, 'ac02'],
    [2 ** 53 - 1, 'ffffffffffffff0f'],
    [-1, 'ffffffffffffffffff01'],
    [-(2n ** 63n), '80808080808080808001'],
  ])('encodes %p as %s', (value, expected) => {
    expect(hex(encodeVarint(value))).toBe(expected);
  });

  it('refuses values the wire format cannot carry', () => {
    expect(() => encodeVarint(1.5)).toThrow(ProtobufEncodingError);
    expect(() => encodeVarint(2n ** 63n)).toThrow('outside the int64 range');
  });
});

describe('ProtobufWriter', () => {
  it("writes the guide's examples: an int field, a string field, packed ints", () => {
    expect(hex(new ProtobufWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtobufWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtobufWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
  });

  it('writes floats as 4 little-endian bytes, alone and packed, and embeds messages', () => {
    expect(hex(new ProtobufWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtobufWriter().packedFloats(7, [1, -2]).finish())).toBe('3a080000803f000000c0');
    expect(hex(new ProtobufWriter().message(3, new ProtobufWriter().int(1, 150)).finish())).toBe('1a03089601');
  });

  it('refuses field numbers outside 1..2^29-1', () => {
    expect(() => new ProtobufWriter().int(0, 1)).toThrow(ProtobufEncodingError);
    expect(() => new ProtobufWriter().int(2 ** 29, 1)).toThrow('field number 536870912');
  });
});
