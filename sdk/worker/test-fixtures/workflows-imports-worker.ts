// Owns a workflow that imports the worker package by value: bundling must refuse it.
// @ts-ignore keel/worker may not be built yet; the import is what this fixture is about
import { bundleWorkflowCode } from 'keel/worker';

export async function bundles(): Promise<unknown> {
  return typeof bundleWorkflowCode;
}
