import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { init, projectName } from './init.js';

const repo = path.resolve(import.meta.dirname, '..');
let dir: string;
const io = { out: () => {}, err: () => {} };

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'keel-init-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The lines of a wrangler.toml that must agree with the service's own: classes, migrations, bindings. */
const serviceLines = (toml: string) => toml.split('\n').filter((l) => /^(compatibility_date|class_name|tag|new_sqlite_classes|binding|run_worker_first|not_found_handling) =|^name = "(WORKFLOWS|TASK_QUEUES|SCHEDULES)"/.test(l));

describe('keel init', () => {
  it('writes the project, named after its directory, with the tool versions keel is tested with', () => {
    const target = path.join(dir, 'My App');
    init(target, { keelVersion: '^9.9.9' }, io);
    for (const f of ['src/workflows.ts', 'src/activities.ts', 'src/worker.ts', 'src/client.ts', 'test/workflows.test.ts', 'wrangler.toml', 'tsconfig.json', 'README.md', '.gitignore']) {
      expect(existsSync(path.join(target, f)), f).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8'));
    const ours = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'my-app', type: 'module', dependencies: { keel: '^9.9.9' }, devDependencies: { wrangler: ours.devDependencies.wrangler, tsx: ours.devDependencies.tsx } });
    const toml = readFileSync(path.join(target, 'wrangler.toml'), 'utf8');
    expect(toml).toMatch(/^name = "my-app-keel"$/m);
    expect(toml).not.toContain('{{');
  });

  it('deploys the same service as the repository’s wrangler.toml: classes, migrations, bindings, compatibility date', () => {
    const template = readFileSync(path.join(repo, 'templates/app/wrangler.toml'), 'utf8');
    expect(serviceLines(template)).toEqual(serviceLines(readFileSync(path.join(repo, 'wrangler.toml'), 'utf8')));
  });

  it('refuses a directory that is not empty', () => {
    writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    expect(() => init(dir, { keelVersion: '^1.0.0' }, io)).toThrow(UsageError);
    expect(readFileSync(path.join(dir, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('makes an npm name of the directory’s name', () => {
    expect(projectName('/x/Billing Service_2')).toBe('billing-service-2');
    expect(() => projectName('/x/___')).toThrow(UsageError);
  });
});
