#!/usr/bin/env node
// The `keel` command (the package's `bin`, built to dist/cli/keel.js): `keel dev`, `keel workflow …`,
// `keel task-queue …`. Everything is in program.ts; this file only runs it and exits with its code.
import './startup.js';
import module from 'node:module';

// Node 22.1+ keeps V8's compiled code of every module loaded after this (miniflare is 3.8 MB of
// JavaScript) in a cache directory, which makes the next `keel dev` start faster. Node 20 has
// no such API; there it is a no-op.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const { main } = await import('./program.js');
const code = await main(process.argv);
// Exit once stdout is flushed rather than when the event loop drains: keep-alive sockets of the
// HTTP client would hold a finished command open for seconds.
process.stdout.write('', () => process.exit(code));
