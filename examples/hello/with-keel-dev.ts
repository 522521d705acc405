// `npm start`: the whole loop on a fresh machine. Starts `keel dev` (the built dist/cli/keel.js)
// on a free port with a throwaway data directory, runs hello world against it, prints the
// result, and stops `keel dev` again.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { helloOnce } from './main';

const cli = fileURLToPath(new URL('../../dist/cli/keel.js', import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-start-'));
const dev = spawn(process.execPath, [cli, 'dev', '--db-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    dev.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Address:\s+(\S+)/.exec(out);
      if (m && /ready in/.test(out)) resolve(m[1]!);
    });
    dev.once('exit', (code) => reject(new Error(`keel dev exited with ${code} before it was ready`)));
  });
  console.log(`Keel service on http://${address}  (keel dev; web UI at http://${address}/)`);
  console.log(`Workflow result: ${await helloOnce(address, process.argv[2] ?? 'Keel')}`);
} finally {
  dev.kill('SIGINT');
  await new Promise((resolve) => (dev.exitCode === null ? dev.once('exit', resolve) : resolve(undefined)));
  rmSync(dataDir, { recursive: true, force: true });
}
