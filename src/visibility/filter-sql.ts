/**
 * A checked list filter (list-filter.ts) as parameterised SQL over a visibility store's runs,
 * `e`, and their typed search-attribute values, `sa` — in either layout ({@link VisibilityLayout}):
 * D1's (migrations/0001_visibility.sql: `executions` and `search_attributes`) or a workflow
 * shard's (shard-store.ts: `visibility`, the values a JSON array in the run's own row).
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
import { LIST_COLUMNS } from './list-rows.js';
import { stateTableOf } from '../storage/day-tables.js';
import { IS_LIST_ENTRY } from './list-entry.js';

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

/**
 * Where a store keeps runs and their search-attribute values. Both are SQLite, so one translation
 * serves both; only the names differ. The runs' table has the same columns in both (`e.*`).
 */
export interface VisibilityLayout {
  /** The runs' table, aliased `e` in every statement. */
  runs: string;
  /** The condition every row of the list's namespace meets, with its one `?` (D1), or none (a shard keeps one namespace). */
  namespace?: string;
  /** The condition a row of `runs` meets when it is a run's entry, with no `?` (a day table: its run rows), or none (every row is). */
  entries?: string;
  /** `FROM … WHERE …` over one run's attribute values (aliased `sa`), to which conditions are added with AND. */
  attributesOfRun: string;
  /** The expressions of a value's name, type, position, text and number. */
  sa: { name: string; type: string; ord: string; str: string; num: string };
}

/** D1's layout: a row per value in `search_attributes`, indexed by name and value. */
export const D1_LAYOUT: VisibilityLayout = {
  runs: 'executions',
  namespace: 'e.namespace = ?',
  attributesOfRun: 'search_attributes sa WHERE sa.namespace = e.namespace AND sa.run_id = e.run_id',
  sa: { name: 'sa.name', type: 'sa.type', ord: 'sa.ord', str: 'sa.str', num: 'sa.num' },
};

/** A shard's layout (shard-store.ts): the run's values in its own row, `attributes`, as [name, type, ord, str, num] arrays. */
export const SHARD_LAYOUT: VisibilityLayout = {
  runs: 'visibility',
  attributesOfRun: 'json_each(e.attributes) sa WHERE 1',
  sa: { name: '(sa.value ->> 0)', type: '(sa.value ->> 1)', ord: '(sa.value ->> 2)', str: '(sa.value ->> 3)', num: '(sa.value ->> 4)' },
};

/**
 * A shard's day table (src/storage/day-tables.ts): the entries are its run rows' list columns
 * (list-entry.ts), NULL on its other rows.
 */
export const dayLayout = (day: number): VisibilityLayout => ({ ...SHARD_LAYOUT, runs: stateTableOf(day), entries: `e.${IS_LIST_ENTRY}` });

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
export function whereSql(filter: ListFilter, layout: VisibilityLayout = D1_LAYOUT): Sql {
  const where = filter.where ? condition(filter.where, layout) : TRUE;
  if (where.params.length > MAX_FILTER_PARAMS) {
    throw new FilterTooComplexError(`the filter needs ${where.params.length} values bound to the query; at most ${MAX_FILTER_PARAMS} — use fewer values in IN lists or fewer conditions`);
  }
  return where;
}

function condition(c: Condition, L: VisibilityLayout): Sql {
  const a = L.sa;
  switch (c.kind) {
    case 'and':
    case 'or': {
      const left = condition(c.left, L);
      const right = condition(c.right, L);
      return sql(`(${left.sql} ${c.kind === 'and' ? 'AND' : 'OR'} ${right.sql})`, ...left.params, ...right.params);
    }
    case 'compare':
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${SQL_OP[c.comparator]} ?`, bound(c.value));
      if (c.comparator === '=') return exists(L, c.attribute, matchAny(a, [c.value]));
      if (c.comparator === '!=') return hasNo(L, c.attribute, matchAny(a, [c.value]));
      return exists(L, c.attribute, compareValue(a, c.value, c.comparator));
    case 'in':
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${c.negated ? 'NOT IN' : 'IN'} (${placeholders(c.values.length)})`, ...c.values.map(bound));
      return c.negated ? hasNo(L, c.attribute, matchAny(a, c.values)) : exists(L, c.attribute, matchAny(a, c.values));
    case 'between': {
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${c.negated ? 'NOT BETWEEN' : 'BETWEEN'} ? AND ?`, bound(c.low), bound(c.high));
      const range = betweenValues(a, c.low, c.high);
      return c.negated ? hasNo(L, c.attribute, range) : exists(L, c.attribute, range);
    }
    case 'startsWith': {
      const pattern = `${escapeGlob(c.prefix)}*`;
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${c.negated ? 'NOT GLOB' : 'GLOB'} ?`, pattern);
      const prefix = sql(`${a.type} IN ('Keyword', 'KeywordList') AND ${a.str} GLOB ?`, pattern);
      return c.negated ? hasNo(L, c.attribute, prefix) : exists(L, c.attribute, prefix);
    }
    case 'isNull':
      if (c.attribute.builtIn) return sql(`${COLUMNS[c.attribute.builtIn]} ${c.negated ? 'IS NOT NULL' : 'IS NULL'}`);
      return c.negated ? exists(L, c.attribute) : not(exists(L, c.attribute));
  }
}

