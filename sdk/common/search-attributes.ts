// Owns typed search attributes, as Temporal's @temporalio/common has them: `SearchAttributeType`,
// `defineSearchAttributeKey`, `TypedSearchAttributes`, and their form on Keel's wire, where each
// value travels as `{ type, value }` so that Text, Keyword and Datetime come back as they went.
// Sandbox-safe: no Node built-ins.

/** The types of custom search attributes, with Temporal's names. */
export const SearchAttributeType = {
  TEXT: 'TEXT',
  KEYWORD: 'KEYWORD',
  INT: 'INT',
  DOUBLE: 'DOUBLE',
  BOOL: 'BOOL',
  DATETIME: 'DATETIME',
  KEYWORD_LIST: 'KEYWORD_LIST',
} as const;
export type SearchAttributeType = (typeof SearchAttributeType)[keyof typeof SearchAttributeType];

interface IndexedValueTypes {
  TEXT: string;
  KEYWORD: string;
  INT: number;
  DOUBLE: number;
  BOOL: boolean;
  DATETIME: Date;
  KEYWORD_LIST: string[];
}
/** The JavaScript value of an attribute of type `T`. */
export type IndexedValueTypeMapping<T extends SearchAttributeType> = IndexedValueTypes[T];

/** A named, typed search attribute; make one with {@link defineSearchAttributeKey}. */
export interface SearchAttributeKey<T extends SearchAttributeType> {
  name: string;
  type: T;
}

/** An attribute and its value. */
export type SearchAttributePair = { [T in SearchAttributeType]: { key: SearchAttributeKey<T>; value: IndexedValueTypeMapping<T> } }[SearchAttributeType];
/** An attribute and its new value; `null` removes it. */
export type SearchAttributeUpdatePair = { [T in SearchAttributeType]: { key: SearchAttributeKey<T>; value: IndexedValueTypeMapping<T> | null } }[SearchAttributeType];

/**
 * Defines a typed search attribute key.
 *
 * @example
 * const customer = defineSearchAttributeKey('Customer', SearchAttributeType.KEYWORD);
 * await client.workflow.start(order, { ..., typedSearchAttributes: [{ key: customer, value: 'ada' }] });
 */
export function defineSearchAttributeKey<T extends SearchAttributeType>(name: string, type: T): SearchAttributeKey<T> {
  return { name, type };
}

/** A run's typed search attributes, immutable; `updateCopy` makes a changed copy. */
export class TypedSearchAttributes {
  private readonly pairs: SearchAttributePair[];

  constructor(initialAttributes: SearchAttributePair[] = []) {
    const byName = new Map<string, SearchAttributePair>();
    for (const pair of initialAttributes) byName.set(pair.key.name, copyPair(pair));
    this.pairs = [...byName.values()].sort((a, b) => (a.key.name < b.key.name ? -1 : a.key.name > b.key.name ? 1 : 0));
  }

  /** The value of `key`, or undefined when the run has no attribute of that name and type. */
  get<T extends SearchAttributeType>(key: SearchAttributeKey<T>): IndexedValueTypeMapping<T> | undefined {
    const pair = this.pairs.find((p) => p.key.name === key.name);
    if (!pair || pair.key.type !== key.type) return undefined;
    return copyValue(pair.value) as IndexedValueTypeMapping<T>;
  }

  /** Every attribute and its value, in name order. */
  getAll(): SearchAttributePair[] {
    return this.pairs.map(copyPair);
  }

  /** A copy with `updates` applied: a value replaces the attribute's, `null` removes it. */
  updateCopy(updates: SearchAttributeUpdatePair[]): TypedSearchAttributes {
    const byName = new Map(this.pairs.map((p) => [p.key.name, p] as const));
    for (const u of updates) {
      if (u.value === null) byName.delete(u.key.name);
      else byName.set(u.key.name, u as SearchAttributePair);
    }
    return new TypedSearchAttributes([...byName.values()]);
  }
}

function copyValue(value: unknown): unknown {
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) return [...(value as unknown[])];
  return value;
}

function copyPair(pair: SearchAttributePair): SearchAttributePair {
  return { key: { ...pair.key }, value: copyValue(pair.value) } as SearchAttributePair;
}

/** Temporal's type names ⇄ the names Keel's wire and list filters use. */
const WIRE_TYPE: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};
const TYPE_OF_WIRE: Record<string, SearchAttributeType> = Object.fromEntries(Object.entries(WIRE_TYPE).map(([t, w]) => [w, t as SearchAttributeType]));

