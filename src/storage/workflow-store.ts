/**
 * WorkflowStore: a workflow object's rows in its SQLite database — history events, runs and
 * their pending items, the task outbox, request-id records and the object's own keys. The
 * engine reads through it (it is the engine's ExecutionStore) and the object writes one engine
 * change with `write`, inside the transaction that also sets the alarm. A change's events go in its
 * run's row (the run's history tail) until they outgrow it, then in a history row (history-rows.ts).
 *
 * What is on disk is also kept in memory, as the JSON text of each row, so that a change reads
 * no row it has read before and writes only the rows whose text changed. A transaction that
 * throws rolls storage back; the object then calls `forget` so memory follows.
 */
import type { HistoryEvent } from '../../protocol/index.js';
import type { RunState } from '../engine/run-state.js';
import type { ExecutionStore, Txn } from '../engine/transaction.js';
import type { TaskRef } from '../task-token.js';
import { TAIL_CHARS, appendHistory, deleteHistory, historyKey, selectHistory, type HistoryEntry, type HistoryRow, type HistoryTail } from './history-rows.js';
import { NO_UNITS, addUnits, type ExecutionUnits } from '../../protocol/prices.js';
import type { UsageMeter } from '../cost/usage-meter.js';
import { REQUESTS_KEY, RUN_PREFIX, itemPrefix, joinRun, runKey, splitExtras, splitRun, withExtras, type RunRows } from './run-rows.js';
import { decodeRow, encodeRow, isEncoded, type StoredValue } from './row-codec.js';
import { isRunning } from '../engine/run-state.js';
import { REQUEST_ID_TTL_MS, decodeRequests, encodeRequests, keepRequests, withRequestAppended, type RunRequest } from './run-requests.js';
import { ReopeningSql } from './reopening-sql.js';
import type { SchemaStorage } from './schema.js';
import { CURRENT, StateTable, TableMirror, pad, prefixEnd, rowBytes, type PendingRow } from './state-table.js';
import { fingerprintHash } from './fingerprint.js';
import { STATE_ONLY, type TableBinding } from './day-tables.js';
import type { RunListings } from '../visibility/list-entry.js';
import type { SqlValue } from '../visibility/filter-sql.js';

/** A provisional workflow's rows as `writeHeldRows` wrote them. */
type HeldRows = Map<string, PendingRow>;

/** A request id's record: what the request was, and the answer a retry of it gets. */
export interface RequestRecord {
  requestId: string;
  fingerprint: string;
  response: string;
}

/** A task waiting in the outbox to be handed to its task queue. */
export interface OutboxRow {
  id: number;
  task_queue: string;
  kind: 'workflow' | 'activity';
  ref: string;
  attempts: number;
}

const META = 'm/';
/** The object's name as `m/current` keeps it: what `parseWorkflowName` reads. */
const workflowName = (run: Pick<RunState, 'namespace' | 'workflowId'>) => JSON.stringify([run.namespace, run.workflowId]);
interface CurrentRow {
  runId?: string | undefined;
  name?: string | undefined;
}
const OUTBOX = 'o/';
const REQUESTS = 'q/';
/**
 * How much of its newest history rows (their text) a workflow keeps in memory, of the runs the last
 * change wrote to: a task's history, an eager activity's input and a result are the events the
 * changes just before wrote, so they are read with no statement. A run's newest events are in its
 * row's tail (`CachedRun.tail`, in memory with the run: a W1's whole history, about 2 KB), so these
 * rows are the ones before it; a shard keeps up to a thousand workflows in memory.
 */
const RECENT_HISTORY_CHARS = 8 * 1024;
/**
 * Of those rows, the newest that many characters' worth also keep their events as the change made
 * them (`HistoryRow.events`): a task's history built right after the changes that wrote it (a new
 * run's first task, a sticky task's new events, a close event) then parses no text. The objects
 * take a few times the memory of their text, so this is the smaller bound.
 */
const RECENT_EVENT_CHARS = 4 * 1024;

/**
 * A run as the change that wrote it left it, with that change's events of it: what the answer to
 * that change reads (the eager activity tasks it started, their input) without parsing back the
 * rows it just wrote. Good while `rows` is still what the store holds of the run (any later write,
 * a deletion or `forget` replaces it).
 */
interface WrittenRun {
  run: RunState;
  rows: CachedRun;
  events: ReadonlyMap<number, HistoryEvent>;
}

