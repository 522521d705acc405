/**
 * Custom search attributes: what values a run may carry, the type each value has, and
 * the rows they become in the visibility store so that list filters compare typed values.
 *
 * Keel has no per-namespace registry of attribute types (Temporal's `operator
 * search-attribute create`), so a value's type comes from the value itself:
 *
 * | value | type |
 * | --- | --- |
 * | `true` / `false` | Bool |
 * | an integer | Int |
 * | any other number | Double |
 * | a string in RFC 3339 form with a zone (`2024-05-01T12:00:00Z`) | Datetime |
 * | any other string | Keyword |
 * | a list (Temporal's legacy `searchAttributes: { Tags: ['a', 'b'] }`) | each element by the rules above; strings are KeywordList |
 * | `{ type, value }` with `type` one of Keyword, Text, Int, Double, Bool, Datetime, KeywordList | that type |
 * | `null` or `[]` | no value (the attribute is absent) |
 *
 * The explicit `{ type, value }` form is the only way to get a Text attribute (matched by
 * words, as Temporal's full-text Text type) or a Keyword that looks like a date.
 */
import { Limits } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';

export const SearchAttributeType = {
  Keyword: 'Keyword',
  Text: 'Text',
  Int: 'Int',
  Double: 'Double',
  Bool: 'Bool',
  Datetime: 'Datetime',
  KeywordList: 'KeywordList',
} as const;
export type SearchAttributeType = (typeof SearchAttributeType)[keyof typeof SearchAttributeType];

/**
 * One indexed value of one attribute: a row of the store's `search_attributes` table. A
 * list or a Text value gives several rows (one per element or word), numbered by `ord`.
 * Keyword, KeywordList and Text keep their value in `str`; Int, Double and Bool (0/1) in
 * `num`; Datetime its milliseconds since the epoch in `num` and the ISO form in `str`.
 */
export interface IndexedValue {
  name: string;
  type: SearchAttributeType;
  ord: number;
  str: string | null;
  num: number | null;
}

/** The built-in attributes every execution has; a custom attribute may not take their names. */
export const BUILT_IN_ATTRIBUTE_NAMES = [
  'WorkflowId',
  'WorkflowType',
  'RunId',
  'ExecutionStatus',
  'StartTime',
  'CloseTime',
  'ExecutionTime',
  'TaskQueue',
  'HistoryLength',
] as const;

/** Words of one Text value indexed at most; the rest are not searchable. */
export const MAX_TEXT_WORDS = 256;
/** Indexed values of one execution at most (list elements and Text words count). */
export const MAX_INDEXED_VALUES = 2000;

const TYPES = new Set<string>(Object.values(SearchAttributeType));

/**
 * Parses a datetime as list filters and typed attributes write it: RFC 3339 / ISO 8601
 * (`2024-05-01T12:00:00Z`, `2024-05-01T14:00:00.123+02:00`, `2024-05-01 12:00:00`, or a bare
 * `2024-05-01`), read as UTC when no zone is given. Fractions beyond milliseconds are cut.
 * With `strict`, only the full form with a `T` and a zone is accepted — the form that makes
 * an untyped string attribute a Datetime.
 *
 * @returns milliseconds since the epoch, or undefined when the text is not such a datetime.
 */
export function parseDatetime(text: string, strict = false): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, sep, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  if (strict && ((sep !== 'T' && sep !== 't') || zone === undefined || m[7] === undefined)) return undefined;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 2024-02-30 over into March; such a date is not valid.
  if (new Date(local).getUTCDate() !== day) return undefined;
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  }
  return local - offsetMin * 60_000;
}

/**
 * The words of a Text value or of a filter's literal compared with one: runs of letters and
 * digits, lower-cased — close to the standard analyzer Temporal's Elasticsearch store uses.
 */
export function textWords(text: string): string[] {
  return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
}

