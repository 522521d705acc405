import { describe, expect, it } from 'vitest';
import type { Payload } from '../../protocol/index.js';
import { Payload as PayloadSchema } from '../../protocol/index.js';
import { base64ToUtf8, decodeBase64, decodeUtf8, utf8ToBase64 } from './encoding.js';
import { PayloadConverterError, ValueError } from './errors.js';
import {
  CompositePayloadConverter,
  JsonPayloadConverter,
  UndefinedPayloadConverter,
  arrayFromPayloads,
  defaultPayloadConverter as pc,
  encodingOf,
  fromPayloadsAtIndex,
  mapFromPayloads,
  mapToPayloads,
  toPayloads,
  type PayloadConverterWithEncoding,
} from './payload-converter.js';

describe('defaultPayloadConverter', () => {
  it('writes undefined as binary/null with no data', () => {
    const p = pc.toPayload(undefined);
    expect(p).toEqual({ metadata: { encoding: utf8ToBase64('binary/null') }, data: '' });
    expect(pc.fromPayload(p)).toBeUndefined();
  });

  it('writes a Uint8Array as binary/plain raw bytes', () => {
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const p = pc.toPayload(bytes);
    expect(encodingOf(p)).toBe('binary/plain');
    expect(decodeBase64(p.data)).toEqual(bytes);
    expect(pc.fromPayload<Uint8Array>(p)).toEqual(bytes);
  });

  it('writes everything else as json/plain UTF-8 JSON', () => {
    const value = { id: 'ordér-1', n: 2, ok: true, tags: ['a'], nested: { x: null } };
    const p = pc.toPayload(value);
    expect(base64ToUtf8(p.metadata.encoding!)).toBe('json/plain');
    expect(decodeUtf8(decodeBase64(p.data))).toBe(JSON.stringify(value));
    expect(pc.fromPayload(p)).toEqual(value);
    for (const v of [null, 0, '', 'text', false, [1, [2]]]) expect(pc.fromPayload(pc.toPayload(v))).toEqual(v);
  });

  it('makes payloads the wire schema accepts', () => {
    for (const v of [undefined, new Uint8Array([1]), { a: 1 }]) expect(PayloadSchema.parse(pc.toPayload(v))).toEqual(pc.toPayload(v));
  });

  it('refuses values no converter accepts', () => {
    expect(() => pc.toPayload(() => 1)).toThrow(PayloadConverterError);
    expect(() => pc.toPayload(Symbol('s'))).toThrow(/Unable to convert Symbol\(s\)/);
    expect(() => pc.toPayload(10n)).toThrow(PayloadConverterError);
  });

  it('throws PayloadConverterError for an unknown or missing encoding', () => {
    const unknown: Payload = { metadata: { encoding: utf8ToBase64('application/x-protobuf') }, data: '' };
    expect(() => pc.fromPayload(unknown)).toThrow(PayloadConverterError);
    expect(() => pc.fromPayload(unknown)).toThrow(/Unknown payload encoding 'application\/x-protobuf'/);
    expect(() => pc.fromPayload({ metadata: {}, data: '' })).toThrow(/no 'encoding' metadata/);
    const encrypted: Payload = { metadata: { encoding: utf8ToBase64('binary/encrypted') }, data: '' };
    expect(() => pc.fromPayload(encrypted)).toThrow(/payload codec/);
  });

  it('throws PayloadConverterError for json/plain that is not JSON', () => {
    const bad: Payload = { metadata: { encoding: utf8ToBase64('json/plain') }, data: utf8ToBase64('{nope') };
    expect(() => pc.fromPayload(bad)).toThrow(PayloadConverterError);
    expect(() => pc.fromPayload(bad)).toThrow(ValueError);
  });
});

describe('CompositePayloadConverter', () => {
  it('lets custom converters come first', () => {
    const dates: PayloadConverterWithEncoding = {
      encodingType: 'test/date',
      toPayload: (v) => (v instanceof Date ? { metadata: { encoding: utf8ToBase64('test/date') }, data: utf8ToBase64(v.toISOString()) } : undefined),
      fromPayload: <T>(p: Payload) => new Date(base64ToUtf8(p.data)) as T,
    };
    const converter = new CompositePayloadConverter(new UndefinedPayloadConverter(), dates, new JsonPayloadConverter());
    const d = new Date('2024-01-02T03:04:05.000Z');
    expect(converter.fromPayload<Date>(converter.toPayload(d))).toEqual(d);
    expect(converter.fromPayload(converter.toPayload({ a: 1 }))).toEqual({ a: 1 });
  });

  it('needs at least one converter', () => {
    expect(() => new CompositePayloadConverter()).toThrow(PayloadConverterError);
  });
});

describe('payload list and record helpers', () => {
  it('toPayloads converts each value in order', () => {
    const payloads = toPayloads(pc, 'a', 2, undefined);
    expect(payloads).toHaveLength(3);
    expect(arrayFromPayloads(pc, payloads)).toEqual(['a', 2, undefined]);
    expect(toPayloads(pc)).toEqual([]);
  });

  it('fromPayloadsAtIndex gives undefined for a missing payload', () => {
    const payloads = toPayloads(pc, 'first', 'second');
    expect(fromPayloadsAtIndex(pc, 1, payloads)).toBe('second');
    expect(fromPayloadsAtIndex(pc, 2, payloads)).toBeUndefined();
    expect(fromPayloadsAtIndex(pc, 0, undefined)).toBeUndefined();
    expect(fromPayloadsAtIndex(pc, 0, null)).toBeUndefined();
    expect(arrayFromPayloads(pc, undefined)).toEqual([]);
  });

  it('mapToPayloads and mapFromPayloads round-trip a memo', () => {
    const memo = { customer: 'c-1', amount: 12.5, flags: ['vip'] };
    const encoded = mapToPayloads(pc, memo);
    expect(Object.keys(encoded)).toEqual(['customer', 'amount', 'flags']);
    expect(mapFromPayloads(pc, encoded)).toEqual(memo);
    expect(mapFromPayloads(pc, undefined)).toBeUndefined();
  });

  it('keeps a "__proto__" key as an ordinary key', () => {
    const memo = JSON.parse('{"__proto__": "x"}') as Record<string, unknown>;
    const decoded = mapFromPayloads(pc, mapToPayloads(pc, memo))!;
    expect(Object.prototype.hasOwnProperty.call(decoded, '__proto__')).toBe(true);
    expect(decoded['__proto__']).toBe('x');
  });
});
