// The floor under `keel dev`'s start (bench/dev-startup.ts --floor): Node, require('miniflare') and
// workerd serving an empty Worker that answers every request with 200, on a direct socket with
// `cf: false` as keel dev has it, and nothing of Keel. What keel dev takes above this is Keel's.
//   node bench/dev-startup-floor.cjs <port>
const { Miniflare } = require('miniflare');

const port = Number(process.argv[2]);
const mf = new Miniflare({
  modules: true,
  script: 'export default { fetch: () => Response.json({ ok: true }) };',
  compatibilityDate: '2026-04-01',
  cf: false,
  host: '127.0.0.1',
  port: 0,
  unsafeDirectSockets: [{ host: '127.0.0.1', port }],
});
mf.ready.then(() => console.log(`ready in ${Math.round(performance.now())} ms`));
process.on('SIGINT', () => void mf.dispose().then(() => process.exit(0)));
