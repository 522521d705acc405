// The docs stay true to the repository: every relative link points at a file that exists, the
// test suite docs/testing.md offers for copying is the one that runs here, and what the docs
// promise about limits, error codes and API keys is what the code does.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorStatus, Limits } from '../../protocol/index.js';

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

  it('list every limit with the value the service enforces', () => {
    const doc = readFileSync(path.join(root, 'docs/http-api.md'), 'utf8');
    const documented = Object.fromEntries([...doc.matchAll(/^\| `(\w+)` — [^|]+\| (\d+) \|$/gm)].map(([, name, value]) => [name!, Number(value)]));
    for (const [name, value] of Object.entries(documented)) expect(Limits[name as keyof typeof Limits], `docs/http-api.md: Limits.${name}`).toBe(value);
    // Every size and count limit a caller can hit is in the table.
    for (const name of ['maxRequestBytes', 'maxDurationMs', 'maxEventBytes', 'historySizeLimitBytes', 'maxPendingPerKind', 'maxMemoBytes', 'maxListPageBytes'] as const) {
      expect(documented[name], `docs/http-api.md lists Limits.${name}`).toBe(Limits[name]);
    }
  });

  it('name only error codes the service has, and no page says the service ignores API keys', () => {
    const unknown: string[] = [];
    for (const page of pages) {
      const text = readFileSync(path.join(root, page), 'utf8');
      for (const [, code] of text.matchAll(/`([A-Z][A-Z_]{5,})`/g)) {
        if (/_(MS|BYTES)$|^KEEL_|^WORKFLOW_(ID|TYPE)|^(JSON|TERMINATE|USE|ALLOW|REJECT|ABANDON|REQUEST_CANCEL|TRY_CANCEL|WAIT_CANCELLATION|NOT_OPEN|NOT_COMPLETED|CONTINUED_AS_NEW|SCHEDULE_TO|START_TO|HEARTBEAT|UNHANDLED|NON_RETRYABLE|MAXIMUM|RETRY|CANCELED|COMPLETED|TERMINATED|TIMED_OUT|RUNNING|FAILED|ACCEPTED|ADMITTED)/.test(code!)) continue;
        if (!(code! in ErrorStatus) && /_(NOT_FOUND|DENIED|TOO_LARGE|INVALID|EXCEEDED|TIMEOUT|CONFLICT|DISABLED|UNAUTHENTICATED|MEDIA_TYPE|ALREADY_STARTED|NOT_RUNNING|NOT_ALLOWED|ARGUMENT|TOKEN)$/.test(code!)) unknown.push(`${page}: ${code}`);
      }
      expect(text, `${page} says API keys are not checked; src/auth.ts checks them`).not.toMatch(/does not check API keys/i);
    }
    expect(unknown).toEqual([]);
  });
});
