// Owns the few pieces of the protobuf wire format that Temporal's Payload and Payloads messages
// use: varints, length-delimited fields, and skipping fields a reader does not know. Written by hand
// rather than with protobufjs: two messages need ~80 lines, where the library would add a runtime
// dependency and code generation for them. Sandbox-safe: no `node:*`.

/** Wire types of the protobuf encoding. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Collects bytes; `finish()` gives them as one Uint8Array (protobufjs's `Writer` shape). */
export class Writer {
  private readonly chunks: number[] = [];

  /** Appends `value` (a non-negative integer below 2^53) as a varint. */
  uint32(value: number): this {
    while (value > 0x7f) {
      this.chunks.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.chunks.push(value);
    return this;
  }

  /** Appends `bytes` with its length before it (protobufjs's `Writer.bytes`). */
  bytes(bytes: Uint8Array): this {
    this.uint32(bytes.length);
    for (const b of bytes) this.chunks.push(b);
    return this;
  }

  /** Appends a length-delimited field: its tag, its length, its bytes. */
  field(fieldNumber: number, bytes: Uint8Array): this {
    return this.uint32(fieldNumber * 8 + LENGTH_DELIMITED).bytes(bytes);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** Reads fields in order from `bytes`. */
export class Reader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end = bytes.length,
  ) {}

  uint32(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('protobuf: varint runs past the end of the message');
      const b = this.bytes[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 63) throw new RangeError('protobuf: varint longer than 10 bytes');
    }
  }

  /** The next field's number and wire type, or undefined at the end. */
  tag(): { field: number; wireType: number } | undefined {
    if (this.pos >= this.end) return undefined;
    const tag = this.uint32();
    return { field: Math.floor(tag / 8), wireType: tag % 8 };
  }

  /** The bytes of a length-delimited field (a view, not a copy). */
  bytesField(): Uint8Array {
    const length = this.uint32();
    if (this.pos + length > this.end) throw new RangeError('protobuf: a field runs past the end of the message');
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** Skips a field this reader does not know, as protobuf readers must. */
  skip(wireType: number): void {
    if (wireType === VARINT) this.uint32();
    else if (wireType === FIXED64) this.pos += 8;
    else if (wireType === LENGTH_DELIMITED) this.bytesField();
    else if (wireType === FIXED32) this.pos += 4;
    else throw new RangeError(`protobuf: unsupported wire type ${wireType}`);
    if (this.pos > this.end) throw new RangeError('protobuf: a field runs past the end of the message');
  }
}

/** Whether a field has the wire type its schema gives it. */
export function expectLengthDelimited(wireType: number, what: string): void {
  if (wireType !== LENGTH_DELIMITED) throw new RangeError(`protobuf: ${what} has wire type ${wireType}, expected 2 (length-delimited)`);
}
