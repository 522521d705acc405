/**
 * API keys and namespace isolation. The `KEEL_API_KEYS` secret lists grants: the SHA-256 of
 * a key (never the key itself) and the namespaces it may use (`"*"`: all of them). With the
 * secret unset the service is open, as a local `keel dev` is; once set, every namespaced
 * call needs `Authorization: Bearer <key>` whose grant names the call's namespace, so a key
 * for one namespace can read or change nothing in another.
 */
import { ServiceError } from './service-error.js';

export interface ApiKeyGrant {
  /** Lower-case hex SHA-256 of the key's UTF-8 bytes. */
  sha256: string;
  namespaces: string[];
  /** A label for people (which client or team holds the key); never checked. */
  name?: string;
}

/** Parsed grants by hash, per secret value: the secret is parsed once per isolate, not per request. */
const parsed = new Map<string, Map<string, ApiKeyGrant>>();

/**
 * Reads `KEEL_API_KEYS`. A value that is not a valid list fails closed: every call is refused
 * with INTERNAL, rather than the service running open because of a typo in a secret.
 */
export function parseApiKeyGrants(raw: string): Map<string, ApiKeyGrant> {
  const cached = parsed.get(raw);
  if (cached) return cached;
  let grants: unknown;
  try {
    grants = JSON.parse(raw);
  } catch {
    throw misconfigured('it is not JSON');
  }
  if (!Array.isArray(grants)) throw misconfigured('it is not a JSON array');
  const byHash = new Map<string, ApiKeyGrant>();
  grants.forEach((g: Partial<ApiKeyGrant>, i) => {
    if (typeof g?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(g.sha256)) throw misconfigured(`entry ${i} has no sha256 of 64 lower-case hex digits`);
    if (!Array.isArray(g.namespaces) || g.namespaces.length === 0 || !g.namespaces.every((n) => typeof n === 'string' && n.length > 0)) {
      throw misconfigured(`entry ${i} has no list of namespaces (use ["*"] for all)`);
    }
    byHash.set(g.sha256, { sha256: g.sha256, namespaces: g.namespaces, ...(typeof g.name === 'string' ? { name: g.name } : {}) });
  });
  parsed.set(raw, byHash);
  return byHash;
}

const misconfigured = (why: string) =>
  new ServiceError('INTERNAL', `The service's KEEL_API_KEYS secret is not valid (${why}); every call is refused until it is fixed. Its form: [{"name":"ci","sha256":"<hex>","namespaces":["default"]}] (\`keel api-key create\` prints one).`);

/**
 * How a key is hashed for its lookup: `sha256Hex`, or a caller's memo of it for a key it checks again
 * and again (a shard channel's, whose key is fixed at its upgrade and checked on every call).
 */
export type KeyHasher = (key: string) => Promise<string>;

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A service with API keys signs task tokens with its own secret: the development secret in the
 * source would let anyone who read the source forge a token for any task. Such a service fails
 * closed, refusing every call until `KEEL_TOKEN_SECRET` is set (an open service, with no keys,
 * lets any caller do anything anyway, so it may use the development secret).
 */
export function requireTokenSecret(grantsSecret: string | undefined, tokenSecret: string | undefined): void {
  if (grantsSecret && !tokenSecret) {
    throw new ServiceError('INTERNAL', 'The service has API keys (KEEL_API_KEYS) but no KEEL_TOKEN_SECRET, so it would sign task tokens with a secret anyone can read in its source; every call is refused until KEEL_TOKEN_SECRET is set (e.g. `npx wrangler secret put KEEL_TOKEN_SECRET` with the output of `openssl rand -base64 48`).');
  }
}

/** Throws UNAUTHENTICATED or PERMISSION_DENIED unless the request may act in `namespace`. */
export async function authorize(grantsSecret: string | undefined, authorization: string | null, namespace: string, hashKey: KeyHasher = sha256Hex): Promise<void> {
  const grant = await grantOf(grantsSecret, authorization, hashKey);
  if (grant && !grant.namespaces.includes('*') && !grant.namespaces.includes(namespace)) {
    throw new ServiceError('PERMISSION_DENIED', `The API key${grant.name ? ` '${grant.name}'` : ''} is not allowed in namespace '${namespace}'.`, { namespace });
  }
}

/**
 * Registering and changing namespaces is an operator's act: it needs a key granted every namespace
 * (`"*"`), since a key for one namespace must not make or reconfigure others.
 */
export async function authorizeOperator(grantsSecret: string | undefined, authorization: string | null, what: string): Promise<void> {
  const grant = await grantOf(grantsSecret, authorization);
  if (grant && !grant.namespaces.includes('*')) {
    throw new ServiceError('PERMISSION_DENIED', `The API key${grant.name ? ` '${grant.name}'` : ''} may not ${what}: that takes a key granted every namespace ("namespaces": ["*"]).`);
  }
}

/** The namespaces the request's key may see: undefined for all (no keys, or a `"*"` grant). */
export async function visibleNamespaces(grantsSecret: string | undefined, authorization: string | null): Promise<string[] | undefined> {
  const grant = await grantOf(grantsSecret, authorization);
  return !grant || grant.namespaces.includes('*') ? undefined : grant.namespaces;
}

/** The grant of the request's key; undefined on an open service; UNAUTHENTICATED without a valid key. */
async function grantOf(grantsSecret: string | undefined, authorization: string | null, hashKey: KeyHasher = sha256Hex): Promise<ApiKeyGrant | undefined> {
  if (grantsSecret === undefined || grantsSecret === '') return undefined;
  const grants = parseApiKeyGrants(grantsSecret);
  const key = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!key) throw new ServiceError('UNAUTHENTICATED', 'This service needs an API key: send `Authorization: Bearer <key>` (the SDK\'s apiKey option, the CLI\'s --api-key or KEEL_API_KEY).');
  // Looking the key up by its hash compares hashes, so timing reveals nothing about the key.
  const grant = grants.get(await hashKey(key));
  if (!grant) throw new ServiceError('UNAUTHENTICATED', 'The API key is not valid for this service.');
  return grant;
}
