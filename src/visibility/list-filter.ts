/**
 * Temporal's list-filter language, parsed and checked: the `query` of list and count, e.g.
 * `WorkflowType = 'order' AND ExecutionStatus = 'Running' ORDER BY StartTime DESC`.
 *
 * Grammar (keywords are case-insensitive; attribute names are case-sensitive, as Temporal's):
 *
 * ```
 * query      := [or] [GROUP BY attribute] [ORDER BY order {, order}]
 * or         := and {OR and}                      -- AND binds tighter than OR
 * and        := primary {AND primary}
 * primary    := '(' or ')' | predicate
 * predicate  := attribute ( ('=' | '!=' | '<>' | '<' | '<=' | '>' | '>=') value
 *                         | [NOT] IN '(' value {, value} ')'
 *                         | [NOT] BETWEEN value AND value
 *                         | [NOT] STARTS_WITH 'string'
 *                         | IS [NOT] NULL )
 * order      := attribute [ASC | DESC]
 * attribute  := Name | `any name` (backquotes; `` doubles one)
 * value      := 'string' | "string" (a doubled quote or a backslash escapes) | number | TRUE | FALSE
 * ```
 *
 * Built-in attributes are typed and their values checked here (a datetime literal is read,
 * a status is one of Temporal's names); custom attributes are typed by their stored values
 * (see search-attributes.ts). A bad filter throws {@link ListFilterError}, which says where
 * (offset and a caret under the excerpt) and what was expected there.
 *
 * Pure: no SQL here (filter-sql.ts translates), no service imports, so any side may use it.
 */
import { STATUS_FILTER_NAMES, type WorkflowExecutionStatus } from '../../protocol/enums.js';
import { parseDatetime } from './search-attributes.js';

/** Longest filter accepted, in characters. */
export const MAX_FILTER_LENGTH = 10_000;
/**
 * Deepest nesting of parentheses accepted. The parser and the SQL translation recurse once per
 * level, so a filter of thousands of '(' would exhaust the stack (a 500) instead of being refused.
 */
export const MAX_FILTER_DEPTH = 32;
/** Most conditions (comparisons, IN, BETWEEN, …) in one filter: each becomes SQL, and an AND/OR chain is as deep as it is long. */
export const MAX_FILTER_CONDITIONS = 100;


/** The built-in attributes and their types. */
export const BUILT_IN_ATTRIBUTES = {
  WorkflowId: 'Keyword',
  WorkflowType: 'Keyword',
  RunId: 'Keyword',
  TaskQueue: 'Keyword',
  ExecutionStatus: 'Status',
  StartTime: 'Datetime',
  CloseTime: 'Datetime',
  ExecutionTime: 'Datetime',
  HistoryLength: 'Int',
} as const;
export type BuiltInAttribute = keyof typeof BUILT_IN_ATTRIBUTES;

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** An attribute as the filter names it; `builtIn` is set for the built-in ones. */
export interface AttributeRef {
  name: string;
  builtIn?: BuiltInAttribute;
  offset: number;
}

/**
 * A value of the filter. For a built-in attribute it is already in the store's terms: a
 * datetime is its milliseconds (`number`), a status its wire name (`RUNNING`).
 */
export type Literal =
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'number'; value: number; offset: number }
  | { kind: 'bool'; value: boolean; offset: number };

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'compare'; attribute: AttributeRef; comparator: Comparator; value: Literal }
  | { kind: 'in'; attribute: AttributeRef; negated: boolean; values: Literal[] }
  | { kind: 'between'; attribute: AttributeRef; negated: boolean; low: Literal; high: Literal }
  | { kind: 'startsWith'; attribute: AttributeRef; negated: boolean; prefix: string }
  | { kind: 'isNull'; attribute: AttributeRef; negated: boolean };

export interface OrderBy {
  attribute: AttributeRef;
  direction: 'ASC' | 'DESC';
}

/** A parsed and checked filter. */
export interface ListFilter {
  where?: Condition;
  orderBy: OrderBy[];
  /** Set by `GROUP BY ExecutionStatus` (count only). */
  groupBy?: 'ExecutionStatus';
  /** Offsets of the clauses, so that a caller can refuse one where it does not belong. */
  orderByOffset?: number;
  groupByOffset?: number;
}

