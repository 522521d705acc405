/**
 * The namespace registry: the `namespaces` table of the D1 database the visibility store lives in
 * (migrations/0003_namespaces.sql). D1 rather than a Durable Object of its own: its one primary
 * serialises writes, so a name is registered once (the primary key refuses a second) and every
 * read sees the last write, and list is one indexed query; it needs no new object class or
 * deployment migration, and the router reads it rarely (src/namespaces/cache.ts).
 */
import type { Env } from '../env.js';
import { visibilityDb } from '../visibility/migrations.js';
import type { NamespaceRecord } from './namespace.js';

interface Row {
  name: string;
  state: NamespaceRecord['state'];
  description: string;
  owner_email: string;
  data: string;
  retention_ms: number;
  create_time: number;
  update_time: number;
}

const COLUMNS = 'name, state, description, owner_email, data, retention_ms, create_time, update_time';

const fromRow = (r: Row): NamespaceRecord => ({
  name: r.name,
  state: r.state,
  description: r.description,
  ownerEmail: r.owner_email,
  data: JSON.parse(r.data) as Record<string, string>,
  retentionMs: r.retention_ms,
  createTime: r.create_time,
  updateTime: r.update_time,
});

const values = (ns: NamespaceRecord) => [ns.name, ns.state, ns.description, ns.ownerEmail, JSON.stringify(ns.data), ns.retentionMs, ns.createTime, ns.updateTime];

export class NamespaceRegistry {
  constructor(private readonly db: () => Promise<D1Database>) {}

  /** The registry of this deployment, or undefined without a VISIBILITY database (then every namespace exists). */
  static of(env: Env): NamespaceRegistry | undefined {
    if (!env.VISIBILITY) return undefined;
    return new NamespaceRegistry(async () => (await visibilityDb(env))!);
  }

  async get(name: string): Promise<NamespaceRecord | undefined> {
    const row = await (await this.db()).prepare(`SELECT ${COLUMNS} FROM namespaces WHERE name = ?`).bind(name).first<Row>();
    return row ? fromRow(row) : undefined;
  }

  /** Registers `ns`; false when the name is taken (nothing changes then). */
  async insert(ns: NamespaceRecord): Promise<boolean> {
    const r = await (await this.db())
      .prepare(`INSERT INTO namespaces (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`)
      .bind(...values(ns))
      .run();
    return r.meta.changes > 0;
  }

  /** Registers `ns` unless the name is taken, and answers what the registry then holds (one round trip). */
  async ensure(ns: NamespaceRecord): Promise<NamespaceRecord> {
    const db = await this.db();
    const [, read] = await db.batch<Row>([
      db.prepare(`INSERT INTO namespaces (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`).bind(...values(ns)),
      db.prepare(`SELECT ${COLUMNS} FROM namespaces WHERE name = ?`).bind(ns.name),
    ]);
    return fromRow(read!.results[0]!);
  }

  /**
   * Writes `next` over the namespace if it is still as `prev` was read (its update time), so two
   * updates at once cannot lose one another's fields; false when it changed meanwhile or is gone.
   */
  async replace(prev: NamespaceRecord, next: NamespaceRecord): Promise<boolean> {
    const r = await (await this.db())
      .prepare(`UPDATE namespaces SET description = ?, owner_email = ?, data = ?, retention_ms = ?, update_time = ? WHERE name = ? AND update_time = ?`)
      .bind(next.description, next.ownerEmail, JSON.stringify(next.data), next.retentionMs, next.updateTime, prev.name, prev.updateTime)
      .run();
    return r.meta.changes > 0;
  }

  /** Up to `limit` namespaces by name, after `after` when given; with `only`, just those names. */
  async list(limit: number, after?: string, only?: readonly string[]): Promise<NamespaceRecord[]> {
    const db = await this.db();
    const where = [after !== undefined ? 'name > ?' : '', only ? `name IN (SELECT value FROM json_each(?))` : ''].filter(Boolean);
    const binds: unknown[] = [...(after !== undefined ? [after] : []), ...(only ? [JSON.stringify(only)] : []), limit];
    const { results } = await db
      .prepare(`SELECT ${COLUMNS} FROM namespaces ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name LIMIT ?`)
      .bind(...binds)
      .all<Row>();
    return results.map(fromRow);
  }
}
