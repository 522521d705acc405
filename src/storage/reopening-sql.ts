/**
 * The object's SQL handle, which opens the schema again on first use after `deleteAll` emptied the
 * database. Emptying it is how a deleted execution stops being billed (src/retention.ts), but the
 * object may still be in memory and get a request (a new run of the same workflow id): its tables
 * come back with the first statement that writes, and only then (WorkflowStore answers reads of an
 * emptied database itself: nothing is there), so an object that is only read again stays empty.
 */
import { openSchema, type SchemaStorage } from './schema.js';

export class ReopeningSql {
  /** Use this in place of `storage.sql`: the same, but it brings the tables back after `dropped`. */
  readonly sql: SqlStorage;
  private open = false;

  constructor(private readonly storage: SchemaStorage) {
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
  }

  private ensureOpen(): void {
    if (this.open) return;
    openSchema(this.storage);
    this.open = true;
  }
}
