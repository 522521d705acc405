/**
 * Schedules in the visibility store (D1, migrations/0002_schedules.sql): each schedule object
 * writes its list entry after a change and removes it on delete; list reads pages by schedule id.
 */
import type { ScheduleListEntryWire, ParsedRequestOf, ResponseOf } from '../../protocol/index.js';
import type { Env } from '../env.js';
import { ServiceError } from '../service-error.js';
import { visibilityDb } from './migrations.js';

const UPSERT = `
INSERT INTO schedules (namespace, schedule_id, entry, version) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (namespace, schedule_id) DO UPDATE SET entry = excluded.entry, version = excluded.version
WHERE excluded.version > schedules.version`;

/** Writes a schedule's entry unless a newer one is there already. */
export async function writeScheduleEntry(env: Env, namespace: string, entry: ScheduleListEntryWire, version: number): Promise<void> {
  const db = await visibilityDb(env);
  if (!db) return;
  await db.prepare(UPSERT).bind(namespace, entry.scheduleId, JSON.stringify(entry), version).run();
}

export async function deleteScheduleEntry(env: Env, namespace: string, scheduleId: string): Promise<void> {
  const db = await visibilityDb(env);
  if (!db) return;
  await db.prepare(`DELETE FROM schedules WHERE namespace = ?1 AND schedule_id = ?2`).bind(namespace, scheduleId).run();
}

/** A page of schedules by id; the page token is the last id of the page, base64url. */
export async function listSchedules(env: Env, namespace: string, req: ParsedRequestOf<'listSchedules'>): Promise<ResponseOf<'listSchedules'>> {
  const db = await visibilityDb(env);
  if (!db) throw new ServiceError('FEATURE_DISABLED', 'This deployment has no visibility store (the VISIBILITY D1 binding); schedules cannot be listed.');
  const size = req.pageSize ?? 100;
  let after = '';
  if (req.nextPageToken) {
    try {
      after = decodeURIComponent(escape(atob(req.nextPageToken.replace(/-/g, '+').replace(/_/g, '/'))));
    } catch {
      throw new ServiceError('INVALID_ARGUMENT', 'nextPageToken is not one this service issued; pass back the token from the previous page.', { issues: [{ path: 'nextPageToken', message: 'not a page token' }] });
    }
  }
  const rows = await db
    .prepare(`SELECT schedule_id, entry FROM schedules WHERE namespace = ?1 AND schedule_id > ?2 ORDER BY schedule_id LIMIT ?3`)
    .bind(namespace, after, size + 1)
    .all<{ schedule_id: string; entry: string }>();
  const page = rows.results.slice(0, size);
  const last = page.at(-1);
  return {
    schedules: page.map((r) => JSON.parse(r.entry) as ScheduleListEntryWire),
    ...(rows.results.length > size && last ? { nextPageToken: btoa(unescape(encodeURIComponent(last.schedule_id))).replace(/\+/g, '-').replace(/\//g, '_') } : {}),
  };
}
