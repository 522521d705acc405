// Owns a workflow importing a module that does not exist: bundling must name it.
// @ts-expect-error the module is missing on purpose
import { nothing } from './does-not-exist.js';

export async function missing(): Promise<unknown> {
  return nothing;
}
