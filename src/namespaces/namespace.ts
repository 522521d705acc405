/**
 * A namespace as the registry keeps it, and the pure rules about it: the defaults a new one gets,
 * how an update changes it, its wire form, and the registry's page tokens. No I/O here.
 */
import { DEFAULT_RETENTION_MS, NamespaceState, type NamespaceInfo, type ParsedRequestOf } from '../../protocol/index.js';
import { isoTime } from '../engine/iso-time.js';
import { ServiceError } from '../service-error.js';

/** The namespace every client uses unless told otherwise; it exists on every service without being registered. */
export const DEFAULT_NAMESPACE = 'default';

export interface NamespaceRecord {
  name: string;
  state: keyof typeof NamespaceState;
  description: string;
  ownerEmail: string;
  data: Record<string, string>;
  retentionMs: number;
  /** Milliseconds since the epoch. */
  createTime: number;
  updateTime: number;
}

/** A new namespace from a register request (or with defaults only, when created on first use). */
export function newNamespace(req: ParsedRequestOf<'registerNamespace'>, now: number): NamespaceRecord {
  return {
    name: req.name,
    state: 'REGISTERED',
    description: req.description ?? '',
    ownerEmail: req.ownerEmail ?? '',
    data: dropEmpty(req.data ?? {}),
    retentionMs: req.retentionMs ?? DEFAULT_RETENTION_MS,
    createTime: now,
    updateTime: now,
  };
}

/** The namespace after an update: only the fields given change; `data` entries merge in, an empty value removes its key. */
export function updatedNamespace(ns: NamespaceRecord, req: ParsedRequestOf<'updateNamespace'>, now: number): NamespaceRecord {
  return {
    ...ns,
    ...(req.description !== undefined ? { description: req.description } : {}),
    ...(req.ownerEmail !== undefined ? { ownerEmail: req.ownerEmail } : {}),
    ...(req.retentionMs !== undefined ? { retentionMs: req.retentionMs } : {}),
    ...(req.data !== undefined ? { data: dropEmpty({ ...ns.data, ...req.data }) } : {}),
    updateTime: now,
  };
}

function dropEmpty(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== ''));
}

export function namespaceInfo(ns: NamespaceRecord): NamespaceInfo {
  return {
    name: ns.name,
    state: ns.state,
    description: ns.description,
    ownerEmail: ns.ownerEmail,
    data: ns.data,
    retentionMs: ns.retentionMs,
    createTime: isoTime(ns.createTime),
    updateTime: isoTime(ns.updateTime),
  };
}

export function namespaceNotFound(name: string): ServiceError {
  return new ServiceError(
    'NAMESPACE_NOT_FOUND',
    `Namespace '${name.slice(0, 256)}' is not registered; register it with \`keel operator namespace create ${name.slice(0, 256)}\` (POST /api/v1/namespaces), or check its spelling.`,
    { namespace: name },
  );
}

/** A list page token: the last name of the page, so the next page starts after it. */
export const namespacePageToken = (lastName: string) => `n:${lastName}`;

export function parseNamespacePageToken(token: string): string {
  if (!token.startsWith('n:') || token.length < 3) {
    throw new ServiceError('INVALID_ARGUMENT', `nextPageToken '${token.slice(0, 100)}' is not one this service issued; pass back the token from the previous page.`, { issues: [{ path: 'nextPageToken', message: 'not a token this service issued' }] });
  }
  return token.slice(2);
}
