// The docs stay true to the repository: every relative link points at a file that exists, and
// the test suite docs/testing.md offers for copying is the one that runs here.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pages = ['README.md', 'ARCHITECTURE.md', 'examples/README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('docs', () => {
  it('link only to files that exist', () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(path.join(root, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const file = path.resolve(path.dirname(path.join(root, page)), target!.split('#')[0]!);
        if (!existsSync(file)) broken.push(`${page} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('show the testing guide suite exactly as it runs', () => {
    const doc = readFileSync(path.join(root, 'docs/testing.md'), 'utf8');
    expect(doc).toContain(readFileSync(path.join(root, 'test/node/testing-guide.test.ts'), 'utf8').trim());
  });
});
