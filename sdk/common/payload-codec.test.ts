import { describe, expect, it } from 'vitest';
import type { Failure, Payload } from '../../protocol/index.js';
import { decodeUtf8, encodeUtf8, utf8ToBase64 } from './encoding.js';
import {
  decodeFailure,
  decodeMap,
  decodeOptional,
  decodeOptionalFailure,
  decodeOptionalSingle,
  decodeWithCodecs,
  encodeFailure,
  encodeMap,
  encodeOptional,
  encodeOptionalFailure,
  encodeOptionalSingle,
  encodeWithCodecs,
  type PayloadCodec,
} from './payload-codec.js';
import { defaultPayloadConverter as pc } from './payload-converter.js';

/** A codec that records its calls and tags each payload with a metadata key, reversibly. */
function tagCodec(tag: string, log: string[]): PayloadCodec {
  return {
    async encode(payloads) {
      log.push(`encode:${tag}`);
      return payloads.map((p) => ({ metadata: { ...p.metadata, [`t${log.length}`]: encodeUtf8(tag) }, data: p.data }));
    },
    async decode(payloads) {
      log.push(`decode:${tag}`);
      return payloads.map((p) => {
        const metadata = { ...p.metadata };
        const key = Object.keys(metadata).reverse().find((k) => k.startsWith('t') && decodeUtf8(metadata[k]) === tag);
        if (!key) throw new Error(`${tag} cannot decode a payload it did not encode`);
        delete metadata[key];
        return { metadata, data: p.data };
      });
    },
  };
}

/** Reverses the data bytes: easy to see whether a payload went through it. */
const reverse: PayloadCodec = {
  encode: async (ps) => ps.map((p) => ({ ...p, data: new Uint8Array(p.data ?? []).reverse() })),
  decode: async (ps) => ps.map((p) => ({ ...p, data: new Uint8Array(p.data ?? []).reverse() })),
};

describe('encodeWithCodecs / decodeWithCodecs', () => {
  it('encodes in order and decodes in reverse order', async () => {
    const log: string[] = [];
    const codecs = [tagCodec('a', log), tagCodec('b', log)];
    const original = [pc.toPayload({ x: 1 }), pc.toPayload('y')];
    const encoded = await encodeWithCodecs(codecs, original);
    const decoded = await decodeWithCodecs(codecs, encoded);
    expect(log).toEqual(['encode:a', 'encode:b', 'decode:b', 'decode:a']);
    expect(decoded).toEqual(original);
  });

  it('hands codecs Temporal’s payload shape (bytes) and puts what they return back on the wire as base64', async () => {
    const seen: unknown[] = [];
    const upper: PayloadCodec = {
      async encode(payloads) {
        seen.push(...payloads);
        return payloads.map((p) => ({ metadata: { encoding: encodeUtf8('text/upper') }, data: encodeUtf8(decodeUtf8(p.data).toUpperCase()) }));
      },
      async decode(payloads) {
        seen.push(...payloads);
        return payloads.map(() => ({ metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8('"hi"') }));
      },
    };
    const [encoded] = await encodeWithCodecs([upper], [pc.toPayload('hi')]);
    expect(seen[0]).toEqual({ metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8('"hi"') });
    expect(encoded).toEqual({ metadata: { encoding: utf8ToBase64('text/upper') }, data: utf8ToBase64('"HI"') });
    const [decoded] = await decodeWithCodecs([upper], [encoded!]);
    expect(seen[1]).toEqual({ metadata: { encoding: encodeUtf8('text/upper') }, data: encodeUtf8('"HI"') });
    expect(pc.fromPayload(decoded!)).toBe('hi');
  });

  it('with no codecs, gives the payloads back', async () => {
    const ps = [pc.toPayload(1)];
    expect(await encodeWithCodecs([], ps)).toBe(ps);
    expect(await decodeWithCodecs([], ps)).toBe(ps);
  });
});

describe('optional and record helpers', () => {
  it('pass undefined through and code what is there', async () => {
    expect(await encodeOptional([reverse], undefined)).toBeUndefined();
    expect(await decodeOptional([reverse], undefined)).toBeUndefined();
    expect(await encodeOptionalSingle([reverse], undefined)).toBeUndefined();
    expect(await decodeOptionalSingle([reverse], undefined)).toBeUndefined();
    const p = pc.toPayload('hello');
    const single = await encodeOptionalSingle([reverse], p);
    expect(single!.data).not.toBe(p.data);
    expect(await decodeOptionalSingle([reverse], single)).toEqual(p);
    expect(await decodeOptional([reverse], await encodeOptional([reverse], [p]))).toEqual([p]);
  });

  it('encode and decode every entry of a memo record', async () => {
    const memo = { a: pc.toPayload(12), b: pc.toPayload('two') };
    const encoded = (await encodeMap([reverse], memo))!;
    expect(Object.keys(encoded)).toEqual(['a', 'b']);
    expect(encoded.a.data).not.toBe(memo.a.data);
    expect(await decodeMap([reverse], encoded)).toEqual(memo);
    expect(await encodeMap([reverse], undefined)).toBeUndefined();
  });
});

describe('encodeFailure / decodeFailure', () => {
  const details: Payload[] = [pc.toPayload({ reason: 'declined' })];
  const heartbeat: Payload[] = [pc.toPayload({ progress: 7 })];
  const failure: Failure = {
    message: 'activity failed',
    activityFailureInfo: {
      scheduledEventId: 5,
      startedEventId: 6,
      activityType: 'charge',
      activityId: '1',
      retryState: 'TIMEOUT',
    },
    cause: {
      message: 'timed out',
      timeoutFailureInfo: { timeoutType: 'HEARTBEAT', lastHeartbeatDetails: heartbeat },
      cause: {
        message: 'declined',
        encodedAttributes: pc.toPayload({ message: 'secret', stack_trace: '' }),
        applicationFailureInfo: { type: 'Declined', details },
        cause: { message: 'cancelled', canceledFailureInfo: { details } },
      },
    },
  };

  it('encodes every payload through the whole cause chain', async () => {
    const encoded = await encodeFailure([reverse], failure);
    const timeout = encoded.cause!;
    const app = timeout.cause!;
    const cancelled = app.cause!;
    expect(timeout.timeoutFailureInfo!.lastHeartbeatDetails![0]!.data).not.toBe(heartbeat[0]!.data);
    expect(app.applicationFailureInfo!.details![0]!.data).not.toBe(details[0]!.data);
    expect(app.encodedAttributes!.data).not.toBe(failure.cause!.cause!.encodedAttributes!.data);
    expect(cancelled.canceledFailureInfo!.details![0]!.data).not.toBe(details[0]!.data);
    // Everything that is not a payload is untouched.
    expect(encoded.activityFailureInfo).toEqual(failure.activityFailureInfo);
    expect(app.applicationFailureInfo!.type).toBe('Declined');
    expect(await decodeFailure([reverse], encoded)).toEqual(failure);
  });

  it('does not change its input', async () => {
    const before = structuredClone(failure);
    await encodeFailure([reverse], failure);
    expect(failure).toEqual(before);
  });

  it('passes an absent failure through', async () => {
    expect(await encodeOptionalFailure([reverse], undefined)).toBeUndefined();
    expect(await decodeOptionalFailure([reverse], undefined)).toBeUndefined();
    expect(await decodeOptionalFailure([reverse], await encodeOptionalFailure([reverse], failure))).toEqual(failure);
  });
});
