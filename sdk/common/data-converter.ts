// Owns the data converter: the payload converter, failure converter and payload codecs that a
// client or worker uses together, and the helpers that run all three in one call.
import type { Failure, Payload } from '../../protocol/index.js';
import { defaultFailureConverter, type FailureConverter } from './failure-converter.js';
import type { TemporalFailure } from './failure.js';
import {
  decodeFailure,
  decodeMap,
  decodeOptional,
  decodeOptionalSingle,
  encodeFailure,
  encodeMap,
  encodeWithCodecs,
  type PayloadCodec,
} from './payload-codec.js';
import {
  arrayFromPayloads,
  defaultPayloadConverter,
  mapFromPayloads,
  mapToPayloads,
  toPayloads,
  type PayloadConverter,
} from './payload-converter.js';

/**
 * What a client or worker is given to turn values into payloads: any part left out takes the
 * default. Workers also take `payloadConverterPath`/`failureConverterPath` (Temporal's): modules
 * they load into the workflow sandbox, where converter objects cannot cross.
 *
 * @example
 * const dataConverter: DataConverter = { payloadCodecs: [await AesGcmPayloadCodec.create({ keyId, key })] };
 */
export interface DataConverter {
  /** Values ↔ payloads. Runs in the workflow sandbox too. @default defaultPayloadConverter */
  payloadConverter?: PayloadConverter;
  /** Errors ↔ failures. @default defaultFailureConverter */
  failureConverter?: FailureConverter;
  /** Applied after the payload converter on the way out (in order) and before it on the way in (in reverse). @default [] */
  payloadCodecs?: PayloadCodec[];
  /**
   * Worker only (Temporal's): a module that exports `payloadConverter`. The worker bundles it into
   * the workflow sandbox (workflow arguments, results, signals, …) and loads it for its activities;
   * a `payloadConverter` object cannot cross into the sandbox. Give clients the same converter
   * object (`payloadConverter: (await import(path)).payloadConverter`).
   */
  payloadConverterPath?: string;
  /**
   * Worker only (Temporal's): a module that exports `failureConverter`. The worker bundles it into
   * the workflow sandbox (the workflow's failures, and the failures it receives) and uses it for its
   * activities. Give clients the same converter object (`failureConverter: (await import(path)).failureConverter`).
   */
  failureConverterPath?: string;
}

/** A {@link DataConverter} with every part present. */
export interface LoadedDataConverter {
  payloadConverter: PayloadConverter;
  failureConverter: FailureConverter;
  payloadCodecs: PayloadCodec[];
}

/** The default payload converter, the default failure converter and no codecs. */
export const defaultDataConverter: LoadedDataConverter = {
  payloadConverter: defaultPayloadConverter,
  failureConverter: defaultFailureConverter,
  payloadCodecs: [],
};

/** Fills the parts a {@link DataConverter} leaves out with the defaults. */
export function loadDataConverter(dataConverter?: DataConverter): LoadedDataConverter {
  return {
    payloadConverter: dataConverter?.payloadConverter ?? defaultPayloadConverter,
    failureConverter: dataConverter?.failureConverter ?? defaultFailureConverter,
    payloadCodecs: dataConverter?.payloadCodecs ?? [],
  };
}

/** Converts values to payloads, then encodes them with the codecs. */
export async function encodeToPayloads(converter: LoadedDataConverter, ...values: unknown[]): Promise<Payload[]> {
  const payloads = toPayloads(converter.payloadConverter, ...values);
  // Without codecs nothing is awaited: every start and signal comes through here.
  return converter.payloadCodecs.length === 0 ? payloads : encodeWithCodecs(converter.payloadCodecs, payloads);
}

/** Converts one value to a payload, then encodes it. Without codecs nothing is awaited (this runs for every activity's result). */
export async function encodeToPayload(converter: LoadedDataConverter, value: unknown): Promise<Payload> {
  const payload = converter.payloadConverter.toPayload(value);
  if (converter.payloadCodecs.length === 0) return payload;
  const [encoded] = await encodeWithCodecs(converter.payloadCodecs, [payload]);
  return encoded!;
}

/** Decodes payloads with the codecs, then converts them to values; none gives `[]`. Without codecs nothing is awaited. */
export async function decodeArrayFromPayloads(
  converter: LoadedDataConverter,
  payloads?: Payload[] | null,
): Promise<unknown[]> {
  const decoded = converter.payloadCodecs.length === 0 ? payloads : await decodeOptional(converter.payloadCodecs, payloads ?? undefined);
  return arrayFromPayloads(converter.payloadConverter, decoded);
}

/** Decodes payloads, then converts the one at `index`; `undefined` when there is none. */
export async function decodeFromPayloadsAtIndex<T>(
  converter: LoadedDataConverter,
  index: number,
  payloads?: Payload[] | null,
): Promise<T> {
  const payload = payloads?.[index];
  if (payload === undefined) return undefined as T;
  const decoded = await decodeOptionalSingle(converter.payloadCodecs, payload);
  return converter.payloadConverter.fromPayload<T>(decoded!);
}

/** Decodes one optional payload, then converts it; `undefined` when absent. */
export async function decodeOptionalSinglePayload<T>(
  converter: LoadedDataConverter,
  payload?: Payload | null,
): Promise<T | undefined> {
  if (payload == null) return undefined;
  // Without codecs nothing is awaited: every workflow result comes through here.
  if (converter.payloadCodecs.length === 0) return converter.payloadConverter.fromPayload<T>(payload);
  const decoded = await decodeOptionalSingle(converter.payloadCodecs, payload);
  return converter.payloadConverter.fromPayload<T>(decoded!);
}

/** Converts each value of a record (memo), then encodes them. */
export async function encodeMapToPayloads<K extends string>(
  converter: LoadedDataConverter,
  map: Record<K, unknown>,
): Promise<Record<K, Payload>> {
  return (await encodeMap(converter.payloadCodecs, mapToPayloads(converter.payloadConverter, map)))!;
}

/** Decodes each payload of a record, then converts them; `undefined` passes through. */
export async function decodeMapFromPayloads<K extends string, T = unknown>(
  converter: LoadedDataConverter,
  map?: Record<K, Payload> | null,
): Promise<Record<K, T> | undefined> {
  if (map == null) return undefined;
  return mapFromPayloads<K, T>(converter.payloadConverter, await decodeMap(converter.payloadCodecs, map));
}

/** Converts anything thrown to a failure, then encodes every payload in it. */
export async function encodeErrorToFailure(converter: LoadedDataConverter, err: unknown): Promise<Failure> {
  return encodeFailure(converter.payloadCodecs, converter.failureConverter.errorToFailure(err, converter.payloadConverter));
}

/** Decodes every payload of a failure, then converts it to its error class; `undefined` passes through. */
export async function decodeOptionalFailureToOptionalError(
  converter: LoadedDataConverter,
  failure?: Failure | null,
): Promise<TemporalFailure | undefined> {
  if (failure == null) return undefined;
  return converter.failureConverter.failureToError(
    await decodeFailure(converter.payloadCodecs, failure),
    converter.payloadConverter,
  );
}