const bound = (v: Literal): SqlValue => (v.kind === 'bool' ? (v.value ? 1 : 0) : v.value);

/** The execution has a value of the attribute (that matches `match`, when given). */
function exists(L: VisibilityLayout, attribute: AttributeRef, match?: Sql): Sql {
  if (match === FALSE) return FALSE;
  const base = `SELECT 1 FROM ${L.attributesOfRun} AND ${L.sa.name} = ?`;
  return match && match !== TRUE
    ? sql(`EXISTS (${base} AND (${match.sql}))`, attribute.name, ...match.params)
    : sql(`EXISTS (${base})`, attribute.name);
}

/** The execution has the attribute, and none of its values matches. */
function hasNo(L: VisibilityLayout, attribute: AttributeRef, match: Sql): Sql {
  const has = exists(L, attribute);
  if (match === FALSE) return has;
  const some = exists(L, attribute, match);
  return sql(`(${has.sql} AND NOT ${some.sql})`, ...has.params, ...some.params);
}

const not = (s: Sql): Sql => sql(`NOT ${s.sql}`, ...s.params);

/** A stored value equals one of `values`, each compared with the stored types it can stand for. */
function matchAny(a: VisibilityLayout['sa'], values: Literal[]): Sql {
  const strings = values.filter((v) => v.kind === 'string').map((v) => v.value as string);
  const numbers = values.filter((v) => v.kind === 'number').map((v) => v.value as number);
  const bools = values.filter((v) => v.kind === 'bool').map((v) => (v.value ? 1 : 0));
  const datetimes = strings.map((s) => parseDatetime(s)).filter((ms): ms is number => ms !== undefined);
  const words = [...new Set(strings.flatMap(textWords))];
  const parts: Sql[] = [];
  if (strings.length) parts.push(sql(`(${a.type} IN ('Keyword', 'KeywordList') AND ${a.str} IN (${placeholders(strings.length)}))`, ...strings));
  if (datetimes.length) parts.push(sql(`(${a.type} = 'Datetime' AND ${a.num} IN (${placeholders(datetimes.length)}))`, ...datetimes));
  if (words.length) parts.push(sql(`(${a.type} = 'Text' AND ${a.str} IN (${placeholders(words.length)}))`, ...words));
  if (numbers.length) parts.push(sql(`(${a.type} IN ('Int', 'Double') AND ${a.num} IN (${placeholders(numbers.length)}))`, ...numbers));
  if (bools.length) parts.push(sql(`(${a.type} = 'Bool' AND ${a.num} IN (${placeholders(bools.length)}))`, ...bools));
  return parts.length ? join(parts, ' OR ') : FALSE;
}

/** A stored value compares with `value` by `<`, `<=`, `>` or `>=` (Text is not ordered). */
function compareValue(a: VisibilityLayout['sa'], value: Literal, comparator: Comparator): Sql {
  const op = SQL_OP[comparator];
  if (value.kind === 'number') return sql(`${a.type} IN ('Int', 'Double') AND ${a.num} ${op} ?`, value.value);
  if (value.kind === 'bool') return sql(`${a.type} = 'Bool' AND ${a.num} ${op} ?`, value.value ? 1 : 0);
  const parts = [sql(`(${a.type} IN ('Keyword', 'KeywordList') AND ${a.str} ${op} ?)`, value.value)];
  const ms = parseDatetime(value.value);
  if (ms !== undefined) parts.push(sql(`(${a.type} = 'Datetime' AND ${a.num} ${op} ?)`, ms));
  return join(parts, ' OR ');
}