/** What is stored of a run, as text, with its sequence number (the key of its events). */
interface CachedRun extends RunRows {
  seq: number;
  /** The billable units stored in the run's row (run-rows.ts `withExtras`). */
  usage?: ExecutionUnits;
  /** The request-id records stored in the run's row (run-requests.ts). */
  requests?: RunRequest[];
  /** Their text in the row (`encodeRequests`), when this store wrote it: the next write appends to it. */
  requestsText?: string;
  /** The run's newest events, kept in its row (history-rows.ts `appendHistory`). */
  tail?: HistoryTail;
  /**
   * The run is closed: its row is stored deflated (row-codec.ts). Undefined: not known (a row read back
   * as text, written while the run ran or before the codec), found out when the row is written again.
   */
  closed?: boolean | undefined;
  /**
   * While the store counts its bytes (`storedBytes`): the run's row as written (text or deflated), until
   * the next count measures it (`bytes`, what `StateTable.bytes` counts of the row). A change with no
   * summary to carry them measures nothing.
   */
  stored?: StoredValue | undefined;
  bytes?: number | undefined;
}

export class WorkflowStore implements ExecutionStore, RunListings {
  /** The object's SQL handle (the visibility and call outboxes share it); see ReopeningSql. */
  readonly sql: SqlStorage;
  private readonly schema: ReopeningSql;
  /** The rows of the mirrored prefixes, shared by the store's tables and its outboxes' (`table`). */
  private readonly mirror = new TableMirror();
  readonly state: StateTable;
  private readonly runs = new Map<string, CachedRun | null>();
  /** The run rows a change's `write` made, put at its end with their list entries (`putRunRows`). */
  private readonly unwrittenRuns: Array<{ runId: string; row: StoredValue; seq: number }> = [];
  /** The list entries the change made (`listRun`), written with their runs' rows. */
  private readonly listings = new Map<string, SqlValue[]>();
  private lastRunSeq: number | undefined;
  private lastOutboxId: number | undefined;
  /**
   * Outbox rows whose task its queue put in its backlog: no longer due, deleted by the next change
   * this workflow writes (usually the task's start) instead of in a commit of their own.
   */
  private readonly queuedOutbox = new Set<number>();
  /** The current run's id (undefined: not read yet; null: none). */
  private current: string | null | undefined;
  /** When the oldest request record of its own row (`q/`) was made (undefined: not read yet; null: none kept). */
  private oldestRequest: number | null | undefined;
  /**
   * Which run's row holds the record of each request id kept in run rows (undefined: not read
   * yet). As storage holds it: `forget` drops it with the rest, and the next lookup reads it again.
   */
  private requestRuns: Map<string, string> | undefined;
  /** Every row of this workflow is in memory (it had none when its store was made): a run not in `runs` does not exist. */
  private complete = false;
  /** The workflow had no row in its shard when this store was made (a start, usually): nothing of it was stored. */
  readonly foundEmpty: boolean = false;
  /** By run sequence number: the history rows this store wrote, oldest first (see RECENT_HISTORY_CHARS). */
  private readonly recentHistory = new Map<number, HistoryRow[]>();
  /** The runs the last change wrote, as it left them (see WrittenRun). */
  private lastWritten = new Map<string, WrittenRun>();
  /**
   * By run sequence number: what `StateTable.bytes` counts of the run's history rows, while memory
   * holds every row of the workflow (see `storedBytes`); undefined when it may not.
   */
  private historyBytes: Map<number, number> | undefined;

  /**
   * @param meter counts the object's billable units; what it counted is folded into the row of
   *   the next run whose row a change writes (no row is written for counting alone).
   */
  constructor(
    storage: SchemaStorage,
    private readonly meter?: UsageMeter,
    /** The workflow's key scope in a shard's database (src/workflow-object.ts); '' in an object of its own. */
    readonly scope = '',
    /** Which table holds its rows (in a shard, maybe its day table: day-tables.ts). */
    private readonly binding: TableBinding = STATE_ONLY,
  ) {
    this.schema = new ReopeningSql(storage);
    this.sql = this.schema.sql;
    // Request records of their own (`q/`) stay in SQLite: they grow with every request for a day,
    // and a rolled-back change (every refused stale completion) would reload them all.
    this.state = this.table([META, OUTBOX]);
    // A workflow new to its shard (every start) has no row yet: one statement says so, and the
    // reads that would each have found nothing (its runs, outbox, request ids, summaries) cost none.
    if (scope !== '' && (binding.takeFoundEmpty() || this.state.scopeIsEmpty())) {
      this.knownEmpty();
      this.foundEmpty = true;
    }
  }

  /** The workflow has no row: what memory would have read from storage is known to be nothing. */
  private knownEmpty(): void {
    this.state.knownEmpty();
    this.complete = true;
    this.current = null;
    this.lastRunSeq = 0;
    this.lastOutboxId = 0;
    this.oldestRequest = null;
    this.requestRuns = new Map();
    this.historyBytes = new Map();
  }

