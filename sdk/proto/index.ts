/**
 * `keel/proto`: Temporal's protobuf messages that user code serialises itself, as
 * `@temporalio/proto` has them — `temporal.api.common.v1.Payload` and `Payloads`, byte-compatible
 * with Temporal's encoding (for codecs that encrypt or compress whole payloads).
 *
 * @example
 * import { temporal } from 'keel/proto';
 * const bytes = temporal.api.common.v1.Payload.encode(payload).finish();
 * const back = temporal.api.common.v1.Payload.decode(bytes);
 * @module
 */
import {
  Payload as PayloadMessage,
  Payloads as PayloadsMessage,
  type DecodedPayload,
  type DecodedPayloads,
  type IPayload as IPayloadShape,
  type IPayloads as IPayloadsShape,
} from './payload.js';

export type { Bytes, ConversionOptions, PayloadObject } from './payload.js';
export { Writer, Reader } from './wire.js';

/**
 * The message namespace of @temporalio/proto, with the messages Keel offers. Each name is a value
 * (the message's static API) and a type (a decoded message), as protobufjs generates them.
 */
// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace temporal.api.common.v1 {
  export const Payload = PayloadMessage;
  export type Payload = DecodedPayload;
  export type IPayload = IPayloadShape;
  export const Payloads = PayloadsMessage;
  export type Payloads = DecodedPayloads;
  export type IPayloads = IPayloadsShape;
}