/**
 * A filter that cannot be used: `offset` (0-based, in UTF-16 code units) is where the
 * problem is, and the message ends with the filter's excerpt and a caret under it.
 */
export class ListFilterError extends Error {
  override readonly name = 'ListFilterError';
  constructor(
    readonly query: string,
    readonly offset: number,
    /** What is wrong, without the position. */
    readonly reason: string,
  ) {
    super(`Invalid list filter at offset ${offset}: ${reason}\n${caretExcerpt(query, offset)}`);
  }
}

/** Two lines: the filter (a window of it around `offset` when long) and a caret under `offset`. */
export function caretExcerpt(query: string, offset: number, width = 72): string {
  const flat = query.replace(/[\r\n\t]/g, ' ');
  let start = 0;
  let end = flat.length;
  if (flat.length > width) {
    start = Math.max(0, Math.min(offset - Math.floor(width / 2), flat.length - width));
    end = Math.min(flat.length, start + width);
  }
  const prefix = start > 0 ? '…' : '';
  const suffix = end < flat.length ? '…' : '';
  return `  ${prefix}${flat.slice(start, end)}${suffix}\n  ${' '.repeat(prefix.length + offset - start)}^`;
}

// ---- Lexer ---------------------------------------------------------------------------

const KEYWORDS = ['AND', 'OR', 'NOT', 'IN', 'BETWEEN', 'IS', 'NULL', 'ORDER', 'GROUP', 'BY', 'ASC', 'DESC', 'STARTS_WITH', 'TRUE', 'FALSE', 'LIKE'] as const;
type Keyword = (typeof KEYWORDS)[number];

type Token =
  | { kind: 'ident'; text: string; offset: number }
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'number'; value: number; text: string; offset: number }
  | { kind: 'keyword'; word: Keyword; offset: number }
  | { kind: 'op'; op: Comparator; text: string; offset: number }
  | { kind: 'punct'; ch: '(' | ')' | ','; offset: number }
  | { kind: 'eof'; offset: number };

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'ident':
      return `'${t.text}'`;
    case 'string':
      return `the string '${t.value.length > 40 ? `${t.value.slice(0, 40)}…` : t.value}'`;
    case 'number':
      return `the number ${t.text}`;
    case 'keyword':
      return t.word;
    case 'op':
      return `'${t.text}'`;
    case 'punct':
      return `'${t.ch}'`;
    case 'eof':
      return 'the end of the filter';
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', Z: '\x1a' };

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  const fail = (offset: number, reason: string): never => {
    throw new ListFilterError(query, offset, reason);
  };
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      // A quote inside is doubled ('it''s') or backslash-escaped ('it\'s'), as in SQL and Temporal.
      let value = '';
      i++;
      for (;;) {
        if (i >= query.length) fail(start, `expected a closing ${c} for the string that starts here, found the end of the filter`);
        const ch = query[i]!;
        if (ch === '\\' && i + 1 < query.length) {
          const next = query[i + 1]!;
          value += ESCAPES[next] ?? next;
          i += 2;
        } else if (ch === c) {
          if (query[i + 1] === c) {
            value += c;
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          value += ch;
          i++;
        }
      }
      tokens.push({ kind: 'string', value, offset: start });
      continue;
    }
    if (c === '`') {
      let text = '';
      i++;
      for (;;) {
        if (i >= query.length) fail(start, 'expected a closing ` for the attribute name that starts here, found the end of the filter');
        const ch = query[i]!;
        if (ch === '`') {
          if (query[i + 1] === '`') {
            text += '`';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += ch;
        i++;
      }
      if (text === '') fail(start, 'expected an attribute name between the backquotes, found ``');
      tokens.push({ kind: 'ident', text, offset: start });
      continue;
    }
    const num = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(query.slice(i));
    if (num && (c !== '-' || /[\d.]/.test(query[i + 1] ?? ''))) {
      const text = num[0];
      if (/[A-Za-z_]/.test(query[i + text.length] ?? '')) fail(start, `expected a number, an attribute name or a keyword, found '${query.slice(i).match(/^[\w.-]+/)![0]}' (backquote attribute names that start with a digit)`);
      tokens.push({ kind: 'number', value: Number(text), text, offset: start });
      i += text.length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i));
    if (word) {
      const upper = word[0].toUpperCase();
      if ((KEYWORDS as readonly string[]).includes(upper)) tokens.push({ kind: 'keyword', word: upper as Keyword, offset: start });
      else tokens.push({ kind: 'ident', text: word[0], offset: start });
      i += word[0].length;
      continue;
    }
    const two = query.slice(i, i + 2);
    if (two === '==') fail(start, "expected '=' (one equals sign), found '=='");
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      tokens.push({ kind: 'op', op: two === '<>' ? '!=' : (two as Comparator), text: two, offset: start });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      tokens.push({ kind: 'op', op: c, text: c, offset: start });
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', ch: c, offset: start });
      i++;
      continue;
    }
    fail(start, `expected an attribute name, a value, an operator or a parenthesis, found '${c}'`);
  }
  tokens.push({ kind: 'eof', offset: query.length });
  return tokens;
}