  /** A view of this workflow's rows, with `mirrored` prefixes kept in memory (the outboxes own theirs). */
  table(mirrored: readonly string[]): StateTable {
    return new StateTable(this.sql, mirrored, this.scope, this.mirror, this.binding);
  }

  // ---- A provisional workflow (src/workflow-object/provisional.ts) -----------------------

  /** Whether the workflow's rows are held in memory, not written (`holdRows`). */
  get provisional(): boolean {
    return this.state.holdsPending;
  }

  /**
   * From now on the workflow's rows are held in memory (StateTable `holdPending`) until `writeHeldRows`:
   * only for a workflow new to its shard's day table, before its first change (every row it has is then
   * one it writes, so memory answers every read). False, and nothing changes, for any other.
   */
  holdRows(): boolean {
    if (!this.foundEmpty || !this.complete || this.runs.size > 0 || !this.binding.listsInRunRows) return false;
    // Its rows are counted when held, and folded into the run's row as written rows are (UsageMeter `held`).
    this.state.holdPending(this.meter && ((rows) => this.meter!.held(rows)));
    return true;
  }

  /**
   * Writes the rows held (inside the change's transaction); from now on the workflow's rows are written
   * as they change. Returns what it wrote, for `rolledBack`.
   */
  writeHeldRows(): HeldRows | undefined {
    return this.meter ? this.meter.uncounted(() => this.state.writePending()) : this.state.writePending();
  }

  /**
   * The change's transaction rolled back: memory follows (`forget`). But a provisional workflow's memory
   * is its only copy: when the change failed before `write` (nothing of it was changed) it is kept, held
   * again if the change had written it (`held`); else it is dropped with the change, as a crash would have
   * (nothing of it had been acknowledged).
   */
  rolledBack(wrote: boolean, held: HeldRows | undefined): void {
    if (!wrote && held) this.state.holdAgain(held);
    if (this.provisional && !wrote) return;
    this.forget();
  }

  /** Drops what memory holds of storage: after a transaction that rolled back. */
  forget(): void {
    // With the rows the outboxes mirror (they share this SQL handle), and a provisional workflow's held rows.
    this.state.dropPending();
    this.state.forget();
    this.unwrittenRuns.length = 0;
    this.listings.clear();
    this.runs.clear();
    this.lastRunSeq = undefined;
    this.lastOutboxId = undefined;
    // Their rows are due again (delivered once more, refused as stale): safe, and ids are not reused meanwhile.
    this.queuedOutbox.clear();
    this.oldestRequest = undefined;
    this.requestRuns = undefined;
    this.current = undefined;
    this.complete = false;
    this.recentHistory.clear();
    this.lastWritten.clear();
    this.historyBytes = undefined;
  }

  // ---- ExecutionStore ----------------------------------------------------------------

  currentRunId(): string | undefined {
    // Only `write` changes it, and keeps this in step; `forget` drops it with the rest.
    if (this.current === undefined) this.current = this.meta('currentRunId') ?? null;
    return this.current ?? undefined;
  }

  encodeRun(run: RunState): RunRows & { bytes: number } {
    return splitRun(run);
  }

  loadRun(runId: string): RunState | undefined {
    const rows = this.rowsOf(runId);
    return rows ? joinRun(rows.core, [...rows.items].map(([k, v]) => ({ k, v, n: null }))) : undefined;
  }

  /**
   * The run to read, never to change: as the last change left it when that change wrote it and
   * nothing has since (no parse), else as `loadRun` makes it. The engine changes only what
   * `loadRun` gives (a `Txn` of its own), so the object shared here stays as it was written.
   */
  viewRun(runId: string): RunState | undefined {
    return this.lastWrittenRun(runId)?.run ?? this.loadRun(runId);
  }

  /** What a read that changes nothing resolves runs through (`resolveRun`): the current run, and each run as `viewRun` gives it. */
  readonly reader: Pick<Txn, 'currentRunId' | 'loadRun'> = { currentRunId: () => this.currentRunId(), loadRun: (runId) => this.viewRun(runId) };

  /** One event of a run: from the last change when it wrote it (no read, no parse), else read. */
  readEvent(runId: string, eventId: number): HistoryEvent | undefined {
    return this.lastWrittenRun(runId)?.events.get(eventId) ?? this.readEvents(runId, eventId, eventId)[0];
  }

  private lastWrittenRun(runId: string): WrittenRun | undefined {
    const written = this.lastWritten.get(runId);
    return written && this.schema.isOpen && this.runs.get(runId) === written.rows ? written : undefined;
  }

