// Child processes of an engine (servers, workers): started, awaited until they say they are
// ready, and stopped by their own PID.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Starts `cmd` and waits until its stdout prints a line containing `ready` (or `readyText`). */
export function spawnReady(what: string, cmd: string, args: string[], options: SpawnOptions & { readyText?: string; timeoutMs?: number } = {}): Promise<ChildProcess> {
  const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const readyText = options.readyText ?? 'ready';
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${what} did not start within ${options.timeoutMs ?? 60_000} ms:\n${log.slice(-2000)}`)), options.timeoutMs ?? 60_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (b: Buffer) => {
      log += b.toString();
      if (log.includes(readyText)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        // Keep draining, so a chatty child never blocks on a full pipe.
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => {
      log += b.toString();
      if (log.length > 100_000) log = log.slice(-50_000);
    });
    child.on('exit', (code, signal) => fail(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${log.slice(-2000)}`)));
  });
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