// ---- Parser ----------------------------------------------------------------------------

const OPERATORS = "=, !=, <, <=, >, >=, IN, NOT IN, BETWEEN, NOT BETWEEN, STARTS_WITH, IS NULL or IS NOT NULL";
const VALUE = "a value ('text', a number, TRUE or FALSE)";

/**
 * Parses and checks a list filter. An empty or blank filter matches every execution.
 * @throws {ListFilterError} with the offending position and what was expected there.
 */
export function parseListFilter(query: string): ListFilter {
  if (query.length > MAX_FILTER_LENGTH) throw new ListFilterError(query, MAX_FILTER_LENGTH, `the filter is ${query.length} characters; at most ${MAX_FILTER_LENGTH}`);
  return new Parser(query, tokenize(query)).query();
}

class Parser {
  private pos = 0;
  private depth = 0;
  private conditions = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  query(): ListFilter {
    const filter: ListFilter = { orderBy: [] };
    const t = this.peek();
    if (!this.isKeyword(t, 'ORDER') && !this.isKeyword(t, 'GROUP') && t.kind !== 'eof') filter.where = this.or();
    if (this.isKeyword(this.peek(), 'GROUP')) {
      filter.groupByOffset = this.next().offset;
      this.expectKeyword('BY', 'BY after GROUP', ` (backquote an attribute named like a keyword: \`${this.source.slice(filter.groupByOffset, filter.groupByOffset + 5)}\`)`);
      const attr = this.attribute('an attribute to group by (ExecutionStatus)');
      if (attr.name !== 'ExecutionStatus') throw this.error(attr.offset, `GROUP BY takes only ExecutionStatus, found '${attr.name}'`);
      filter.groupBy = 'ExecutionStatus';
    }
    if (this.isKeyword(this.peek(), 'ORDER')) {
      filter.orderByOffset = this.next().offset;
      this.expectKeyword('BY', 'BY after ORDER', ` (backquote an attribute named like a keyword: \`${this.source.slice(filter.orderByOffset, filter.orderByOffset + 5)}\`)`);
      do {
        const attribute = this.attribute('an attribute to order by');
        const dir = this.peek();
        let direction: 'ASC' | 'DESC' = 'ASC';
        if (this.isKeyword(dir, 'ASC') || this.isKeyword(dir, 'DESC')) {
          direction = (this.next() as { word: 'ASC' | 'DESC' }).word;
        }
        if (filter.orderBy.some((o) => o.attribute.name === attribute.name)) throw this.error(attribute.offset, `'${attribute.name}' is already in ORDER BY`);
        filter.orderBy.push({ attribute, direction });
      } while (this.acceptPunct(','));
    }
    const end = this.peek();
    if (end.kind !== 'eof') {
      const expected = filter.orderBy.length > 0 ? "',' or the end of the filter" : filter.groupBy ? 'ORDER BY or the end of the filter' : filter.where ? 'AND, OR, GROUP BY, ORDER BY or the end of the filter' : 'a condition, ORDER BY or the end of the filter';
      throw this.unexpected(end, expected);
    }
    return filter;
  }