  /** Events `from`..`to`; with `maxBytes`, only as many as fit in it (always at least the first). */
  readEvents(runId: string, from: number, to = Number.MAX_SAFE_INTEGER, limit = -1, maxBytes?: number): HistoryEvent[] {
    const rows = this.rowsOf(runId);
    if (rows === undefined) return [];
    return selectHistory(this.state, rows.seq, from, to, limit, maxBytes, this.recentHistory.get(rows.seq), false, rows.tail);
  }

  /**
   * `readEvents`, to read, never to change: the events of recent rows that kept them (RECENT_EVENT_CHARS)
   * are given as the changes that wrote them made them, with no text parsed.
   */
  viewEvents(runId: string, from: number, to = Number.MAX_SAFE_INTEGER, limit = -1, maxBytes?: number): HistoryEvent[] {
    const rows = this.rowsOf(runId);
    if (rows === undefined) return [];
    return selectHistory(this.state, rows.seq, from, to, limit, maxBytes, this.recentHistory.get(rows.seq), true, rows.tail);
  }

  /** Keeps a run's rows just written as its newest in memory, dropping the oldest past RECENT_HISTORY_CHARS. */
  private rememberHistory(seq: number, written: HistoryRow[]): void {
    const rows = [...(this.recentHistory.get(seq) ?? []), ...written];
    let chars = rows.reduce((n, r) => n + r.v.length, 0);
    while (rows.length > 0 && chars > RECENT_HISTORY_CHARS) chars -= rows.shift()!.v.length;
    // Newest first: the rows past RECENT_EVENT_CHARS keep their text alone.
    let eventChars = 0;
    for (let i = rows.length - 1; i >= 0; i--) {
      const row = rows[i]!;
      eventChars += row.v.length;
      if (eventChars <= RECENT_EVENT_CHARS) continue;
      if (row.events === undefined) break;
      rows[i] = { first: row.first, last: row.last, v: row.v };
    }
    this.recentHistory.set(seq, rows);
  }

  private rowsOf(runId: string): CachedRun | undefined {
    // An emptied database has no tables until the next write: nothing is there to read.
    if (!this.schema.isOpen) return undefined;
    let cached = this.runs.get(runId);
    if (cached === undefined && this.complete) return undefined;
    if (cached === undefined) {
      const row = this.state.getStored(runKey(runId));
      cached = row ? { ...splitExtras(decodeRow(row.v)), ...(isEncoded(row.v) ? { closed: true } : {}), seq: row.n!, items: new Map(this.state.range(itemPrefix(runId)).map((r) => [r.k, r.v])) } : null;
      this.runs.set(runId, cached);
    }
    return cached ?? undefined;
  }

  /**
   * What `StateTable.bytes` (SQL's sum over the workflow's rows: its share of a shard's file, a
   * summary's `storedBytes`) would answer now, from memory, when memory holds every row: a workflow
   * new to its shard (every start), whose rows were all written since through this store's tables
   * (its own, its outboxes'), with no rollback, deletion of the scope or request record of its own
   * row since. Else undefined: ask SQL. Counted when asked (a start's and a close's summary), not at
   * every write, but for a history row (written once, kept in memory only while recent).
   */
  storedBytes(): number | undefined {
    if (!this.historyBytes || !this.schema.isOpen) return undefined;
    let bytes = this.state.mirroredBytes();
    for (const b of this.historyBytes.values()) bytes += b;
    for (const [runId, run] of this.runs) {
      if (!run) continue;
      if (run.bytes === undefined && run.stored !== undefined) {
        run.bytes = rowBytes(this.scope, runKey(runId), run.stored);
        run.stored = undefined;
      }
      if (run.bytes === undefined) return undefined;
      bytes += run.bytes;
      for (const [k, v] of run.items) bytes += rowBytes(this.scope, k, v);
    }
    return bytes;
  }

  /** The billable units stored with a run (what its object counted up to the run's last write). */
  storedUsage(runId: string): ExecutionUnits | undefined {
    return this.rowsOf(runId)?.usage;
  }

  // ---- Deleting runs (retention, DeleteWorkflowExecution) -----------------------------

  /** The earliest close time of the runs kept (closed ones only), or undefined when none is closed. */
  earliestCloseTime(): number | undefined {
    if (!this.schema.isOpen) return undefined;
    if (this.complete) {
      let earliest: number | undefined;
      for (const run of this.runs.values()) {
        const t = run && (JSON.parse(run.core) as { closeTime?: number }).closeTime;
        if (typeof t === 'number') earliest = Math.min(earliest ?? t, t);
      }
      return earliest;
    }
    let earliest: number | undefined;
    for (const { closeTime } of this.closedRuns()) earliest = Math.min(earliest ?? closeTime, closeTime);
    return earliest;
  }

