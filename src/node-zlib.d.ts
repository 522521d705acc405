// The part of node:zlib the service uses (src/storage/row-codec.ts), as workerd provides it under
// `nodejs_compat`. Declared here rather than by @types/node, whose Node globals (process, Buffer,
// timers that return objects) are not the Worker's.
declare module 'node:zlib' {
  interface RawDeflateOptions {
    level?: number;
    dictionary?: Uint8Array;
  }
  export function deflateRawSync(data: Uint8Array, options?: RawDeflateOptions): Uint8Array;
  export function inflateRawSync(data: Uint8Array, options?: { dictionary?: Uint8Array }): Uint8Array;
}
