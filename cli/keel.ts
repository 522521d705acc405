#!/usr/bin/env node
// The `keel` command (the package's `bin`, built to dist/cli/keel.js): `keel dev`, `keel workflow …`,
// `keel task-queue …`. Everything is in program.ts; this file only runs it and exits with its code.
import './startup.js';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';

// V8's compiled code of the CommonJS modules loaded after this (miniflare is one 3.8 MB file, a
// third of `keel dev`'s start) is kept in a cache directory, which makes the next start faster.
// Node 22.1+ does it itself (enableCompileCache); before it, v8-compile-cache's require hook does
// the same for CommonJS, in a directory of this user's (a shared /tmp could be fed a planted cache).
const { enableCompileCache } = module as { enableCompileCache?: () => unknown };
if (enableCompileCache) enableCompileCache();
else if (!process.env.DISABLE_V8_COMPILE_CACHE) {
  process.env.V8_COMPILE_CACHE_CACHE_DIR ??= path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'keel', 'v8-compile-cache');
  module.createRequire(import.meta.url)('v8-compile-cache');
}

const { main } = await import('./program.js');
const code = await main(process.argv);
// Exit once stdout is flushed rather than when the event loop drains: keep-alive sockets of the
// HTTP client would hold a finished command open for seconds.
process.stdout.write('', () => process.exit(code));
