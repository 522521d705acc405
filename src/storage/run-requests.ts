/**
 * Request-id records kept in a run's own row. A change made with a request id writes the row of
 * the run it changed anyway, so its record rides there (run-rows.ts `withExtras`) instead of in a
 * row of its own: it costs no billed row when written, none when it expires (no alarm, no delete),
 * and it goes with the run when retention deletes the run.
 *
 * The promise is the one a record of its own kept: for at least `REQUEST_ID_TTL_MS` after the
 * request, a retry gets the first answer and the id reused for another request is refused. A run
 * row holds the records of its last `RUN_REQUESTS_KEPT` requests of that window; an older one
 * still inside it moves to a row of its own (`q/<id>`, deleted by the alarm when it expires), so
 * a busy run's row stays small and no record is forgotten early. A run that takes fewer requests
 * than that in a day (a W1 takes four) never writes a request row. A record older than the window
 * is dropped when its run's row is next written; a closed run's row is not written again, so its
 * records (its start's, say) are kept, and answered, until the run is deleted — longer than
 * promised, which harms no one: an id is not reused on purpose.
 *
 * Why the last 16 are enough to keep in the row, and the rest may move out: nothing is forgotten
 * before 24 h either way; the bound only decides where a record lives, so it trades the bytes of
 * a run row rewritten on every change against rows of their own for busy runs.
 */

/** Request ids are remembered this long at least; a retry later than that may be treated as new. */
export const REQUEST_ID_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How many records of the last `REQUEST_ID_TTL_MS` a run's row holds. A retry comes seconds after
 * its request, so in practice only the newest few are ever asked for; more would make every write
 * of a busy run's row longer (each is ~80–200 bytes), fewer would give request rows back to short
 * workflows (a W1 takes 4: start, two workflow-task completions, one activity completion; each
 * more activity takes two).
 */
export const RUN_REQUESTS_KEPT = 16;

/** A request id's record: the id, its request's fingerprint hash, when it was made, and its answer (JSON text). */
export interface RunRequest {
  id: string;
  f: string;
  t: number;
  r: string;
}

/**
 * The records a run's row keeps when it is written at `now` with `added`: the newest
 * `RUN_REQUESTS_KEPT` of those made within `REQUEST_ID_TTL_MS`. `spilled`: older ones still within
 * it, for rows of their own; `dropped`: every record the row no longer holds (spilled or expired).
 */
export function keepRequests(held: readonly RunRequest[] | undefined, added: RunRequest | undefined, now: number): { kept: RunRequest[]; spilled: RunRequest[]; dropped: RunRequest[] } {
  const all = added ? [...(held ?? []), added] : [...(held ?? [])];
  const live = all.filter((r) => r.t > now - REQUEST_ID_TTL_MS);
  const cut = Math.max(0, live.length - RUN_REQUESTS_KEPT);
  const kept = live.slice(cut);
  return { kept, spilled: live.slice(0, cut), dropped: all.filter((r) => !kept.includes(r)) };
}

/** The records as the run's row holds them: `[id, fingerprint hash, time, answer]` each, the answer as JSON (not a string of it). */
export function encodeRequests(requests: readonly RunRequest[]): string {
  return `[${requests.map(encodeRecord).join(',')}]`;
}

/**
 * `encodeRequests` of the records `text` encodes with `added` after them, made from that text: a
 * run's row is written again on every change with the records it held and one more, so only the new
 * one is encoded.
 */
export function withRequestAppended(text: string, added: RunRequest): string {
  return text === '[]' ? `[${encodeRecord(added)}]` : `${text.slice(0, -1)},${encodeRecord(added)}]`;
}

const encodeRecord = (r: RunRequest) => `[${JSON.stringify(r.id)},${JSON.stringify(r.f)},${r.t},${r.r}]`;

/** The records from what `JSON.parse` made of `encodeRequests`' text. */
export function decodeRequests(value: unknown): RunRequest[] {
  if (!Array.isArray(value)) return [];
  return (value as Array<[string, string, number, unknown]>).map(([id, f, t, answer]) => ({ id, f, t, r: JSON.stringify(answer) }));
}
