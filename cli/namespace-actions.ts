// Owns `keel operator namespace create|describe|list|update`, with Temporal CLI's flags
// (`--retention 72h`, `--description`, `--email`, `--data k=v`), through the SDK's Connection.
import type { NamespaceInfo, RequestOf } from '../protocol/index.js';
import { connect } from './connect.js';
import { UsageError } from './errors.js';
import type { ClientFlags } from './flags.js';
import { formatJson, formatJsonLine, formatKeyValues, formatTable, formatTime, type Io } from './output.js';
import { parseDuration } from './values.js';

export interface NamespaceFlags extends ClientFlags {
  description?: string;
  email?: string;
  retention?: string;
  data?: string[];
}

/** The settings the flags give (only those given: an update changes only them). */
function settings(flags: NamespaceFlags): RequestOf<'updateNamespace'> {
  return {
    ...(flags.description !== undefined ? { description: flags.description } : {}),
    ...(flags.email !== undefined ? { ownerEmail: flags.email } : {}),
    ...(flags.retention !== undefined ? { retentionMs: parseDuration(flags.retention, '--retention') } : {}),
    ...(flags.data?.length ? { data: parseData(flags.data) } : {}),
  };
}

function parseData(pairs: readonly string[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--data '${pair}' must be KEY=VALUE, e.g. --data team=billing`);
    data[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return data;
}

/** Temporal's CLI names the namespace as an argument; --namespace (and KEEL_NAMESPACE) work too. */
const nameOf = (name: string | undefined, flags: ClientFlags) => name ?? flags.namespace;

export async function createNamespace(name: string | undefined, flags: NamespaceFlags, io: Io): Promise<void> {
  const { connection, withTimeout } = connect(flags);
  const ns = await withTimeout(() => connection.call('registerNamespace', { name: nameOf(name, flags), ...settings(flags) }, { namespace: '' }));
  print(ns, flags, io, `Namespace '${ns.name}' created`);
}

export async function describeNamespace(name: string | undefined, flags: ClientFlags, io: Io): Promise<void> {
  const { connection, withTimeout } = connect(flags);
  const ns = await withTimeout(() => connection.call('describeNamespace', {}, { namespace: nameOf(name, flags) }));
  print(ns, flags, io);
}

export async function updateNamespace(name: string | undefined, flags: NamespaceFlags, io: Io): Promise<void> {
  const change = settings(flags);
  if (Object.keys(change).length === 0) throw new UsageError('nothing to change: give --description, --email, --retention or --data');
  const { connection, withTimeout } = connect(flags);
  const ns = await withTimeout(() => connection.call('updateNamespace', change, { namespace: nameOf(name, flags) }));
  print(ns, flags, io, `Namespace '${ns.name}' updated`);
}

export async function listNamespaces(flags: ClientFlags, io: Io): Promise<void> {
  const { connection, withTimeout } = connect(flags);
  const all: NamespaceInfo[] = [];
  await withTimeout(async () => {
    for (let token: string | undefined; ; ) {
      const page = await connection.call('listNamespaces', token ? { nextPageToken: token } : {}, { namespace: '' });
      for (const ns of page.namespaces) {
        if (flags.output === 'jsonl') io.out(formatJsonLine(ns) + '\n');
        else all.push(ns);
      }
      token = page.nextPageToken;
      if (!token) break;
    }
  });
  if (flags.output === 'json') io.out(formatJson(all));
  if (flags.output !== 'text') return;
  io.out(
    formatTable(all, [
      { header: 'NAME', value: (n) => n.name },
      { header: 'STATE', value: (n) => n.state },
      { header: 'RETENTION', value: (n) => formatRetention(n.retentionMs) },
      { header: 'DESCRIPTION', value: (n) => n.description },
    ]),
  );
}

function print(ns: NamespaceInfo, flags: ClientFlags, io: Io, headline?: string): void {
  if (flags.output !== 'text') {
    io.out(flags.output === 'json' ? formatJson(ns) : formatJsonLine(ns) + '\n');
    return;
  }
  if (headline) io.out(`${headline}.\n`);
  io.out(
    formatKeyValues([
      ['Name', ns.name],
      ['State', ns.state],
      ['Description', ns.description || undefined],
      ['OwnerEmail', ns.ownerEmail || undefined],
      ['Retention', formatRetention(ns.retentionMs)],
      ...Object.entries(ns.data).map(([k, v]) => [`Data.${k}`, v] as const),
      ['CreateTime', formatTime(ns.createTime)],
      ['UpdateTime', formatTime(ns.updateTime)],
    ]),
  );
}

/** A retention as Temporal's CLI prints one: whole days as `72h0m0s`-style hours, e.g. `72h`, `1h30m`, `10s`. */
export function formatRetention(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return [h ? `${h}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('') || '0s';
}