/** A value of `type` on the wire (`null` removes, in an upsert). */
export function typedValueToWire(type: SearchAttributeType, value: unknown): { type: string; value: unknown } {
  const wireType = WIRE_TYPE[type];
  if (!wireType) throw new TypeError(`Unknown search attribute type ${String(type)}; use one of ${Object.keys(WIRE_TYPE).join(', ')}`);
  if (value === null || value === undefined) return { type: wireType, value: null };
  // Checked here, where the caller can be told, rather than refused by the service later.
  if (!VALID[type](value)) throw new TypeError(`A ${type} search attribute value must be ${EXPECTED[type]}; got ${Array.isArray(value) ? 'a list' : typeof value} ${String(value).slice(0, 80)}`);
  if (type === 'DATETIME') return { type: wireType, value: (value as Date).toISOString() };
  return { type: wireType, value };
}

const VALID: Record<SearchAttributeType, (v: unknown) => boolean> = {
  TEXT: (v) => typeof v === 'string',
  KEYWORD: (v) => typeof v === 'string',
  INT: (v) => Number.isSafeInteger(v),
  DOUBLE: (v) => typeof v === 'number' && Number.isFinite(v),
  BOOL: (v) => typeof v === 'boolean',
  DATETIME: (v) => v instanceof Date && !Number.isNaN(v.getTime()),
  KEYWORD_LIST: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
};
const EXPECTED: Record<SearchAttributeType, string> = {
  TEXT: 'a string',
  KEYWORD: 'a string',
  INT: 'a safe integer',
  DOUBLE: 'a finite number',
  BOOL: 'true or false',
  DATETIME: 'a valid Date',
  KEYWORD_LIST: 'an array of strings',
};

/** Typed pairs (or a `TypedSearchAttributes`) as the wire's `{ name: { type, value } }`. */
export function typedSearchAttributesToWire(attributes: TypedSearchAttributes | ReadonlyArray<SearchAttributePair | SearchAttributeUpdatePair>): Record<string, { type: string; value: unknown }> {
  const pairs = attributes instanceof TypedSearchAttributes ? attributes.getAll() : attributes;
  const out: Record<string, { type: string; value: unknown }> = {};
  for (const { key, value } of pairs) out[key.name] = typedValueToWire(key.type, value);
  return out;
}

/** Whether `text` is the full RFC 3339 form with a zone, which the service types Datetime. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:?\d{2})$/;

/** The typed form of one stored value, typed as the service types it; undefined when no typed form fits. */
function typedPair(name: string, value: unknown): SearchAttributePair | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    return value.length > 0 && value.every((v) => typeof v === 'string' && !RFC3339.test(v))
      ? { key: { name, type: 'KEYWORD_LIST' }, value: [...(value as string[])] }
      : undefined;
  }
  if (typeof value === 'object') {
    const { type, value: inner } = value as { type?: unknown; value?: unknown };
    const t = typeof type === 'string' ? TYPE_OF_WIRE[type] : undefined;
    if (!t || inner === null || inner === undefined) return undefined;
    if (t === 'DATETIME') return typeof inner === 'string' ? { key: { name, type: t }, value: new Date(inner) } : undefined;
    if (t === 'KEYWORD_LIST') return Array.isArray(inner) ? { key: { name, type: t }, value: [...(inner as string[])] } : undefined;
    return { key: { name, type: t }, value: inner } as SearchAttributePair;
  }
  if (typeof value === 'boolean') return { key: { name, type: 'BOOL' }, value };
  if (typeof value === 'number') return Number.isInteger(value) ? { key: { name, type: 'INT' }, value } : { key: { name, type: 'DOUBLE' }, value };
  if (typeof value === 'string') return RFC3339.test(value) ? { key: { name, type: 'DATETIME' }, value: new Date(value) } : { key: { name, type: 'KEYWORD' }, value };
  return undefined;
}

/**
 * A run's attributes as the service stores them (each as given: by shape, or `{ type, value }`)
 * read as typed attributes. A list of numbers or booleans has no typed form and is left out.
 */
export function typedSearchAttributesFromWire(raw: Record<string, unknown> | undefined): TypedSearchAttributes {
  const pairs: SearchAttributePair[] = [];
  for (const [name, value] of Object.entries(raw ?? {})) {
    const pair = typedPair(name, value);
    if (pair) pairs.push(pair);
  }
  return new TypedSearchAttributes(pairs);
}

/**
 * A run's attributes in Temporal's deprecated untyped form (`searchAttributes` of describe and
 * list): every value an array, `{ type, value }` unwrapped, date-times as `Date`s.
 */
export function untypedSearchAttributesFromWire(raw: Record<string, unknown> | undefined): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === null || value === undefined) continue;
    const pair = typedPair(name, value);
    const plain = pair ? pair.value : typeof value === 'object' && !Array.isArray(value) && 'value' in value ? (value as { value: unknown }).value : value;
    out[name] = Array.isArray(plain) ? [...(plain as unknown[])] : [plain];
  }
  return out;
}
