/**
 * A checked list filter (list-filter.ts) as parameterised SQL over the visibility store's
 * tables (migrations/0001_visibility.sql): `executions e` and its `search_attributes sa`.
 * Every value is a bound parameter; the only text that enters the SQL is this module's own
 * (column names and operators chosen from fixed tables), never the filter's.
 *
 * Custom attributes are typed by their stored values, so a literal is compared with each
 * stored type it can stand for: a string with Keyword/KeywordList values as text, with
 * Datetime values as a time (when it reads as one), and — for `=` — with Text values by
 * words; a number with Int and Double values; TRUE/FALSE with Bool values. A list attribute
 * matches `=` when any element does. `!=`, `NOT IN`, `NOT BETWEEN` and `NOT STARTS_WITH`
 * match executions that have the attribute and no value that matches, as a SQL column's
 * `!=` would not match a NULL.
 */
import type { AttributeRef, BuiltInAttribute, Comparator, Condition, ListFilter, Literal } from './list-filter.js';
import { parseDatetime, textWords } from './search-attributes.js';

export type SqlValue = string | number | null;

/** A piece of SQL and the values of its `?` placeholders, in order. */
export interface Sql {
  sql: string;
  params: SqlValue[];
}

/** D1 binds at most 100 parameters per statement; a filter must leave room for paging. */
export const MAX_FILTER_PARAMS = 90;

/** The filter needs more bound values than D1 allows in one statement. */
export class FilterTooComplexError extends Error {
  override readonly name = 'FilterTooComplexError';
}

const COLUMNS: Record<BuiltInAttribute, string> = {
  WorkflowId: 'e.workflow_id',
  WorkflowType: 'e.workflow_type',
  RunId: 'e.run_id',
  TaskQueue: 'e.task_queue',
  ExecutionStatus: 'e.status',
  StartTime: 'e.start_time',
  CloseTime: 'e.close_time',
  ExecutionTime: 'e.execution_time',
  HistoryLength: 'e.history_length',
};

const SQL_OP: Record<Comparator, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

const sql = (text: string, ...params: SqlValue[]): Sql => ({ sql: text, params });
const join = (parts: Sql[], sep: string): Sql => ({ sql: parts.map((p) => p.sql).join(sep), params: parts.flatMap((p) => p.params) });
const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
const TRUE = sql('1');
const FALSE = sql('0');

/**
 * The WHERE condition of a filter over `executions e` ('1' when the filter has none).
 * @throws {FilterTooComplexError} when it binds more than {@link MAX_FILTER_PARAMS} values.
 */
export function whereSql(filter: ListFilter): Sql {
  const where = filter.where ? condition(filter.where) : TRUE;
  if (where.params.length > MAX_FILTER_PARAMS) {
    throw new FilterTooComplexError(`the filter needs ${where.params.length} values bound to the query; at most ${MAX_FILTER_PARAMS} — use fewer values in IN lists or fewer conditions`);
  }
  return where;
}

