/**
 * The namespaces this isolate has looked up, kept for a few seconds so that the router checks a
 * known namespace without a round trip: the registry is asked once per isolate per namespace per
 * TTL, whatever the request rate. The price is staleness: a namespace registered or changed
 * through another isolate is seen here at most TTL_MS later (NOT_FOUND_TTL_MS for one that was
 * unknown), as Temporal's own namespace cache refreshes every few seconds.
 *
 * The workflow objects read the same cache for their namespace's retention (src/retention.ts).
 */
import { NAMESPACE_NAME_PATTERN } from '../../protocol/index.js';
import type { Env } from '../env.js';
import { DEFAULT_NAMESPACE, namespaceNotFound, newNamespace, type NamespaceRecord } from './namespace.js';
import { NamespaceRegistry } from './registry.js';
import { wallClock } from '../clock.js';

/** How long a namespace read from the registry is used before it is read again. */
export const TTL_MS = 10_000;
/** How long an unknown name is remembered as unknown (short: it may be registered any moment). */
export const NOT_FOUND_TTL_MS = 2_000;
/** Entries kept; past it the oldest go, so that a flood of made-up names cannot grow the isolate. */
const MAX_ENTRIES = 1000;

interface Entry {
  ns: NamespaceRecord | undefined;
  at: number;
}

/** The isolate's (module state, shared by every object in it), so its times are the wall clock's: `now` defaults to `wallClock`. */
const entries = new Map<string, Entry>();

/** Whether unknown namespaces are registered with defaults on first use (`keel dev`, keel/testing). */
export const autoCreates = (env: Env) => env.KEEL_NAMESPACE_AUTO_CREATE === '1';

/**
 * The namespace `name`, from the cache when fresh, else from the registry. Unknown: registered with
 * defaults when the deployment creates namespaces on first use (and always for `default`), else
 * undefined. Without a registry (no VISIBILITY binding) every name is a namespace with defaults.
 */
export async function lookupNamespace(env: Env, name: string, now = wallClock()): Promise<NamespaceRecord | undefined> {
  const hit = entries.get(name);
  if (hit && now - hit.at < (hit.ns ? TTL_MS : NOT_FOUND_TTL_MS)) return hit.ns;
  // Each miss reads for itself, even when another request is reading the same name: a promise
  // created by one request's I/O and awaited by another never settles for the second if the first
  // is cancelled (workerd then fails it as hung), and misses are rare (one per TTL per name).
  return read(env, name, now).catch((err: unknown) => {
    // The registry is unreachable: a namespace known before keeps working with what was known
    // (it is tried again on the next call), rather than every call of it failing with D1.
    if (!hit?.ns) throw err;
    console.warn(`keel: could not read namespace '${name}' from the registry; using what was read ${Math.round((now - hit.at) / 1000)} s ago`, err);
    return hit.ns;
  });
}

/** The namespace `name`, or NAMESPACE_NOT_FOUND. */
export async function requireNamespace(env: Env, name: string): Promise<NamespaceRecord> {
  const ns = await lookupNamespace(env, name);
  if (!ns) throw namespaceNotFound(name);
  return ns;
}

/** What the cache holds for `name`, however old, without asking anyone; undefined when it holds nothing. */
export function peekNamespace(name: string): NamespaceRecord | undefined {
  return entries.get(name)?.ns;
}

/** Puts what a write in this isolate made into the cache, so this isolate sees it at once. */
export function remember(ns: NamespaceRecord, now = wallClock()): void {
  put(ns.name, ns, now);
}

/** Empties the cache (tests). */
export function forgetNamespaces(): void {
  entries.clear();
}

/** The namespaces that exist from the start: `default`, and those `keel dev --namespace` names. */
export function configuredNamespaces(env: Env): string[] {
  let names: unknown = [];
  try {
    names = JSON.parse(env.KEEL_NAMESPACES ?? '[]');
  } catch {
    console.warn('keel: KEEL_NAMESPACES is not a JSON list of names; ignored');
  }
  return [DEFAULT_NAMESPACE, ...(Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string' && n !== DEFAULT_NAMESPACE && NAMESPACE_NAME_PATTERN.test(n)) : [])];
}

const ensured = new Set<string>();

/**
 * Registers the configured namespaces that are not yet (once per isolate and configuration),
 * before the registry is listed: they are there from the start as far as any caller can see.
 * Callers that arrive while the first is registering register too (idempotent), rather than
 * awaiting its promise (see lookupNamespace).
 */
export async function ensureConfiguredNamespaces(env: Env, registry: NamespaceRegistry, now = wallClock()): Promise<void> {
  const key = env.KEEL_NAMESPACES ?? '';
  if (ensured.has(key)) return;
  await Promise.all(configuredNamespaces(env).map((name) => registry.ensure(newNamespace({ name }, now))));
  ensured.add(key);
}

async function read(env: Env, name: string, now: number): Promise<NamespaceRecord | undefined> {
  const registry = NamespaceRegistry.of(env);
  const defaults = newNamespace({ name }, now);
  if (!registry) return defaults;
  // Only a name that could be registered is registered on use; any other is not found.
  const createOnUse = (autoCreates(env) && NAMESPACE_NAME_PATTERN.test(name)) || configuredNamespaces(env).includes(name);
  const found = (await registry.get(name)) ?? (createOnUse ? await registry.ensure(defaults) : undefined);
  put(name, found, now);
  return found;
}

function put(name: string, ns: NamespaceRecord | undefined, now: number): void {
  entries.delete(name);
  entries.set(name, { ns, at: now });
  if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
}