  private or(): Condition {
    let left = this.and();
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Condition {
    let left = this.primary();
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      left = { kind: 'and', left, right: this.primary() };
    }
    return left;
  }

  private primary(): Condition {
    const t = this.peek();
    if (t.kind === 'punct' && t.ch === '(') {
      this.next();
      if (++this.depth > MAX_FILTER_DEPTH) throw this.error(t.offset, `parentheses nest more than ${MAX_FILTER_DEPTH} deep`);
      const inner = this.or();
      this.depth--;
      const close = this.peek();
      if (!(close.kind === 'punct' && close.ch === ')')) throw this.unexpected(close, `AND, OR or ')' to close the '(' at offset ${t.offset}`);
      this.next();
      return inner;
    }
    return this.predicate();
  }

  private predicate(): Condition {
    const start = this.peek();
    if (++this.conditions > MAX_FILTER_CONDITIONS) throw this.error(start.offset, `the filter has more than ${MAX_FILTER_CONDITIONS} conditions`);
    const attribute = this.attribute("an attribute name (e.g. WorkflowType) or '('");
    const t = this.next();
    if (t.kind === 'op') return this.compare(attribute, t.op, this.value(`after '${t.text}'`));
    let negated = false;
    let op: Token = t;
    if (this.isKeyword(t, 'NOT')) {
      negated = true;
      op = this.next();
      if (!this.isKeyword(op, 'IN') && !this.isKeyword(op, 'BETWEEN') && !this.isKeyword(op, 'STARTS_WITH')) throw this.unexpected(op, 'IN, BETWEEN or STARTS_WITH after NOT');
    }
    if (this.isKeyword(op, 'IN')) {
      const open = this.next();
      if (!(open.kind === 'punct' && open.ch === '(')) throw this.unexpected(open, "'(' to start the list of values after IN");
      const values: Literal[] = [];
      do values.push(this.value('in the IN list'));
      while (this.acceptPunct(','));
      const close = this.next();
      if (!(close.kind === 'punct' && close.ch === ')')) throw this.unexpected(close, `',' or ')' to close the IN list that starts at offset ${open.offset}`);
      return this.inList(attribute, negated, values);
    }
    if (this.isKeyword(op, 'BETWEEN')) {
      const low = this.value('after BETWEEN');
      this.expectKeyword('AND', 'AND between the two values of BETWEEN');
      const high = this.value('after BETWEEN … AND');
      return this.between(attribute, negated, low, high);
    }
    if (this.isKeyword(op, 'STARTS_WITH')) {
      const prefix = this.value('after STARTS_WITH');
      return this.startsWith(attribute, negated, prefix);
    }
    if (this.isKeyword(op, 'IS')) {
      let isNot = false;
      if (this.isKeyword(this.peek(), 'NOT')) {
        this.next();
        isNot = true;
      }
      const n = this.next();
      if (!this.isKeyword(n, 'NULL')) throw this.unexpected(n, isNot ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS');
      return { kind: 'isNull', attribute, negated: isNot };
    }
    if (this.isKeyword(op, 'LIKE')) throw this.error(op.offset, "LIKE is not supported; use STARTS_WITH 'prefix' (or = on a Text attribute to match a word)");
    throw this.unexpected(op, `an operator (${OPERATORS}) after '${attribute.name}'`);
  }

  // ---- Checks of a predicate's values against its attribute ----

  private compare(attribute: AttributeRef, comparator: Comparator, value: Literal): Condition {
    const type = attribute.builtIn ? BUILT_IN_ATTRIBUTES[attribute.builtIn] : undefined;
    if (type === 'Status' && comparator !== '=' && comparator !== '!=') {
      throw this.error(attribute.offset, `ExecutionStatus takes =, !=, IN and NOT IN, not '${comparator}'`);
    }
    if (value.kind === 'bool' && comparator !== '=' && comparator !== '!=') {
      throw this.error(value.offset, `TRUE and FALSE compare only with = and !=, not '${comparator}'`);
    }
    return { kind: 'compare', attribute, comparator, value: this.builtInValue(attribute, value) };
  }

  private inList(attribute: AttributeRef, negated: boolean, values: Literal[]): Condition {
    return { kind: 'in', attribute, negated, values: values.map((v) => this.builtInValue(attribute, v)) };
  }

  private between(attribute: AttributeRef, negated: boolean, low: Literal, high: Literal): Condition {
    if (attribute.builtIn === 'ExecutionStatus') throw this.error(attribute.offset, 'ExecutionStatus takes =, !=, IN and NOT IN, not BETWEEN');
    for (const v of [low, high]) if (v.kind === 'bool') throw this.error(v.offset, 'TRUE and FALSE compare only with = and !=, not BETWEEN');
    if (!attribute.builtIn && low.kind !== high.kind) throw this.error(high.offset, `expected a ${low.kind} like the first value of BETWEEN, found a ${high.kind}`);
    return { kind: 'between', attribute, negated, low: this.builtInValue(attribute, low), high: this.builtInValue(attribute, high) };
  }

  private startsWith(attribute: AttributeRef, negated: boolean, prefix: Literal): Condition {
    const type = attribute.builtIn ? BUILT_IN_ATTRIBUTES[attribute.builtIn] : 'Keyword';
    if (type !== 'Keyword') throw this.error(attribute.offset, `STARTS_WITH applies to Keyword attributes (WorkflowId, WorkflowType, RunId, TaskQueue or a custom one); ${attribute.name} is ${type === 'Status' ? 'an ExecutionStatus' : `a ${type}`}`);
    if (prefix.kind !== 'string') throw this.error(prefix.offset, `expected a 'string' prefix after STARTS_WITH, found a ${prefix.kind}`);
    return { kind: 'startsWith', attribute, negated, prefix: prefix.value };
  }

  /** A built-in attribute's value in the store's terms; custom attributes' values as written. */
  private builtInValue(attribute: AttributeRef, value: Literal): Literal {
    if (!attribute.builtIn) return value;
    const type = BUILT_IN_ATTRIBUTES[attribute.builtIn];
    const name = attribute.builtIn;
    switch (type) {
      case 'Keyword':
        if (value.kind !== 'string') throw this.error(value.offset, `${name} is a Keyword; expected a 'string' value, found a ${value.kind}`);
        return value;
      case 'Int':
        if (value.kind !== 'number' || !Number.isInteger(value.value)) throw this.error(value.offset, `${name} is an Int; expected an integer, found ${value.kind === 'number' ? value.value : `a ${value.kind}`}`);
        return value;
      case 'Datetime': {
        const ms = value.kind === 'string' ? parseDatetime(value.value) : undefined;
        if (ms === undefined) {
          throw this.error(value.offset, `${name} is a Datetime; expected a datetime string such as '2024-05-01T12:00:00Z' or '2024-05-01', found ${value.kind === 'string' ? `'${value.value}'` : `a ${value.kind}`}`);
        }
        return { kind: 'number', value: ms, offset: value.offset };
      }
      case 'Status': {
        const status = value.kind === 'string' ? statusOf(value.value) : undefined;
        if (!status) {
          throw this.error(value.offset, `ExecutionStatus has no value ${value.kind === 'string' ? `'${value.value}'` : `${value.kind} ${String(value.value)}`}; expected one of ${Object.values(STATUS_FILTER_NAMES).map((s) => `'${s}'`).join(', ')}`);
        }
        return { kind: 'string', value: status, offset: value.offset };
      }
    }
  }

  // ---- Token helpers ----

  private attribute(expected: string): AttributeRef {
    const t = this.next();
    if (t.kind !== 'ident') {
      const hint = t.kind === 'keyword' && !['AND', 'OR', 'NOT'].includes(t.word) ? ` (backquote an attribute named like a keyword: \`${this.source.slice(t.offset, t.offset + t.word.length)}\`)` : '';
      throw this.unexpected(t, expected, hint);
    }
    if (t.text in BUILT_IN_ATTRIBUTES) return { name: t.text, builtIn: t.text as BuiltInAttribute, offset: t.offset };
    const lookalike = Object.keys(BUILT_IN_ATTRIBUTES).find((b) => b.toLowerCase() === t.text.toLowerCase());
    if (lookalike) throw this.error(t.offset, `attribute names are case-sensitive: did you mean ${lookalike}? (found '${t.text}')`);
    return { name: t.text, offset: t.offset };
  }

  private value(where: string): Literal {
    const t = this.next();
    if (t.kind === 'string') return { kind: 'string', value: t.value, offset: t.offset };
    if (t.kind === 'number') return { kind: 'number', value: t.value, offset: t.offset };
    if (this.isKeyword(t, 'TRUE') || this.isKeyword(t, 'FALSE')) return { kind: 'bool', value: t.word === 'TRUE', offset: t.offset };
    const word = t.kind === 'ident' ? t.text : t.kind === 'keyword' ? this.source.slice(t.offset, t.offset + t.word.length) : undefined;
    const hint = word !== undefined ? ` (quote text values: '${word}')` : '';
    throw this.unexpected(t, `${VALUE} ${where}`, hint);
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isKeyword<W extends Keyword>(t: Token, word: W): t is Extract<Token, { kind: 'keyword' }> & { word: W } {
    return t.kind === 'keyword' && t.word === word;
  }

  private acceptPunct(ch: ',' | ')'): boolean {
    const t = this.peek();
    if (t.kind === 'punct' && t.ch === ch) {
      this.next();
      return true;
    }
    return false;
  }

  private expectKeyword(word: Keyword, expected: string, hint = ''): void {
    const t = this.next();
    if (!this.isKeyword(t, word)) throw this.unexpected(t, expected, hint);
  }

  /** "expected …, found …", then a hint on what to change. */
  private unexpected(t: Token, expected: string, hint = ''): ListFilterError {
    return this.error(t.offset, `expected ${expected}, found ${describeToken(t)}${hint}`);
  }

  private error(offset: number, reason: string): ListFilterError {
    return new ListFilterError(this.source, offset, reason);
  }
}

/** A status as a filter may spell it ('Running', 'RUNNING', 'running', 'Cancelled', 'TIMED_OUT'…). */
function statusOf(text: string): WorkflowExecutionStatus | undefined {
  const key = text.replace(/[_\s-]/g, '').toLowerCase();
  if (key === 'cancelled') return 'CANCELED';
  for (const [status, name] of Object.entries(STATUS_FILTER_NAMES)) if (name.toLowerCase() === key) return status as WorkflowExecutionStatus;
  return undefined;
}

/**
 * The workflow ids a filter limits a list to — `WorkflowId = '…'` or `WorkflowId IN (…)` ANDed with
 * the rest, or such limits ORed together — or undefined when it matches runs of any id. With
 * workflow shards a list or count then asks only the shards those ids hash to (a handle's runs, the
 * UI's search by id) instead of every shard of the namespace.
 */
export function workflowIdsOf(filter: ListFilter): string[] | undefined {
  const ids = filter.where ? idsOf(filter.where) : undefined;
  return ids && [...ids];
}

function idsOf(c: Condition): Set<string> | undefined {
  const strings = (values: Literal[]) => (values.every((v) => v.kind === 'string') ? new Set(values.map((v) => v.value as string)) : undefined);
  switch (c.kind) {
    case 'and': {
      const [left, right] = [idsOf(c.left), idsOf(c.right)];
      if (!left || !right) return left ?? right;
      return new Set([...left].filter((id) => right.has(id)));
    }
    case 'or': {
      const [left, right] = [idsOf(c.left), idsOf(c.right)];
      return left && right ? new Set([...left, ...right]) : undefined;
    }
    case 'compare':
      return c.attribute.builtIn === 'WorkflowId' && c.comparator === '=' ? strings([c.value]) : undefined;
    case 'in':
      return c.attribute.builtIn === 'WorkflowId' && !c.negated ? strings(c.values) : undefined;
    default:
      return undefined;
  }
}