function betweenValues(a: VisibilityLayout['sa'], low: Literal, high: Literal): Sql {
  if (low.kind === 'number' && high.kind === 'number') return sql(`${a.type} IN ('Int', 'Double') AND ${a.num} BETWEEN ? AND ?`, low.value, high.value);
  const lo = String(low.value);
  const hi = String(high.value);
  const parts = [sql(`(${a.type} IN ('Keyword', 'KeywordList') AND ${a.str} BETWEEN ? AND ?)`, lo, hi)];
  const [from, to] = [parseDatetime(lo), parseDatetime(hi)];
  if (from !== undefined && to !== undefined) parts.push(sql(`(${a.type} = 'Datetime' AND ${a.num} BETWEEN ? AND ?)`, from, to));
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
export function sortKeys(filter: ListFilter, layout: VisibilityLayout = D1_LAYOUT): SortKey[] {
  const keys: Array<Sql & { direction: 'ASC' | 'DESC'; nullable: boolean }> = filter.orderBy.length
    ? filter.orderBy.map((o) => ({ ...orderExpression(layout, o.attribute), direction: o.direction, nullable: !o.attribute.builtIn || NULLABLE.has(o.attribute.builtIn) }))
    : [{ ...sql(COLUMNS.StartTime), direction: 'DESC', nullable: false }];
  const last = keys.at(-1)!.direction;
  if (!filter.orderBy.some((o) => o.attribute.builtIn === 'RunId')) keys.push({ ...sql(COLUMNS.RunId), direction: last, nullable: false });
  return keys.map((k, i) => ({ ...k, alias: `k${i}` }));
}

function orderExpression(L: VisibilityLayout, attribute: AttributeRef): Sql {
  if (attribute.builtIn) return sql(COLUMNS[attribute.builtIn]);
  // A list orders by its first element; Datetime, numbers and Bool by `num`, text by `str`.
  const a = L.sa;
  return sql(`(SELECT COALESCE(${a.num}, ${a.str}) FROM ${L.attributesOfRun} AND ${a.name} = ? ORDER BY ${a.ord} LIMIT 1)`, attribute.name);
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

// ---- Statements ---------------------------------------------------------------------

/** The rows of the layout's store that are entries of the list's namespace (all of a shard's entries). */
export function ofNamespace(layout: VisibilityLayout, namespace: string): Sql {
  const ns = layout.namespace ? sql(layout.namespace, namespace) : TRUE;
  return layout.entries ? sql(`${layout.entries} AND ${ns.sql}`, ...ns.params) : ns;
}

/**
 * A list page's SELECT: the runs that match `where`, after the row whose sort-key values are
 * `after`, in the keys' order, at most `limit`, each with its sort-key values as k0, k1, ….
 */
export function listSql(layout: VisibilityLayout, namespace: string, keys: SortKey[], where: Sql, after: SqlValue[] | undefined, limit: number): Sql {
  const scope = ofNamespace(layout, namespace);
  const keyset = after ? keysetSql(keys, after) : undefined;
  const select = keys.map((k) => `${k.sql} AS ${k.alias}`).join(', ');
  return sql(
    `SELECT ${LIST_COLUMNS}, ${select} FROM ${layout.runs} e WHERE ${scope.sql} AND (${where.sql})` + (keyset ? ` AND ${keyset.sql}` : '') + ` ORDER BY ${orderBySql(keys)} LIMIT ?`,
    ...keys.flatMap((k) => k.params),
    ...scope.params,
    ...where.params,
    ...(keyset?.params ?? []),
    limit,
  );
}

/** A count's SELECT: `count` in total, or with `byStatus` a row per status (`status`, `count`). */
export function countSql(layout: VisibilityLayout, namespace: string, where: Sql, byStatus: boolean): Sql {
  const scope = ofNamespace(layout, namespace);
  const base = `FROM ${layout.runs} e WHERE ${scope.sql} AND (${where.sql})`;
  return sql(byStatus ? `SELECT e.status AS status, COUNT(*) AS count ${base} GROUP BY e.status` : `SELECT COUNT(*) AS count ${base}`, ...scope.params, ...where.params);
}
