/**
 * The namespace endpoints (register, list, describe, update) behind the router: validation is
 * done, authorization is the router's; this reads and writes the registry and keeps this
 * isolate's cache in step with what it wrote.
 */
import type { ParsedRequestOf, ResponseOf } from '../../protocol/index.js';
import type { Env } from '../env.js';
import { ServiceError } from '../service-error.js';
import { ensureConfiguredNamespaces, lookupNamespace, remember } from './cache.js';
import { namespaceInfo, namespaceNotFound, namespacePageToken, newNamespace, parseNamespacePageToken, updatedNamespace, type NamespaceRecord } from './namespace.js';
import { NamespaceRegistry } from './registry.js';
import { wallClock } from '../clock.js';

const DEFAULT_PAGE_SIZE = 100;

function registry(env: Env): NamespaceRegistry {
  const r = NamespaceRegistry.of(env);
  if (!r) throw new ServiceError('FEATURE_DISABLED', 'This service has no VISIBILITY D1 database, which holds the namespace registry; every namespace exists with the defaults. Bind one (wrangler.toml) to register namespaces.');
  return r;
}

export async function registerNamespace(env: Env, req: ParsedRequestOf<'registerNamespace'>, now = wallClock()): Promise<ResponseOf<'registerNamespace'>> {
  const ns = newNamespace(req, now);
  const r = registry(env);
  await ensureConfiguredNamespaces(env, r);
  if (!(await r.insert(ns))) {
    throw new ServiceError('NAMESPACE_ALREADY_EXISTS', `Namespace '${req.name}' is already registered; change it with \`keel operator namespace update\` (POST /api/v1/namespaces/${req.name}/update).`, { namespace: req.name });
  }
  remember(ns, now);
  return namespaceInfo(ns);
}

/** Describe reads the registry itself, not the cache: an operator expects what was just written anywhere. */
export async function describeNamespace(env: Env, name: string): Promise<ResponseOf<'describeNamespace'>> {
  const r = NamespaceRegistry.of(env);
  if (r) await ensureConfiguredNamespaces(env, r);
  const ns = r ? await r.get(name) : await lookupNamespace(env, name);
  if (!ns) throw namespaceNotFound(name);
  return namespaceInfo(ns);
}

/** Reads, changes and writes back only if nobody wrote in between (else reads again): no update is lost. */
export async function updateNamespace(env: Env, name: string, req: ParsedRequestOf<'updateNamespace'>, now = wallClock()): Promise<ResponseOf<'updateNamespace'>> {
  const r = registry(env);
  await ensureConfiguredNamespaces(env, r);
  for (let attempt = 0; attempt < 5; attempt++) {
    const prev = await r.get(name);
    if (!prev) throw namespaceNotFound(name);
    // Update times only go forward, so a second update in the same millisecond is still told apart.
    const next: NamespaceRecord = updatedNamespace(prev, req, Math.max(now, prev.updateTime + 1));
    if (await r.replace(prev, next)) {
      remember(next);
      return namespaceInfo(next);
    }
  }
  throw new ServiceError('INTERNAL', `Namespace '${name}' kept changing while it was being updated; try again.`);
}

/** A page of namespaces by name; `only` (an API key's grant) limits it to those names. */
export async function listNamespaces(env: Env, req: ParsedRequestOf<'listNamespaces'>, only?: readonly string[]): Promise<ResponseOf<'listNamespaces'>> {
  const size = req.pageSize ?? DEFAULT_PAGE_SIZE;
  const after = req.nextPageToken ? parseNamespacePageToken(req.nextPageToken) : undefined;
  const r = registry(env);
  await ensureConfiguredNamespaces(env, r);
  const rows = await r.list(size + 1, after, only);
  const page = rows.slice(0, size);
  return { namespaces: page.map(namespaceInfo), ...(rows.length > size ? { nextPageToken: namespacePageToken(page.at(-1)!.name) } : {}) };
}
