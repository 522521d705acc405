import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../../src/security-headers.js';

// The Worker adds these headers where it serves the UI; ui/_headers is for the platform's own asset router.

describe('security headers', () => {
  it('ui/_headers (for platform-served assets) says exactly what the Worker sends', () => {
    const lines = readFileSync('ui/_headers', 'utf8').trim().split('\n');
    expect(lines[0]).toBe('/*');
    const fromFile = Object.fromEntries(lines.slice(1).map((l: string) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
    }));
    expect(fromFile).toEqual(SECURITY_HEADERS);
  });
});
