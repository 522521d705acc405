/**
 * miniflare, loaded with `require()`. An ESM `import` of a CommonJS package makes Node scan its
 * whole source for export names first (cjs-module-lexer); miniflare is one 3.8 MB file, and
 * that scan cost 150–350 ms of every `keel dev` and keel/testing start. Import miniflare's
 * values from here, and only its types from 'miniflare'.
 */
import { createRequire } from 'node:module';

export const miniflare = createRequire(import.meta.url)('miniflare') as typeof import('miniflare');