/** Why a search attribute value cannot be stored; `path` names it (`Tags[2]`). */
export class SearchAttributeValueError extends Error {
  override readonly name = 'SearchAttributeValueError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

const EXPECTED =
  "a string, a number, true or false, an RFC 3339 datetime string, a list of those, or { type, value } with type one of Keyword, Text, Int, Double, Bool, Datetime, KeywordList";

/**
 * The indexed values of a run's search attributes, in name order.
 * @throws {SearchAttributeValueError} for a value no rule above types.
 */
export function indexSearchAttributes(attributes: Record<string, unknown> | undefined): IndexedValue[] {
  const rows: IndexedValue[] = [];
  for (const name of Object.keys(attributes ?? {}).sort()) {
    if (name.length === 0 || name.length > Limits.maxNameLength) throw new SearchAttributeValueError(name, `a search attribute name must be 1 to ${Limits.maxNameLength} characters`);
    if ((BUILT_IN_ATTRIBUTE_NAMES as readonly string[]).includes(name)) {
      throw new SearchAttributeValueError(name, `'${name}' is a built-in attribute that the service sets; pick another name for a custom attribute`);
    }
    const out = indexValue(name, attributes![name]);
    out.forEach((row, i) => rows.push({ ...row, ord: i }));
  }
  if (rows.length > MAX_INDEXED_VALUES) throw new SearchAttributeValueError('', `the search attributes have ${rows.length} indexed values (list elements and Text words count); at most ${MAX_INDEXED_VALUES}`);
  return rows;
}

/**
 * Checks a start request's search attributes, so that a value the store cannot index is
 * refused up front (design invariant 5) rather than lost later.
 * @throws {ServiceError} INVALID_ARGUMENT naming the attribute.
 */
export function checkSearchAttributes(attributes: Record<string, unknown> | undefined): void {
  try {
    indexSearchAttributes(attributes);
  } catch (err) {
    if (!(err instanceof SearchAttributeValueError)) throw err;
    const path = err.path ? `searchAttributes.${err.path}` : 'searchAttributes';
    throw new ServiceError('INVALID_ARGUMENT', `Invalid request: ${path}: ${err.message}`, { issues: [{ path, message: err.message }] });
  }
}

type Row = Omit<IndexedValue, 'ord'>;

function indexValue(name: string, value: unknown): Row[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => {
      if (Array.isArray(item) || (item !== null && typeof item === 'object')) throw new SearchAttributeValueError(`${name}[${i}]`, `a list element must be a string, a number or true/false; got ${describe(item)}`);
      return inferred(`${name}[${i}]`, name, item, true);
    });
  }
  if (typeof value === 'object') return typed(name, value as Record<string, unknown>);
  return inferred(name, name, value, false);
}

function inferred(path: string, name: string, value: unknown, inList: boolean): Row[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'boolean') return [{ name, type: 'Bool', str: null, num: value ? 1 : 0 }];
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new SearchAttributeValueError(path, `a number must be finite; got ${value}`);
    return [{ name, type: Number.isInteger(value) ? 'Int' : 'Double', str: null, num: value }];
  }
  if (typeof value === 'string') {
    const ms = parseDatetime(value, true);
    if (ms !== undefined) return [{ name, type: 'Datetime', str: new Date(ms).toISOString(), num: ms }];
    return [{ name, type: inList ? 'KeywordList' : 'Keyword', str: value, num: null }];
  }
  throw new SearchAttributeValueError(path, `expected ${EXPECTED}; got ${describe(value)}`);
}

function typed(name: string, v: Record<string, unknown>): Row[] {
  const { type, value } = v;
  const keys = Object.keys(v);
  if (typeof type !== 'string' || !TYPES.has(type) || !keys.every((k) => k === 'type' || k === 'value')) {
    throw new SearchAttributeValueError(name, `expected ${EXPECTED}; got ${describe(v)}`);
  }
  const bad = (what: string) => new SearchAttributeValueError(name, `${/^[AEIOU]/.test(type) ? 'an' : 'a'} ${type} value must be ${what}; got ${describe(value)}`);
  if (value === null || value === undefined) return [];
  switch (type as SearchAttributeType) {
    case 'Keyword':
      if (typeof value !== 'string') throw bad('a string');
      return [{ name, type: 'Keyword', str: value, num: null }];
    case 'Text':
      if (typeof value !== 'string') throw bad('a string');
      return textWords(value)
        .slice(0, MAX_TEXT_WORDS)
        .map((w) => ({ name, type: 'Text', str: w, num: null }));
    case 'Int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw bad('an integer');
      return [{ name, type: 'Int', str: null, num: value }];
    case 'Double':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('a finite number');
      return [{ name, type: 'Double', str: null, num: value }];
    case 'Bool':
      if (typeof value !== 'boolean') throw bad('true or false');
      return [{ name, type: 'Bool', str: null, num: value ? 1 : 0 }];
    case 'Datetime': {
      const ms = typeof value === 'string' ? parseDatetime(value) : undefined;
      if (ms === undefined) throw bad("an RFC 3339 datetime string such as '2024-05-01T12:00:00Z'");
      return [{ name, type: 'Datetime', str: new Date(ms).toISOString(), num: ms }];
    }
    case 'KeywordList':
      if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) throw bad('a list of strings');
      return [...new Set(value as string[])].map((s) => ({ name, type: 'KeywordList', str: s, num: null }));
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a nested list';
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object ${JSON.stringify(value).slice(0, 80)}`;
  return `${typeof value} ${String(value).slice(0, 80)}`;
}
