// An esbuild plugin for the service's bundles (scripts/build.mjs, bench/lib.ts): fflate's deflate with
// its work buffers allocated once instead of on every call.
//
// Why: fflate's deflateSync allocates ~200 KB of typed arrays per call (a 64 KB hash chain, a hash head
// of up to 32 KB here, a 100 KB symbol buffer). The service deflates a run's row at every close and a
// history row at every ~4 KB of events (src/storage/row-codec.ts); at a thousand closes a second that
// is ~200 MB/s of ArrayBuffers, and workerd's GC ran often enough for it to cost more CPU than the
// deflates (bench/RESULTS.md, "Rows stored deflated"). An isolate is single-threaded and deflateSync
// runs to its end without yielding, so one set of buffers serves every call: the chain and the head
// are zeroed per call, as new arrays were; the symbol buffer is written before it is read.
//
// Only fflate 0.8.3's code is rewritten (package.json pins it): a build with another version whose
// code differs fails here, and the plugin must be looked at again. The output is the same bytes
// (scripts/fflate-pooled-buffers.test.ts).

/** The allocations replaced, as fflate 0.8.3's esm builds write them. */
const REPLACEMENTS = [
  ['var dflt = function (dat, lvl, plvl, pre, post, st) {', 'var POOL_PREV = new u16(32768), POOL_SYMS = new i32(25000), POOL_HEADS = {};\nvar poolHead = function (n) { var h = POOL_HEADS[n] || (POOL_HEADS[n] = new u16(n)); return h.fill(0); };\nvar dflt = function (dat, lvl, plvl, pre, post, st) {'],
  ['var prev = st.p || new u16(32768), head = st.h || new u16(msk_1 + 1);', 'var prev = st.p || POOL_PREV.fill(0), head = st.h || poolHead(msk_1 + 1);'],
  ['var syms = new i32(25000);', 'var syms = POOL_SYMS;'],
];

/** fflate's esm source with its deflate's buffers pooled; throws when the source is not the one this was written for. */
export function pooledFflateSource(source) {
  let out = source;
  for (const [from, to] of REPLACEMENTS) {
    if (out.split(from).length !== 2) throw new Error(`fflate-pooled-buffers: fflate's code changed (expected once: ${from}); see scripts/fflate-pooled-buffers.mjs`);
    out = out.replace(from, to);
  }
  return out;
}

/** The plugin: applies `pooledFflateSource` to fflate's esm modules as esbuild loads them. */
export const fflatePooledBuffers = {
  name: 'fflate-pooled-buffers',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]fflate[\\/]esm[\\/](browser\.js|index\.mjs)$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      return { contents: pooledFflateSource(await readFile(args.path, 'utf8')), loader: 'js' };
    });
  },
};
