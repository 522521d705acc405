// Workflow code that imports a Node built-in is refused when the worker is created.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Worker, WorkflowBundleError } from 'keel/worker';

describe('workflow bundling', () => {
  it('importing a Node built-in in workflow code fails Worker.create with an error naming the import', async () => {
    const workflowsPath = fileURLToPath(new URL('./fixtures/node-import-workflows.ts', import.meta.url));
    // No connection is made: the bundle fails first.
    const err = await Worker.create({ taskQueue: 'bundling', workflowsPath, shutdownSignals: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowBundleError);
    const message = (err as Error).message;
    expect(message).toContain("imports 'node:fs'");
    expect(message).toContain('node-import-workflows.ts');
    expect(message).toMatch(/cannot use Node built-ins/);
  });
});