  /** The ids and close times of the closed runs kept. */
  closedRuns(): Array<{ runId: string; closeTime: number }> {
    if (!this.schema.isOpen) return [];
    return this.runValues('closeTime').map(({ runId, value }) => ({ runId, closeTime: value as number }));
  }

  /**
   * Each run's value of its row's top-level `key`, for the runs whose row has one. SQL reads it from a
   * text row (a running run's, or one closed before the row codec); a deflated row (a closed run's,
   * row-codec.ts) is inflated and read here: a workflow keeps one run, or a few, and these reads come
   * once per activation or retention sweep. (SQLite's JSON functions fail on a BLOB, taking it for
   * JSONB: only the CASE keeps them from one.)
   */
  private runValues(key: string): Array<{ runId: string; value: unknown }> {
    const runs = this.state.key(RUN_PREFIX);
    const rows = this.sql
      .exec<{ k: string; j: string | ArrayBuffer }>(
        `SELECT k, CASE WHEN typeof(v) = 'blob' THEN v ELSE v -> ?1 END AS j FROM ${this.state.table} WHERE k >= ?2 AND k < ?3 AND CASE WHEN typeof(v) = 'blob' THEN 1 ELSE (v -> ?1) IS NOT NULL END`,
        `$."${key}"`,
        runs,
        prefixEnd(runs),
      )
      .toArray();
    return rows.flatMap(({ k, j }) => {
      const value: unknown = typeof j === 'string' ? JSON.parse(j) : (JSON.parse(decodeRow(j)) as Record<string, unknown>)[key];
      return value === undefined || value === null ? [] : [{ runId: k.slice(runs.length), value }];
    });
  }

  /** Deletes a run: its history, its rows and pending items, and the current-run pointer if it is that run. Inside a transaction. */
  deleteRun(runId: string): void {
    const rows = this.rowsOf(runId);
    if (!rows) return;
    // Read first: with no `m/current` row, the run being deleted is what names the workflow.
    const current = this.currentRow();
    deleteHistory(this.state, rows.seq);
    this.recentHistory.delete(rows.seq);
    this.historyBytes?.delete(rows.seq);
    this.state.delete(runKey(runId));
    for (const k of rows.items.keys()) this.state.delete(k);
    // Its request records go with its row.
    for (const r of rows.requests ?? []) this.requestRuns?.delete(r.id);
    if (current.runId === runId) this.putCurrent({ ...current, runId: undefined });
    if (this.current === runId) this.current = null;
    this.runs.set(runId, null);
  }

  /** Whether any run is kept. */
  hasRuns(): boolean {
    if (!this.schema.isOpen) return false;
    // A run in memory is one in storage (the alarm asks after every wake, its run usually read by then).
    for (const run of this.runs.values()) if (run) return true;
    if (this.complete) return false;
    return this.state.lastKey(RUN_PREFIX) !== undefined;
  }

  /** The object's storage was emptied (`deleteAll`): memory forgets it, and the next use opens the schema again. */
  dropped(): void {
    this.forget();
    this.schema.dropped();
  }

  // ---- The object's own keys ---------------------------------------------------------

  meta(key: 'currentRunId' | 'name' | 'clockOffsetMs'): string | undefined {
    if (!this.schema.isOpen) return undefined;
    if (key === 'clockOffsetMs') return this.state.get(META + key)?.v;
    return this.currentRow()[key === 'currentRunId' ? 'runId' : 'name'];
  }

  /**
   * The current run's id and the object's name, one row (`m/current`): both are written when a run
   * starts, so a new execution writes one row for them, not two. But a workflow's first run writes
   * none (`write`): with no such row the workflow has at most one run, current, and its namespace
   * and id are the name. A second run, or the deletion of the first, writes the row, as every new
   * current run did; once written it stays (`putCurrent`).
   */
  private currentRow(): CurrentRow {
    const row = this.state.get(CURRENT);
    if (row) return JSON.parse(row.v) as CurrentRow;
    const only = this.onlyRun();
    return only ? { runId: only.runId, name: workflowName(only) } : {};
  }

  /** The workflow's run if it has exactly one, as stored (its own fields). */
  private onlyRun(): Pick<RunState, 'runId' | 'namespace' | 'workflowId'> | undefined {
    let only: string | undefined;
    if (this.complete) {
      for (const run of this.runs.values()) {
        if (!run) continue;
        if (only !== undefined) return undefined;
        only = run.core;
      }
    } else {
      const rows = this.state.rangeStored(RUN_PREFIX, { limit: 2 });
      if (rows.length === 1) only = decodeRow(rows[0]!.v);
    }
    return only === undefined ? undefined : (JSON.parse(only) as RunState);
  }

