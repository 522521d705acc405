/**
 * The object's SQL handle, which opens the schema again on first use after `deleteAll` emptied the
 * database. Emptying it is how a deleted execution stops being billed (src/retention.ts), but the
 * object may still be in memory and get a request (a new run of the same workflow id): its tables
 * come back with the first statement that writes, and only then (WorkflowStore answers reads of an
 * emptied database itself: nothing is there), so an object that is only read again stays empty.
 */
import { openSchema, type SchemaStorage } from './schema.js';

/**
 * Databases whose schema this isolate has brought up: a shard's workflows share one database, so
 * it is checked once, not once per workflow (two statements each). Keyed by the object's own SQL
 * handle (`database`), which lives as long as the object in memory.
 */
const opened = new WeakSet<object>();

export class ReopeningSql {
  /** Use this in place of `storage.sql`: the same, but it brings the tables back after `dropped`. */
  readonly sql: SqlStorage;
  private open = false;

  constructor(private readonly storage: SchemaStorage & { readonly database?: object }) {
    this.ensureOpen();
    const raw = storage.sql;
    this.sql = new Proxy(raw, {
      get: (target, prop) => {
        if (prop === 'exec') {
          return (query: string, ...bindings: unknown[]) => {
            this.ensureOpen();
            return target.exec(query, ...bindings);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** False from `dropped` until the next statement: the database is empty, with no tables. */
  get isOpen(): boolean {
    return this.open;
  }

  /** The database was emptied (`deleteAll`): the next statement opens the schema first. */
  dropped(): void {
    this.open = false;
    opened.delete(this.database);
  }

  /** The database this handle is a view of (a workflow's view in a shard says which: its `sql` is its own). */
  private get database(): object {
    return this.storage.database ?? this.storage.sql;
  }

  private ensureOpen(): void {
    if (this.open) return;
    if (!opened.has(this.database)) openSchema(this.storage);
    opened.add(this.database);
    this.open = true;
  }
}
