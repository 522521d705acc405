// Owns what `keel` writes: the output formats (`--output text|json|jsonl`), aligned tables and
// key/value blocks for people, JSON for scripts, and where it goes (injected, so tests read it).

/** Where the CLI writes; `process.stdout`/`stderr` in real use, buffers in tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/**
 * Control characters other than newline and tab, shown as `\xNN`/`\u{NNNN}` instead of sent to
 * the terminal: C0 and DEL (ESC starts colour, title and cursor sequences), C1 (U+009B is a
 * one-character CSI on many terminals; JSON.stringify leaves C1 unescaped), and the bidi
 * overrides and isolates that make text read differently from how it is stored.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  });
}

/** `io` with every control character escaped on the way out. */
export function terminalSafe(io: Io): Io {
  return { out: (text) => io.out(escapeControl(text)), err: (text) => io.err(escapeControl(text)) };
}

/**
 * `text`: tables and key/value blocks for people; `json`: one JSON document per command;
 * `jsonl`: one JSON object per line (per row of `list`, per event of `show`) for streaming.
 */
export const OUTPUT_FORMATS = ['text', 'json', 'jsonl'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** One column of a table: its heading and how to get the cell of a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

/**
 * Rows as an aligned table with a heading line, columns separated by two spaces; the last
 * column is not padded, so long details do not push trailing spaces.
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => oneLineCell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** `key  value` lines, keys aligned; entries whose value is undefined are left out. */
export function formatKeyValues(entries: ReadonlyArray<readonly [string, string | undefined]>, indent = 2): string {
  const shown = entries.filter((e): e is readonly [string, string] => e[1] !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${' '.repeat(indent)}${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

/** Pretty JSON for `--output json`; Dates as ISO strings, bigints as strings. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2) + '\n';
}

/** Compact JSON, one value per line, for `--output jsonl` and for values inside tables. */
export function formatJsonLine(value: unknown): string {
  return JSON.stringify(value, jsonReplacer) ?? 'undefined';
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A time for tables: ISO-8601 to the millisecond, or empty. */
export function formatTime(time: Date | string | undefined): string {
  if (time === undefined) return '';
  const d = typeof time === 'string' ? new Date(time) : time;
  return Number.isNaN(d.getTime()) ? String(time) : d.toISOString();
}

/** Cuts a cell to `max` characters, marking the cut. */
export function truncate(text: string, max = 120): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function oneLineCell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Each non-empty line of `text` indented by `by` spaces. */
export function indent(text: string, by = 2): string {
  return text
    .split('\n')
    .map((l) => (l ? ' '.repeat(by) + l : l))
    .join('\n');
}