  /** Writes the current-run row; never deletes it (its absence says the only run is current). */
  private putCurrent(row: CurrentRow): void {
    this.state.put(CURRENT, JSON.stringify(row));
  }

  setMeta(key: 'clockOffsetMs', value: string): void {
    this.state.put(META + key, value);
  }

  // ---- One change --------------------------------------------------------------------

  /**
   * Writes what the change gathered: events, the rows of each run that changed, the new current
   * run (and the object's name with it), outbox rows and the request record. Call inside the
   * change's transaction. `summarize` makes the change's run summaries once memory holds what the
   * change wrote (their units and bytes), before the runs' rows are put: in a day table a run's list
   * entry (`listRun`) rides in its row's statement (state-table.ts `putRun`).
   */
  write(tx: Txn, objectName: string | undefined, request?: RequestRecord, summarize?: () => void): void {
    this.unwrittenRuns.length = 0;
    this.listings.clear();
    const record = request && { id: request.requestId, f: fingerprintHash(request.fingerprint), t: tx.now, r: request.response };
    const holder = record && this.requestHolder(tx);
    // Each run's events go with its row (its tail), or to history rows (continue-as-new adds to two
    // runs). Every run with events is among `tx.runs` (`Txn.addEvent` touches its run).
    const byRun = new Map<string, Txn['events']>();
    for (const e of tx.events) {
      const events = byRun.get(e.runId);
      if (events) events.push(e);
      else byRun.set(e.runId, [e]);
    }
    const historyRows = new Map<number, HistoryRow[]>();
    const writeRun = (runId: string, next: RunRows | undefined, closed: boolean | undefined, added: RunRequest | undefined) => {
      const { seq, rows } = this.writeRun(runId, next, closed, added, tx.now, byRun.get(runId));
      if (byRun.has(runId)) historyRows.set(seq, rows);
    };
    for (const run of tx.runs.values()) {
      writeRun(run.runId, (tx.encodedRuns.get(run.runId) as RunRows | undefined) ?? splitRun(run), !isRunning(run), run.runId === holder ? record : undefined);
    }
    // A change that changed no run (a start that found the run it wanted): the record rides in the
    // current run's row, written for it; with no run at all, in a row of its own.
    if (record && holder && !tx.runs.has(holder)) writeRun(holder, undefined, undefined, record);
    if (record && !holder) this.putRequestRow(record);
    // Only the runs this change wrote to keep theirs (a continue-as-new's old run is read no more).
    if (historyRows.size > 0) for (const seq of this.recentHistory.keys()) if (!historyRows.has(seq)) this.recentHistory.delete(seq);
    for (const [seq, rows] of historyRows) {
      if (rows.length === 0) continue;
      if (this.historyBytes) {
        let bytes = this.historyBytes.get(seq) ?? 0;
        for (const r of rows) bytes += rowBytes(this.scope, historyKey(seq, r.last), r.storedLength ?? r.v);
        this.historyBytes.set(seq, bytes);
      }
      this.rememberHistory(seq, rows);
    }
    this.lastWritten.clear();
    for (const run of tx.runs.values()) {
      const rows = this.runs.get(run.runId);
      if (rows) this.lastWritten.set(run.runId, { run, rows, events: new Map((byRun.get(run.runId) ?? []).map((e) => [e.event.eventId, e.event])) });
    }
    if (tx.newCurrentRunId) {
      // A workflow new to its shard (memory holds every row) whose first run this is: it is current, and
      // named, with no row of its own (`currentRow`).
      const run = tx.runs.get(tx.newCurrentRunId);
      const alone = this.complete && run !== undefined && objectName === workflowName(run) && this.state.get(CURRENT) === undefined && [...this.runs].every(([runId, r]) => r === null || runId === run.runId);
      if (!alone) this.putCurrent({ runId: tx.newCurrentRunId, name: this.currentRow().name ?? objectName });
      this.current = tx.newCurrentRunId;
    }
    for (const id of this.queuedOutbox) this.state.delete(OUTBOX + pad(id));
    this.queuedOutbox.clear();
    for (const d of tx.dispatches) {
      this.lastOutboxId ??= Number(this.state.lastKey(OUTBOX)?.slice(OUTBOX.length) ?? 0);
      const id = ++this.lastOutboxId;
      this.state.put(OUTBOX + pad(id), JSON.stringify({ q: d.taskQueue, kind: d.kind, ref: d.ref, attempts: 0 }), tx.now);
    }
    summarize?.();
    this.putRunRows();
  }