function condition(c: Condition): Sql {
  switch (c.kind) {
    case 'and':
    case 'or': {
      const left = condition(c.left);
      const right = condition(c.right);
      return sql(`(${left.sql} ${c.kind === 'and' ? 'AND' : 'OR'} ${right.sql})`, ...left.params, ...right.params);
    }
    case 'compare':
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${SQL_OP[c.comparator]} ?`, bound(c.value));
      if (c.comparator === '=') return exists(c.attribute, matchAny([c.value]));
      if (c.comparator === '!=') return hasNo(c.attribute, matchAny([c.value]));
      return exists(c.attribute, compareValue(c.value, c.comparator));
    case 'in':
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${c.negated ? 'NOT IN' : 'IN'} (${placeholders(c.values.length)})`, ...c.values.map(bound));
      return c.negated ? hasNo(c.attribute, matchAny(c.values)) : exists(c.attribute, matchAny(c.values));
    case 'between': {
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${c.negated ? 'NOT BETWEEN' : 'BETWEEN'} ? AND ?`, bound(c.low), bound(c.high));
      const range = betweenValues(c.low, c.high);
      return c.negated ? hasNo(c.attribute, range) : exists(c.attribute, range);
    }
    case 'startsWith': {
      const pattern = `${escapeGlob(c.prefix)}*`;
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${c.negated ? 'NOT GLOB' : 'GLOB'} ?`, pattern);
      const prefix = sql(`sa.type IN ('Keyword', 'KeywordList') AND sa.str GLOB ?`, pattern);
      return c.negated ? hasNo(c.attribute, prefix) : exists(c.attribute, prefix);
    }
    case 'isNull':
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${c.negated ? 'IS NOT NULL' : 'IS NULL'}`);
      return c.negated ? exists(c.attribute) : not(exists(c.attribute));
  }
}

const bound = (v: Literal): SqlValue => (v.kind === 'bool' ? (v.value ? 1 : 0) : v.value);

/** The execution has a value of the attribute (that matches `match`, when given). */
function exists(attribute: AttributeRef, match?: Sql): Sql {
  if (match === FALSE) return FALSE;
  const base = `SELECT 1 FROM search_attributes sa WHERE sa.namespace = e.namespace AND sa.run_id = e.run_id AND sa.name = ?`;
  return match && match !== TRUE
    ? sql(`EXISTS (${base} AND (${match.sql}))`, attribute.name, ...match.params)
    : sql(`EXISTS (${base})`, attribute.name);
}

/** The execution has the attribute, and none of its values matches. */
function hasNo(attribute: AttributeRef, match: Sql): Sql {
  const has = exists(attribute);
  if (match === FALSE) return has;
  const some = exists(attribute, match);
  return sql(`(${has.sql} AND NOT ${some.sql})`, ...has.params, ...some.params);
}

const not = (s: Sql): Sql => sql(`NOT ${s.sql}`, ...s.params);

/** A stored value equals one of `values`, each compared with the stored types it can stand for. */
function matchAny(values: Literal[]): Sql {
  const strings = values.filter((v) => v.kind === 'string').map((v) => v.value as string);
  const numbers = values.filter((v) => v.kind === 'number').map((v) => v.value as number);
  const bools = values.filter((v) => v.kind === 'bool').map((v) => (v.value ? 1 : 0));
  const datetimes = strings.map((s) => parseDatetime(s)).filter((ms): ms is number => ms !== undefined);
  const words = [...new Set(strings.flatMap(textWords))];
  const parts: Sql[] = [];
  if (strings.length) parts.push(sql(`(sa.type IN ('Keyword', 'KeywordList') AND sa.str IN (${placeholders(strings.length)}))`, ...strings));
  if (datetimes.length) parts.push(sql(`(sa.type = 'Datetime' AND sa.num IN (${placeholders(datetimes.length)}))`, ...datetimes));
  if (words.length) parts.push(sql(`(sa.type = 'Text' AND sa.str IN (${placeholders(words.length)}))`, ...words));
  if (numbers.length) parts.push(sql(`(sa.type IN ('Int', 'Double') AND sa.num IN (${placeholders(numbers.length)}))`, ...numbers));
  if (bools.length) parts.push(sql(`(sa.type = 'Bool' AND sa.num IN (${placeholders(bools.length)}))`, ...bools));
  return parts.length ? join(parts, ' OR ') : FALSE;
}

/** A stored value compares with `value` by `<`, `<=`, `>` or `>=` (Text is not ordered). */
function compareValue(value: Literal, comparator: Comparator): Sql {
  const op = SQL_OP[comparator];
  if (value.kind === 'number') return sql(`sa.type IN ('Int', 'Double') AND sa.num ${op} ?`, value.value);
  if (value.kind === 'bool') return sql(`sa.type = 'Bool' AND sa.num ${op} ?`, value.value ? 1 : 0);
  const parts = [sql(`(sa.type IN ('Keyword', 'KeywordList') AND sa.str ${op} ?)`, value.value)];
  const ms = parseDatetime(value.value);
  if (ms !== undefined) parts.push(sql(`(sa.type = 'Datetime' AND sa.num ${op} ?)`, ms));
  return join(parts, ' OR ');
}

function betweenValues(low: Literal, high: Literal): Sql {
  if (low.kind === 'number' && high.kind === 'number') return sql(`sa.type IN ('Int', 'Double') AND sa.num BETWEEN ? AND ?`, low.value, high.value);
  const lo = String(low.value);
  const hi = String(high.value);
  const parts = [sql(`(sa.type IN ('Keyword', 'KeywordList') AND sa.str BETWEEN ? AND ?)`, lo, hi)];
  const [a, b] = [parseDatetime(lo), parseDatetime(hi)];
  if (a !== undefined && b !== undefined) parts.push(sql(`(sa.type = 'Datetime' AND sa.num BETWEEN ? AND ?)`, a, b));
  return join(parts, ' OR ');
}

/** A GLOB pattern matching `text` literally: `*`, `?` and `[` are put in brackets. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[]/g, (c) => `[${c}]`);
}

// ---- Ordering and keyset paging -----------------------------------------------------

/** One sort key: an expression over `e`, its direction, and its column alias in the SELECT. */
export interface SortKey extends Sql {
  direction: 'ASC' | 'DESC';
  alias: string;
  /** False for columns that always have a value, so paging compares them without NULL cases. */
  nullable: boolean;
}

/** Built-in columns that may be NULL (a running run has no close time). */
const NULLABLE = new Set<BuiltInAttribute>(['CloseTime']);

/**
 * The sort keys of a list: the filter's ORDER BY (default: newest start first), then the
 * run id, so that the order is total and a page token can say exactly where a page ended.
 */
export function sortKeys(filter: ListFilter): SortKey[] {
  const keys: Array<Sql & { direction: 'ASC' | 'DESC'; nullable: boolean }> = filter.orderBy.length
    ? filter.orderBy.map((o) => ({ ...orderExpression(o.attribute), direction: o.direction, nullable: !o.attribute.builtIn || NULLABLE.has(o.attribute.builtIn) }))
    : [{ ...sql(COLUMNS.StartTime), direction: 'DESC', nullable: false }];
  const last = keys.at(-1)!.direction;
  if (!filter.orderBy.some((o) => o.attribute.builtIn === 'RunId')) keys.push({ ...sql(COLUMNS.RunId), direction: last, nullable: false });
  return keys.map((k, i) => ({ ...k, alias: `k${i}` }));
}

function orderExpression(attribute: AttributeRef): Sql {
  if (attribute.builtIn) return sql(COLUMNS[attribute.builtIn]);
  // A list orders by its first element; Datetime, numbers and Bool by `num`, text by `str`.
  return sql(`(SELECT COALESCE(sa.num, sa.str) FROM search_attributes sa WHERE sa.namespace = e.namespace AND sa.run_id = e.run_id AND sa.name = ? ORDER BY sa.ord LIMIT 1)`, attribute.name);
}

/** `ORDER BY` of the keys (by their aliases in the SELECT). */
export function orderBySql(keys: SortKey[]): string {
  return keys.map((k) => `${k.alias} ${k.direction}`).join(', ');
}

/**
 * The rows that come after the one whose sort-key values are `after`, in the keys' order.
 * SQLite sorts NULL first ascending and last descending; the comparisons follow that. When
 * the first key has no NULLs, a plain bound on it comes first, so that the next page starts
 * where the last ended in the index instead of scanning from its beginning.
 */
export function keysetSql(keys: SortKey[], after: SqlValue[]): Sql {
  const ors: Sql[] = [];
  for (let i = 0; i < keys.length; i++) {
    const ands: Sql[] = [];
    for (let j = 0; j < i; j++) ands.push(equal(keys[j]!, after[j] ?? null));
    ands.push(beyond(keys[i]!, after[i] ?? null));
    if (ands.some((a) => a === FALSE)) continue;
    const all = join(ands, ' AND ');
    ors.push(sql(`(${all.sql})`, ...all.params));
  }
  if (!ors.length) return FALSE;
  const any = join(ors, ' OR ');
  const first = keys[0]!;
  const v = after[0] ?? null;
  if (first.nullable || v === null) return sql(`(${any.sql})`, ...any.params);
  return sql(`(${first.sql} ${first.direction === 'DESC' ? '<=' : '>='} ? AND (${any.sql}))`, ...first.params, v, ...any.params);
}

function equal(key: SortKey, v: SqlValue): Sql {
  return v === null ? sql(`${key.sql} IS NULL`, ...key.params) : sql(`${key.sql} = ?`, ...key.params, v);
}

function beyond(key: SortKey, v: SqlValue): Sql {
  if (!key.nullable) return sql(`${key.sql} ${key.direction === 'DESC' ? '<' : '>'} ?`, ...key.params, v);
  if (key.direction === 'ASC') return v === null ? sql(`${key.sql} IS NOT NULL`, ...key.params) : sql(`${key.sql} > ?`, ...key.params, v);
  return v === null ? FALSE : sql(`(${key.sql} < ? OR ${key.sql} IS NULL)`, ...key.params, v, ...key.params);
}
