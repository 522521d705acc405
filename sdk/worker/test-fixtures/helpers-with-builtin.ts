// Owns a helper that imports `path`: fine in an activity, refused in workflow code.
import path from 'path';

export function joinPaths(a: string, b: string): string {
  return path.join(a, b);
}