  /** Stages a run's list entry for the change's write of its row (RunListings: a workflow of a day table). */
  listRun(runId: string, values: SqlValue[]): void {
    this.listings.set(runId, values);
  }

  /** The change's run rows, each with its list entry if it has one; an entry of a run whose row it did not write, alone. */
  private putRunRows(): void {
    for (const { runId, row, seq } of this.unwrittenRuns) {
      this.state.putRun(runKey(runId), row, seq, this.listings.get(runId));
      this.listings.delete(runId);
    }
    for (const [runId, listing] of this.listings) this.state.listRun(runKey(runId), listing);
    this.unwrittenRuns.length = 0;
    this.listings.clear();
  }

  /**
   * The run whose row keeps a change's request record: the current run if the change wrote it,
   * else another run it wrote, else the current run (its row is then written for the record).
   */
  private requestHolder(tx: Txn): string | undefined {
    const current = tx.currentRunId();
    if (current !== undefined && tx.runs.has(current)) return current;
    const written = tx.runs.keys().next();
    if (!written.done) return written.value;
    return current !== undefined && this.rowsOf(current) ? current : undefined;
  }

  /**
   * Writes the rows of a run whose text differs from what is stored (`next` undefined: as stored),
   * with `added`, the change's request record, and `events`, the change's events of the run (to its
   * tail, or with it to history rows: `appendHistory`), and deletes the items it no longer has.
   * A closed run's row is stored deflated (row-codec.ts); `closed` undefined: as stored.
   * Returns the run's sequence number and the history rows written.
   */
  private writeRun(runId: string, next: RunRows | undefined, closed: boolean | undefined, added: RunRequest | undefined, now: number, events: readonly HistoryEntry[] = []): { seq: number; rows: HistoryRow[] } {
    let prev = this.rowsOf(runId);
    if (!prev) {
      this.lastRunSeq ??= this.state.maxN(RUN_PREFIX) ?? 0;
      prev = { core: '', seq: ++this.lastRunSeq, items: new Map() };
    }
    next ??= prev;
    closed ??= prev.closed ?? (JSON.parse(prev.core) as { closeTime?: number }).closeTime !== undefined;
    let { usage, requests, requestsText, stored, bytes } = prev;
    const { rows, tail } = appendHistory(this.state, prev.seq, prev.tail, events, TAIL_CHARS);
    if (next.core !== prev.core || added || tail !== prev.tail) {
      if (this.meter) usage = addUnits(usage ?? NO_UNITS, this.meter.take());
      const held = requests?.length ?? 0;
      requests = this.keptRequests(runId, requests, added, now);
      // The records the row held, all kept, and the new one after them (a run's usual write): the
      // text the last write made with the new record appended; else made anew.
      const appended = requestsText !== undefined && requests.length === held + (added ? 1 : 0);
      requestsText = requests.length === 0 ? undefined : appended ? (added ? withRequestAppended(requestsText!, added) : requestsText) : encodeRequests(requests);
      const text = withExtras(next.core, { usage, requests, tail }, requestsText);
      // A running run's row is rewritten by its next change: deflating it would spend CPU on bytes overwritten.
      const row = closed ? encodeRow(text) : text;
      this.unwrittenRuns.push({ runId, row, seq: prev.seq });
      stored = this.historyBytes && row;
      bytes = undefined;
    }
    for (const [k, v] of next.items) if (prev.items.get(k) !== v) this.state.put(k, v);
    for (const k of prev.items.keys()) if (!next.items.has(k)) this.state.delete(k);
    this.runs.set(runId, { core: next.core, items: next.items, seq: prev.seq, closed, stored, bytes, ...(usage ? { usage } : {}), ...(requests?.length ? { requests, requestsText } : {}), ...(tail ? { tail } : {}) });
    return { seq: prev.seq, rows };
  }

  /** The request records a run's row keeps as it is written; an older one still kept moves to a row of its own. */
  private keptRequests(runId: string, held: RunRequest[] | undefined, added: RunRequest | undefined, now: number): RunRequest[] {
    const { kept, spilled, dropped } = keepRequests(held, added, now);
    for (const r of spilled) this.putRequestRow(r);
    for (const r of dropped) this.requestRuns?.delete(r.id);
    if (added && kept.includes(added)) this.requestRuns?.set(added.id, runId);
    return kept;
  }

  /** A request record in a row of its own, deleted by the alarm once it expires. */
  private putRequestRow(r: RunRequest): void {
    this.state.put(REQUESTS + r.id, JSON.stringify({ f: r.f, r: r.r }), r.t);
    // It may replace a row of that id (whose size memory does not hold): `storedBytes` asks SQL from now on.
    this.historyBytes = undefined;
    if (this.oldestRequest !== undefined) this.oldestRequest = Math.min(this.oldestRequest ?? Infinity, r.t);
  }

