// Owns a workflow that wrongly imports a Node built-in: bundling it must fail naming the import.
import { readFileSync } from 'node:fs';

export async function readsFile(): Promise<string> {
  return readFileSync('/etc/hostname', 'utf8');
}
