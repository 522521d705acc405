import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from './security-headers.js';

describe('security headers', () => {
  it('ui/_headers (for platform-served assets) says exactly what the Worker sends', () => {
    const lines = readFileSync(new URL('../ui/_headers', import.meta.url), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('/*');
    const fromFile = Object.fromEntries(lines.slice(1).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
    }));
    expect(fromFile).toEqual(SECURITY_HEADERS);
  });
});
