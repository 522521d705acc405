/**
 * Task tokens: what a worker holds while it works on a task, and hands back to finish it.
 * A token names the task exactly (run, scheduled event id, attempt) so that the workflow
 * object can reject a stale one, and it is signed (HMAC-SHA-256) so that a forged one is
 * rejected before it reaches any object.
 */
import { ServiceError } from './service-error.js';

export interface TaskRef {
  namespace: string;
  workflowId: string;
  runId: string;
  kind: 'workflow' | 'activity' | 'query';
  /** The task's scheduled event id (for a query, 0). */
  scheduledEventId: number;
  attempt: number;
  /** Set on query tasks. */
  queryId?: string;
  /** Workflow tasks: the run's dispatch sequence; a ref from an earlier dispatch is stale. */
  seq?: number;
}

/** A started task: the ref plus what starting it fixed. */
export interface TaskTokenData extends TaskRef {
  /** The workflow task's started event id; 0 for activities and queries. */
  startedEventId: number;
  /**
   * An offered workflow task a queue held for a poll (src/task-queue-object.ts `held`): when the queue
   * handed it out, which its WorkflowTaskStarted records (src/engine/workflow-tasks.ts).
   */
  startedAtMs?: number;
}

const DEV_SECRET = 'keel-dev-secret: set KEEL_TOKEN_SECRET in production';
/** Each secret's key: its import while it runs, then the key itself (awaited no more: a token signed per task is hot). */
const keys = new Map<string, CryptoKey | Promise<CryptoKey>>();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function key(secret: string | undefined): CryptoKey | Promise<CryptoKey> {
  const s = secret || DEV_SECRET;
  let k = keys.get(s);
  if (!k) {
    const imported = crypto.subtle.importKey('raw', encoder.encode(s), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(s, imported);
    // A failed import stays as it is (each use fails alike), as before keys were kept resolved.
    void imported.then((done) => keys.set(s, done), () => undefined);
    k = imported;
  }
  return k;
}

/** Base64 to base64url: '+' and '/' swapped for URL-safe characters, '=' padding dropped (RFC 4648 §5). */
// Plain-string replaceAll, not one regex with a function called per match: a token's base64 has dozens.
const urlSafe = (base64: string) => base64.replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');

/** A byte string (one char per byte) as base64url. */
function toBase64Url(binary: string): string {
  return urlSafe(btoa(binary));
}

function fromBase64Url(s: string): Uint8Array {
  const b = atob(s.replaceAll('-', '+').replaceAll('_', '/'));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Bytes as base64url, by table (a signature's 32 bytes, a body that is not ASCII): no byte string, no btoa, no replacing. */
function bytesToBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64URL[n >> 18]! + BASE64URL[(n >> 12) & 63]! + BASE64URL[(n >> 6) & 63]! + BASE64URL[n & 63]!;
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += BASE64URL[n >> 18]! + BASE64URL[(n >> 12) & 63]! + (i + 1 < bytes.length ? BASE64URL[(n >> 6) & 63]! : '');
  }
  return out;
}

/** Only ASCII: its UTF-8 bytes are its chars, one each. */
const ASCII = /^[\x00-\x7f]*$/;

/**
 * The tokens this isolate signed last, each with its secret and its body's JSON, by signature (43
 * characters to hash, not the whole token). A task's token usually comes back to the isolate that
 * signed it, soon (over a shard's channel, to the shard that handed the task out), and a token found
 * here, character for character, under the secret it is checked with is one this isolate signed with
 * that secret: its signature verifies, so it is not computed again. Any other token (not signed
 * here, or no longer kept) is verified by its MAC as ever.
 */
const SIGNED_KEPT = 512;
const signedHere = new Map<string, { token: string; secret: string; json: string }>();

function keep(sig: string, token: string, secret: string, json: string): void {
  signedHere.set(sig, { token, secret, json });
  // The oldest first (a Map iterates in insertion order).
  if (signedHere.size > SIGNED_KEPT) signedHere.delete(signedHere.keys().next().value!);
}

/** The token's entry, if this isolate signed it lately. */
function keptFor(token: string): { secret: string; json: string } | undefined {
  const kept = signedHere.get(token.slice(token.lastIndexOf('.') + 1));
  return kept?.token === token ? kept : undefined;
}

export async function signTaskToken(data: TaskTokenData, secret: string | undefined): Promise<string> {
  const json = JSON.stringify(data);
  const body = encoder.encode(json);
  const k = key(secret);
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', k instanceof Promise ? await k : k, body));
  // A body of ASCII (ids usually are) is encoded as it is (btoa); any other, from its UTF-8 bytes.
  const sigBase64 = bytesToBase64Url(sig);
  const token = `${ASCII.test(json) ? toBase64Url(json) : bytesToBase64Url(body)}.${sigBase64}`;
  keep(sigBase64, token, secret || DEV_SECRET, json);
  return token;
}

/** A token this service signed (the caller got it from a workflow object), with `startedAtMs` set: signed again. */
export function withStartedAt(token: string, startedAtMs: number, secret: string | undefined): Promise<string> {
  const body = keptFor(token)?.json ?? decoder.decode(fromBase64Url(token.split('.')[0]!));
  return signTaskToken({ ...(JSON.parse(body) as TaskTokenData), startedAtMs }, secret);
}

/** The token's data, or INVALID_TASK_TOKEN when it is malformed or its signature does not verify. */
export async function verifyTaskToken(token: string, secret: string | undefined, namespace: string): Promise<TaskTokenData> {
  const invalid = (why: string) => new ServiceError('INVALID_TASK_TOKEN', `Task token is not valid (${why}); pass the taskToken exactly as the poll returned it.`);
  const kept = keptFor(token);
  if (kept && kept.secret === (secret || DEV_SECRET)) return tokenData(kept.json, namespace, invalid);
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) throw invalid('malformed');
  let bodyBytes: Uint8Array;
  let sigBytes: Uint8Array;
  try {
    bodyBytes = fromBase64Url(body);
    sigBytes = fromBase64Url(sig);
  } catch {
    throw invalid('malformed');
  }
  const k = key(secret);
  const good = await crypto.subtle.verify('HMAC', k instanceof Promise ? await k : k, sigBytes, bodyBytes);
  if (!good) throw invalid('signature does not verify');
  return tokenData(decoder.decode(bodyBytes), namespace, invalid);
}

