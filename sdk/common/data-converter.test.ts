import { describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec } from './aes-gcm-codec.js';
import {
  decodeArrayFromPayloads,
  decodeFromPayloadsAtIndex,
  decodeMapFromPayloads,
  decodeOptionalFailureToOptionalError,
  decodeOptionalSinglePayload,
  defaultDataConverter,
  encodeErrorToFailure,
  encodeMapToPayloads,
  encodeToPayload,
  encodeToPayloads,
  loadDataConverter,
} from './data-converter.js';
import { ActivityFailure, ApplicationFailure } from './failure.js';
import { defaultFailureConverter } from './failure-converter.js';
import { defaultPayloadConverter, encodingOf } from './payload-converter.js';

async function encrypted() {
  const codec = await AesGcmPayloadCodec.create({ keyId: 'k', key: new Uint8Array(32).fill(9) });
  return loadDataConverter({ payloadCodecs: [codec] });
}

describe('loadDataConverter', () => {
  it('fills what is left out with the defaults', () => {
    expect(loadDataConverter()).toEqual(defaultDataConverter);
    const dc = loadDataConverter({ payloadCodecs: [] });
    expect(dc.payloadConverter).toBe(defaultPayloadConverter);
    expect(dc.failureConverter).toBe(defaultFailureConverter);
  });
});

describe('data converter helpers', () => {
  it('encode values through converter and codecs, and decode them back', async () => {
    const dc = await encrypted();
    const payloads = await encodeToPayloads(dc, 'a', { b: 2 }, undefined);
    expect(payloads.map(encodingOf)).toEqual(['binary/encrypted', 'binary/encrypted', 'binary/encrypted']);
    expect(await decodeArrayFromPayloads(dc, payloads)).toEqual(['a', { b: 2 }, undefined]);
    expect(await decodeFromPayloadsAtIndex(dc, 1, payloads)).toEqual({ b: 2 });
    expect(await decodeFromPayloadsAtIndex(dc, 5, payloads)).toBeUndefined();
    expect(await decodeArrayFromPayloads(dc, undefined)).toEqual([]);
    expect(await decodeOptionalSinglePayload(dc, await encodeToPayload(dc, 42))).toBe(42);
    expect(await decodeOptionalSinglePayload(dc, undefined)).toBeUndefined();
  });

  it('encode and decode a memo', async () => {
    const dc = await encrypted();
    const memo = await encodeMapToPayloads(dc, { owner: 'ops', priority: 2 });
    expect(encodingOf(memo.owner)).toBe('binary/encrypted');
    expect(await decodeMapFromPayloads(dc, memo)).toEqual({ owner: 'ops', priority: 2 });
    expect(await decodeMapFromPayloads(dc, undefined)).toBeUndefined();
  });

  it('encode an error to an encrypted failure and decode it to its class', async () => {
    const dc = await encrypted();
    const err = new ActivityFailure('failed', 'charge', '1', 'NON_RETRYABLE_FAILURE', undefined, ApplicationFailure.nonRetryable('no', 'Declined', { card: 'secret-card' }));
    const failure = await encodeErrorToFailure(dc, err);
    expect(JSON.stringify(failure)).not.toContain('secret-card');
    const back = await decodeOptionalFailureToOptionalError(dc, failure);
    expect(back).toBeInstanceOf(ActivityFailure);
    expect(back!.cause).toMatchObject({ type: 'Declined', details: [{ card: 'secret-card' }] });
    expect(await decodeOptionalFailureToOptionalError(dc, undefined)).toBeUndefined();
  });
});
