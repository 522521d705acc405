// The command tree without a service: help, usage errors and exit codes.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { DEV_NAMESPACE_PATTERN, createProgram, main } from './program.js';
import { NAMESPACE_NAME_PATTERN } from '../protocol/index.js';

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['node', 'keel', ...args], { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/** A port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function leaves(command: Command, path: string[] = []): string[][] {
  const subs = command.commands.filter((c) => c.name() !== 'help');
  return subs.length === 0 ? [path] : subs.flatMap((c) => leaves(c, [...path, c.name()]));
}

describe('keel command line', () => {
  it('answers --help on every command with exit code 0', async () => {
    const commands = leaves(createProgram());
    expect(commands.map((c) => c.join(' '))).toEqual(
      expect.arrayContaining(['dev', 'workflow start', 'workflow execute', 'workflow list', 'workflow count', 'workflow describe', 'workflow show', 'workflow result', 'workflow signal', 'workflow query', 'workflow update execute', 'workflow update start', 'workflow update result', 'workflow update describe', 'workflow cancel', 'workflow terminate', 'task-queue describe', 'schedule create', 'schedule update', 'schedule describe', 'schedule list', 'schedule toggle', 'schedule trigger', 'schedule backfill', 'schedule delete']),
    );
    for (const command of [[], ['workflow'], ['task-queue'], ['schedule'], ...commands]) {
      const r = await run(...command, '--help');
      expect(r.code, command.join(' ')).toBe(0);
      expect(r.out).toMatch(/^Usage: keel/);
    }
  });

  it('documents the connection flags and their environment variables on client commands', async () => {
    const { out } = await run('workflow', 'describe', '--help');
    expect(out).toMatch(/--address <host:port>[\s\S]*env:\s+KEEL_ADDRESS/);
    expect(out).toMatch(/env:\s+KEEL_NAMESPACE/);
    expect(out).toMatch(/env:\s+KEEL_API_KEY/);
  });

  it('fails a wrong command line with one line and exit code 2', async () => {
    for (const [args, message] of [
      [['workflow', 'start', '-t', 'q'], "Error: required option '--type <type>' not specified"],
      [['workflow', 'describe'], "Error: required option '-w, --workflow-id <id>' not specified"],
      [['workflow', 'strat'], "Error: unknown command 'strat' (Did you mean start?)"],
      [['workflow', 'list', '--limit', 'x'], "Error: option '--limit <n>' argument 'x' is invalid. must be a whole number, 1 or more."],
      [['workflow', 'show', '-w', 'x', '-o', 'yaml'], 'Error: option \'-o, --output <format>\' argument \'yaml\' is invalid. Allowed choices are text, json, jsonl.'],
      [['dev', '--port', '70000'], "Error: option '-p, --port <port>' argument '70000' is invalid. must be a whole number from 0 to 65535."],
    ] as const) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toBe(`${message}\n`);
    }
  });

  it('refuses a --task-queue-partitions it cannot read before starting anything, saying why', async () => {
    const r = await run('dev', '--task-queue-partitions', '{"default":0}');
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: --task-queue-partitions (KEEL_TASK_QUEUE_PARTITIONS): "default" must be a whole number from 1 to 64 (it is 0).\n');
  });

  it('accepts --name for the workflow type and --type for a query name, as Temporal does', async () => {
    // Both reach the network (and fail there: nothing listens), so the flags were accepted.
    const address = `127.0.0.1:${await closedPort()}`;
    const start = await run('workflow', 'start', '--name', 'hello', '-t', 'q', '--address', address);
    expect(start.err).toMatch(/^Error: cannot reach the Keel service at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    const query = await run('workflow', 'query', '-w', 'w', '--type', 'status', '--address', address);
    expect(query.err).toMatch(/^Error: cannot reach the Keel service/);
  });

  it("has Temporal CLI's update subcommands and flags; start requires --wait-for-stage accepted", async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const execute = await run('workflow', 'update', 'execute', '-w', 'w', '--name', 'u', '-i', '1', '--update-id', 'u1', '--first-execution-run-id', 'r0', '--address', address);
    expect(execute.err).toMatch(/^Error: cannot reach the Keel service/);
    const result = await run('workflow', 'update', 'result', '-w', 'w', '-r', 'r1', '--update-id', 'u1', '--address', address);
    expect(result.err).toMatch(/^Error: cannot reach the Keel service/);
    const describe = await run('workflow', 'update', 'describe', '-w', 'w', '--update-id', 'u1', '--address', address);
    expect(describe.err).toMatch(/^Error: cannot reach the Keel service/);
    const completed = await run('workflow', 'update', 'start', '-w', 'w', '--name', 'u', '--wait-for-stage', 'completed');
    expect(completed.code).toBe(2);
    expect(completed.err).toMatch(/^Error: --wait-for-stage must be 'accepted' \(got 'completed'\)/);
    const noId = await run('workflow', 'update', 'result', '-w', 'w');
    expect(noId.code).toBe(2);
    expect(noId.err).toMatch(/required option '--update-id <id>' not specified/);
  });

  it('offers --cron on workflow start and execute', async () => {
    for (const command of ['start', 'execute']) {
      expect((await run('workflow', command, '--help')).out).toMatch(/--cron <schedule>\s+run on a cron schedule in UTC/);
    }
  });
});

describe('keel dev --namespace', () => {
  it("checks names by the protocol's rule (repeated, since keel dev loads no zod)", async () => {
    expect(DEV_NAMESPACE_PATTERN.source).toBe(NAMESPACE_NAME_PATTERN.source);
    const bad = await run('dev', '--namespace', 'has space');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/a namespace name is 1 to 256 letters/);
  });
});
