// Owns byte/text encodings that run anywhere, the workflow sandbox included: base64 in pure JS
// (no Buffer, no atob), UTF-8 through TextEncoder/TextDecoder, and the one conversion between a
// payload as user code sees it (Temporal's bytes) and as the wire protocol carries it (base64).
import type { Payload as WirePayload } from '../../protocol/payload.js';
import { ValueError } from './errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 61; // '='

/** Char code → 6-bit value; 255 marks a character outside the alphabet. */
const DECODE_TABLE = (() => {
  const table = new Uint8Array(128).fill(255);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();
const ENCODE_TABLE = Array.from(ALPHABET, (c) => c.charCodeAt(0));

// String.fromCharCode takes its arguments on the stack, so long outputs go through it in chunks.
const CHUNK = 0x8000;

/**
 * Encodes bytes as standard base64 (RFC 4648 §4, with `=` padding), the form the wire
 * protocol uses for payload data and metadata.
 *
 * @example
 * encodeBase64(new Uint8Array([104, 105])); // 'aGk='
 */
export function encodeBase64(bytes: Uint8Array): string {
  const len = bytes.length;
  const out = new Uint16Array(Math.ceil(len / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < len; i += 3) o = putQuad(out, o, (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!);
  return finishBase64(out, o, len - i, bytes[i] ?? 0, bytes[i + 1] ?? 0);
}

/**
 * Base64 of an ASCII-only string's bytes (each character is its one byte of UTF-8), read from its
 * character codes: no UTF-8 copy of it is made. `undefined` when the text has a non-ASCII character.
 */
function asciiToBase64(text: string): string | undefined {
  const len = text.length;
  const out = new Uint16Array(Math.ceil(len / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < len; i += 3) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const c = text.charCodeAt(i + 2);
    if ((a | b | c) > 0x7f) return undefined;
    o = putQuad(out, o, (a << 16) | (b << 8) | c);
  }
  const a = i < len ? text.charCodeAt(i) : 0;
  const b = i + 1 < len ? text.charCodeAt(i + 1) : 0;
  if ((a | b) > 0x7f) return undefined;
  return finishBase64(out, o, len - i, a, b);
}

/** Writes the four characters of three bytes (`n`, 24 bits) at `o`; returns the next position. */
function putQuad(out: Uint16Array, o: number, n: number): number {
  out[o] = ENCODE_TABLE[(n >> 18) & 63]!;
  out[o + 1] = ENCODE_TABLE[(n >> 12) & 63]!;
  out[o + 2] = ENCODE_TABLE[(n >> 6) & 63]!;
  out[o + 3] = ENCODE_TABLE[n & 63]!;
  return o + 4;
}

/** Writes the padded last group (`rest`: 0–2 bytes left, `a` and `b`) and makes the text. */
function finishBase64(out: Uint16Array, o: number, rest: number, a: number, b: number): string {
  if (rest > 0) {
    const n = (a << 16) | (rest === 2 ? b << 8 : 0);
    out[o++] = ENCODE_TABLE[(n >> 18) & 63]!;
    out[o++] = ENCODE_TABLE[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? ENCODE_TABLE[(n >> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  let s = '';
  for (let c = 0; c < out.length; c += CHUNK) {
    s += String.fromCharCode.apply(null, out.subarray(c, c + CHUNK) as unknown as number[]);
  }
  return s;
}

/**
 * Decodes standard base64 (padding optional) into bytes.
 *
 * @throws {ValueError} when the text holds a character outside the base64 alphabet or has
 * an impossible length.
 */
export function decodeBase64(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === PAD) end--;
  if (text.length - end > 2 || end % 4 === 1) {
    throw new ValueError(`Invalid base64: length ${text.length} cannot be decoded`);
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? DECODE_TABLE[code]! : 255;
    if (v === 255) {
      throw new ValueError(`Invalid base64: unexpected character ${JSON.stringify(text[i])} at position ${i}`);
    }
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

let encoder: InstanceType<typeof TextEncoder> | undefined;
let decoder: InstanceType<typeof TextDecoder> | undefined;

/** Encodes a string as UTF-8 bytes. */
export function encodeUtf8(text: string): Uint8Array {
  encoder ??= new TextEncoder();
  return encoder.encode(text);
}

/**
 * Decodes UTF-8 bytes into a string. Malformed sequences become U+FFFD, as TextDecoder does
 * by default. Absent bytes give `''`, as Temporal's `decode` does, so a codec can pass a metadata
 * value that may be missing.
 */
export function decodeUtf8(bytes: Uint8Array | null | undefined): string {
  if (bytes == null) return '';
  decoder ??= new TextDecoder();
  return decoder.decode(bytes);
}

/**
 * `encodeBase64(encodeUtf8(text))`: how payload metadata values and JSON payloads are written.
 * ASCII text (most JSON) is read as its bytes: making the UTF-8 copy through TextEncoder costs more
 * than the encoding itself for the short payloads a workflow passes around.
 */
export function utf8ToBase64(text: string): string {
  return asciiToBase64(text) ?? encodeBase64(encodeUtf8(text));
}

/** `decodeUtf8(decodeBase64(text))`: how payload metadata values are read. */
export function base64ToUtf8(text: string): string {
  return decodeUtf8(decodeBase64(text));
}

/**
 * A payload as user code sees it, Temporal's `Payload`: metadata values and data are bytes. This is
 * what a {@link PayloadCodec} takes and returns, so a codec written for Temporal (one that
 * serialises the payload with `temporal.api.common.v1.Payload.encode` from `keel/proto`) runs
 * unchanged. On the wire, and to the payload converters, a payload is {@link WirePayload}.
 */
export interface Payload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

/** A wire payload (base64 text) as bytes: the one conversion into {@link Payload}. */
export function payloadFromWire(payload: WirePayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) metadata[key] = decodeBase64(value);
  return { metadata, data: decodeBase64(payload.data ?? '') };
}

/**
 * A {@link Payload} as the wire carries it, base64 text: the one conversion out of bytes. Absent
 * metadata or data become empty, which protobuf does not tell apart either.
 */
export function payloadToWire(payload: Payload): WirePayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) metadata[key] = encodeBase64(value);
  return { metadata, data: payload.data == null ? '' : encodeBase64(payload.data) };
}
