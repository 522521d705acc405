// Owns the activities the fixture workflows call. Activities may use Node; workflows may only
// import their types.
import { readFile } from 'node:fs/promises';

export async function charge(id: string): Promise<string> {
  await readFile(new URL(import.meta.url)).catch(() => undefined);
  return `charged ${id}`;
}

export async function ship(what: string): Promise<string> {
  return `shipped ${what}`;
}
