// Owns locating the fixture files and bundling them once per test file.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundle } from '../workflow-bundler.js';

/** The absolute path of a file in this folder. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

const bundles = new Map<string, Promise<WorkflowBundle>>();

/** The bundle of a fixture workflows file (built once per test file). */
export function fixtureBundle(workflowsFile: string): Promise<WorkflowBundle> {
  let bundle = bundles.get(workflowsFile);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath: fixturePath(workflowsFile) });
    bundles.set(workflowsFile, bundle);
  }
  return bundle;
}
