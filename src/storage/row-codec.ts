/**
 * The row codec: a row of JSON text stored as a BLOB of one byte naming the preset dictionary
 * (row-dictionaries.ts) and the text's raw deflate with it. Two kinds of rows are stored so: a closed
 * run's row (run-rows.ts `withExtras`; workflow-store.ts `writeRun`) and a history row (history-rows.ts,
 * written once, never changed).
 *
 * Why: the state table is a WITHOUT ROWID B-tree, whose cells keep at most ~1 KB on a 4 KB leaf page;
 * a finished W1's row is ~2.9 KB, so it took a 4 KB overflow page of its own (the database's fourth page,
 * most of what a W1 keeps), and a history row (~4 KB of events, from the run row's tail) one each. With
 * the dictionary a W1's row deflates to ~300 bytes and a history row to ~500: both fit in the leaf.
 * A running run's row is not deflated: it is rewritten by every change, and its last text is the one
 * kept, so deflating it would spend CPU on bytes overwritten.
 *
 * node:zlib (the service runs with `nodejs_compat`): workerd's zlib, native and synchronous (a row is
 * written inside `transactionSync`), takes a preset dictionary, and deflates a W1's row in ~20 µs. A
 * pure-JS deflate (fflate) took ~80 µs and allocated ~200 KB of work buffers per call: at a thousand
 * closes a second it cost W1 throughput 11% (bench/RESULTS.md, "Rows stored deflated").
 *
 * A row written as text (every row before this codec, a running run's) reads as it is: `decodeRow`
 * takes either. An older Keel reads only text: a database with deflated rows cannot go back to one.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ServiceError } from '../service-error.js';
import { ROW_DICTIONARIES } from './row-dictionaries.js';

const UTF8 = new TextEncoder();
const FROM_UTF8 = new TextDecoder();

/** A value of the state table's `v` column as SQLite gives it back: TEXT, or a BLOB this codec wrote. */
export type StoredValue = string | ArrayBuffer;

/** The dictionary version new rows are deflated with (their first byte). */
export const ROW_CODEC_VERSION = 1;

/** The dictionaries by version, as bytes: encoded once per isolate, when first used. */
const dictionaries = new Map<number, Uint8Array>();

function dictionary(version: number): Uint8Array {
  let bytes = dictionaries.get(version);
  if (!bytes) {
    const text = ROW_DICTIONARIES[version];
    if (text === undefined) throw new ServiceError('INTERNAL', `A stored row was deflated with dictionary ${version}, which this Keel does not know: it was written by a newer Keel.`);
    bytes = UTF8.encode(text);
    dictionaries.set(version, bytes);
  }
  return bytes;
}

/** A lone surrogate, which UTF-8 cannot carry (TextEncoder would write U+FFFD for it). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The row as stored: the header byte and the text's deflate, or the text itself when that is not
 * smaller or the text is not valid UTF-16 (a lone surrogate would not come back the same).
 */
export function encodeRow(text: string): StoredValue {
  if (LONE_SURROGATE.test(text)) return text;
  const deflated = deflateRawSync(UTF8.encode(text), { level: 6, dictionary: dictionary(ROW_CODEC_VERSION) });
  // A BLOB's length is its bytes; the text's is its characters, at most its UTF-8 bytes.
  if (deflated.length + 1 >= text.length) return text;
  const out = new Uint8Array(deflated.length + 1);
  out[0] = ROW_CODEC_VERSION;
  out.set(deflated, 1);
  return out.buffer;
}

/** The row's text, from either form `v` may be stored in. */
export function decodeRow(v: StoredValue): string {
  if (typeof v === 'string') return v;
  const bytes = new Uint8Array(v);
  if (bytes.length === 0) throw new ServiceError('INTERNAL', 'A stored row is an empty BLOB.');
  return FROM_UTF8.decode(inflateRawSync(bytes.subarray(1), { dictionary: dictionary(bytes[0]!) }));
}

/** Whether the row is stored deflated. */
export const isEncoded = (v: StoredValue): v is ArrayBuffer => typeof v !== 'string';