  // ---- Request ids -------------------------------------------------------------------

  /** The record of an earlier request with this id, if it is still kept: in its run's row, or in a row of its own. */
  priorRequest(requestId: string, fingerprint: string): { sameRequest: boolean; response: string } | undefined {
    if (!this.schema.isOpen) return undefined;
    const runId = this.requestHolders().get(requestId);
    const record = (runId === undefined ? undefined : this.rowsOf(runId)?.requests?.find((r) => r.id === requestId)) ?? this.requestRow(requestId);
    return record && { sameRequest: record.f === fingerprintHash(fingerprint), response: record.r };
  }

  /** Which run's row holds each request id's record, read from the run rows once. */
  private requestHolders(): Map<string, string> {
    if (!this.requestRuns) {
      this.requestRuns = new Map();
      for (const { runId, value } of this.runValues(REQUESTS_KEY)) for (const r of decodeRequests(value)) this.requestRuns.set(r.id, runId);
    }
    return this.requestRuns;
  }

  /** A request record in a row of its own (a run row's older one, or one written before records rode in run rows). */
  private requestRow(requestId: string): { f: string; r: string } | undefined {
    // None is kept (read once, then followed as rows come and go): no statement.
    if (this.requestExpiry() === undefined) return undefined;
    const row = this.state.get(REQUESTS + requestId);
    return row ? (JSON.parse(row.v) as { f: string; r: string }) : undefined;
  }

  /** When the oldest request record of its own row expires, or undefined when none is kept. */
  requestExpiry(): number | undefined {
    if (!this.schema.isOpen) return undefined;
    if (this.oldestRequest === undefined) this.oldestRequest = this.state.minN(REQUESTS) ?? null;
    return this.oldestRequest === null ? undefined : this.oldestRequest + REQUEST_ID_TTL_MS;
  }

  /** Forgets the request records of their own rows that expired by `now` (those in run rows go with their run). */
  expireRequests(now: number): void {
    // Every alarm asks: with none expired (usually none is kept at all, and that is known), no statement.
    const expiry = this.requestExpiry();
    if (expiry === undefined || expiry > now) return;
    this.state.deleteOlder(REQUESTS, now - REQUEST_ID_TTL_MS);
    this.oldestRequest = undefined;
    this.historyBytes = undefined;
  }

  // ---- Task outbox -------------------------------------------------------------------

  /** Outbox rows due by `now`, oldest first (but those whose queue holds their task). */
  dueOutbox(now: number): OutboxRow[] {
    if (!this.schema.isOpen) return [];
    const rows = this.state.range(OUTBOX, { nAtMost: now });
    return (this.queuedOutbox.size > 0 ? rows.filter((r) => !this.queuedOutbox.has(Number(r.k.slice(OUTBOX.length)))) : rows).map((r) => {
      const row = JSON.parse(r.v) as { q: string; kind: 'workflow' | 'activity'; ref: TaskRef; attempts: number };
      return { id: Number(r.k.slice(OUTBOX.length)), task_queue: row.q, kind: row.kind, ref: JSON.stringify(row.ref), attempts: row.attempts };
    });
  }

  /** When the earliest outbox row is due, or undefined when the outbox is empty. */
  outboxDue(): number | undefined {
    if (!this.schema.isOpen) return undefined;
    return this.state.minN(OUTBOX);
  }

  outboxIsEmpty(): boolean {
    if (!this.schema.isOpen) return true;
    return this.state.lastKey(OUTBOX) === undefined;
  }

  /** The row's task is in its queue. */
  delivered(id: number): void {
    this.state.delete(OUTBOX + pad(id));
  }

  /**
   * The row's task is in its queue's backlog (durably: the queue answered after its commit). The row
   * is deleted by the next change this workflow writes — the task's start, when a poll takes it — so
   * that the hand-off costs no commit of its own. Memory lost before that (eviction, a restart, a
   * rolled-back change) leaves the row due: it is delivered again by the alarm it armed, and the
   * duplicate is refused as stale when polled (design invariant 2).
   */
  queued(id: number): void {
    this.queuedOutbox.add(id);
  }

  /** The row's hand-off failed: it is tried again at `due`. */
  retryAt(id: number, due: number): void {
    const row = this.state.get(OUTBOX + pad(id));
    if (!row) return;
    const value = JSON.parse(row.v) as { attempts: number };
    value.attempts++;
    this.state.put(row.k, JSON.stringify(value), due);
  }

  /** The ref of an outbox row, parsed. */
  static ref(row: OutboxRow): TaskRef {
    return JSON.parse(row.ref) as TaskRef;
  }
}
