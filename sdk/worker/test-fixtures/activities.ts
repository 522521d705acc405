// Owns the activities the fixture workflows call. Activities may use Node; workflow code may
// only import their types (`import type * as activities from './activities.js'`).
import { hostname } from 'node:os';

export async function charge(id: string): Promise<string> {
  return `charged ${id} on ${hostname()}`;
}

export async function ship(what: string): Promise<string> {
  return `shipped ${what}`;
}
