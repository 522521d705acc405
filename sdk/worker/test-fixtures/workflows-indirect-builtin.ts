// Owns a workflow whose helper module imports a bare Node built-in (`path`).
import { joinPaths } from './helpers-with-builtin.js';

export async function joins(): Promise<string> {
  return joinPaths('a', 'b');
}
