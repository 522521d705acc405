// Owns `keel init <directory>`: writes a new project that uses Keel from its package — a
// workflow, an activity, a worker, a client, a test and the wrangler.toml that deploys the
// service — from templates/app of the keel package, the same files the repository type-checks.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';
import type { Io } from './output.js';
import { keelPackage } from './package-root.js';

export interface InitFlags {
  /** The keel dependency of the new package.json: a range, or a tarball's path. */
  keelVersion: string;
}

/** Template files npm would drop or rename when packing them under their real name. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

/** The development tools the project needs, at the versions keel itself is tested with. */
const DEV_TOOLS = ['tsx', 'typescript', '@types/node', 'wrangler'] as const;

/** An npm package name from a directory name: lower case, and only the characters npm allows. */
export function projectName(directory: string): string {
  const name = path
    .basename(path.resolve(directory))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!name) throw new UsageError(`cannot make a project name from '${directory}'; use letters, digits and dashes`);
  return name;
}

/** The new project's package.json. */
export function projectPackageJson(name: string, keelVersion: string, devDependencies: Record<string, string>): string {
  const missing = DEV_TOOLS.filter((d) => !devDependencies[d]);
  if (missing.length > 0) throw new Error(`the keel package names no version of ${missing.join(', ')}`);
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      test: 'tsx --test test/workflows.test.ts',
      typecheck: 'tsc --noEmit',
      worker: 'tsx src/worker.ts',
      client: 'tsx src/client.ts',
      service: 'keel dev',
      deploy: 'wrangler deploy',
    },
    dependencies: { keel: keelVersion },
    devDependencies: Object.fromEntries(DEV_TOOLS.map((d) => [d, devDependencies[d]!])),
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function init(directory: string, flags: InitFlags, io: Io): void {
  const target = path.resolve(directory);
  if (existsSync(target) && readdirSync(target).length > 0) throw new UsageError(`'${directory}' is not empty; give a new or empty directory`);
  const name = projectName(directory);
  const keel = keelPackage();
  const written = copyTemplate(path.join(keel.root, 'templates', 'app'), target, { name });
  writeFileSync(path.join(target, 'package.json'), projectPackageJson(name, flags.keelVersion, keel.devDependencies));
  io.out(
    [
      `Wrote ${name} in ${directory}: package.json, ${written.join(', ')}`,
      '',
      'Next:',
      `  cd ${directory}`,
      '  npm install',
      '  npm test              # the workflow against a local service of its own',
      '  npx keel dev          # then, in other terminals: npm run worker; npm run client',
      '  npm run deploy        # the service on Cloudflare (see README.md first)',
      '',
    ].join('\n'),
  );
}

/** Copies `from` into `to`, filling `{{key}}` in every file; returns the paths written. */
function copyTemplate(from: string, to: string, values: Record<string, string>, prefix = ''): string[] {
  mkdirSync(to, { recursive: true });
  const written: string[] = [];
  for (const entry of readdirSync(from, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const name = RENAMED[entry.name] ?? entry.name;
    if (entry.isDirectory()) {
      written.push(...copyTemplate(path.join(from, entry.name), path.join(to, name), values, `${prefix}${name}/`));
      continue;
    }
    const text = readFileSync(path.join(from, entry.name), 'utf8').replace(/\{\{(\w+)\}\}/g, (m, key: string) => values[key] ?? m);
    writeFileSync(path.join(to, name), text);
    written.push(`${prefix}${name}`);
  }
  return written;
}