/** A verified token's body read: its data, when it is token data for the namespace. */
function tokenData(json: string, namespace: string, invalid: (why: string) => ServiceError): TaskTokenData {
  // Only this service signs tokens, so a body that verifies is one it wrote; it is still read
  // defensively, because a leaked or rotated secret must not turn a crafted body into a 500.
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw invalid('malformed body');
  }
  if (!isTokenData(data)) throw invalid('malformed body');
  if (data.namespace !== namespace) throw invalid(`issued for namespace '${data.namespace}'`);
  return data;
}

/** The token, if it is of the kind the endpoint takes; else INVALID_TASK_TOKEN. */
export function requireKind(token: TaskTokenData, kind: TaskTokenData['kind']): TaskTokenData {
  if (token.kind !== kind) throw new ServiceError('INVALID_TASK_TOKEN', `This is a ${token.kind} task token; this endpoint takes ${kind} task tokens.`);
  return token;
}

function isTokenData(v: unknown): v is TaskTokenData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  const int = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x);
  return (
    typeof d.namespace === 'string' &&
    typeof d.workflowId === 'string' &&
    typeof d.runId === 'string' &&
    (d.kind === 'workflow' || d.kind === 'activity' || d.kind === 'query') &&
    int(d.scheduledEventId) &&
    int(d.attempt) &&
    int(d.startedEventId) &&
    (d.queryId === undefined || typeof d.queryId === 'string') &&
    (d.seq === undefined || int(d.seq)) &&
    (d.startedAtMs === undefined || int(d.startedAtMs))
  );
}
