// Tests of bundleWorkflowCode: what workflow code may import, and the bundle it produces.
import { describe, expect, it } from 'vitest';
import { WorkflowBundleError } from './errors.js';
import { fixtureBundle, fixturePath } from './test-fixtures/fixtures.js';
import { bundleWorkflowCode } from './workflow-bundler.js';

async function bundleError(file: string): Promise<WorkflowBundleError> {
  const err = await bundleWorkflowCode({ workflowsPath: fixturePath(file) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowBundleError);
  return err as WorkflowBundleError;
}

describe('bundleWorkflowCode', () => {
  it('bundles workflows with the runtime into one script that installs __keelRuntime', async () => {
    const { code } = await fixtureBundle('workflows.ts');
    expect(code).toContain('__keelRuntime');
    expect(code).toContain('async function order(');
    // One classic script: no module syntax left.
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('puts exactly one copy of the keel/workflow runtime in the bundle', async () => {
    const { code } = await fixtureBundle('workflows.ts');
    // The user's `keel/workflow` and the entry's runtime resolve to the same module files, so
    // each runtime module appears once (esbuild marks each module with a path comment).
    for (const module of ['activities', 'activator', 'global-state', 'runtime']) {
      expect(code.match(new RegExp(`// sdk/workflow/${module}\\.ts\\n`, 'g'))).toHaveLength(1);
    }
  });

  it('erases type-only imports, so the activities module (which uses Node) stays out', async () => {
    const { code } = await fixtureBundle('workflows.ts');
    expect(code).not.toContain('hostname');
    expect(code).not.toContain('async function charge(');
  });

  it('refuses a Node built-in, naming the import and the file that imports it', async () => {
    const err = await bundleError('workflows-node-builtin.ts');
    expect(err.name).toBe('WorkflowBundleError');
    expect(err.message).toContain("workflows-node-builtin.ts imports 'node:fs'");
    expect(err.message).toContain('cannot use Node built-ins; move this into an activity');
  });

  it('refuses a bare built-in imported by a helper module, naming the helper', async () => {
    const err = await bundleError('workflows-indirect-builtin.ts');
    expect(err.message).toContain("helpers-with-builtin.ts imports 'path'");
    expect(err.message).not.toContain('workflows-indirect-builtin.ts imports');
  });

  it('names an import that cannot be resolved', async () => {
    const err = await bundleError('workflows-unresolvable.ts');
    expect(err.message).toContain("workflows-unresolvable.ts imports './does-not-exist.js', which cannot be resolved");
  });

  it('refuses worker-only Keel modules in workflow code', async () => {
    const err = await bundleError('workflows-imports-worker.ts');
    expect(err.message).toContain("workflows-imports-worker.ts imports 'keel/worker'");
    expect(err.message).toContain('can only import keel/workflow and keel/common');
  });

  it('says so when the workflows module itself does not exist', async () => {
    const err = await bundleError('no-such-workflows.ts');
    expect(err.message).toContain("The workflows module '");
    expect(err.message).toContain("no-such-workflows.ts' cannot be found");
  });
});
