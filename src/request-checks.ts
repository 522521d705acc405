/**
 * The checks every request body goes through once it is JSON, whichever way it came: an HTTP body
 * (src/router.ts) or a call's `request` on a shard channel (src/workflow-object/shard-channel.ts). One
 * piece of code, so that both answer a bad request with the same code, message and issues.
 */
import type { z } from 'zod';
import { Limits } from '../protocol/index.js';
import { ServiceError } from './service-error.js';

/**
 * Validation, storage and the SDK all walk values recursively, so an absurdly deep one (a
 * failure with thousands of causes) would exhaust the stack somewhere; it is refused here,
 * where the answer can say why.
 */
const MAX_JSON_DEPTH = Limits.maxJsonDepth;

/** Walks the value without recursion and refuses one nested deeper than MAX_JSON_DEPTH. */
export function checkDepth(value: unknown): void {
  // Each node keeps its key and parent; the dotted path is built only for the answer that refuses
  // (every request's body is walked, and a path string per nested object was most of the walk).
  const stack: DepthNode[] = [{ v: value, depth: 0, key: '', parent: undefined }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { v, depth } = node;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      const path = pathOf(node);
      throw new ServiceError('INVALID_ARGUMENT', `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} deep (at ${path.slice(0, 200)}…); flatten it, or put deep data in a payload.`, {
        issues: [{ path: path.slice(0, 1000), message: `nested more than ${MAX_JSON_DEPTH} deep` }],
      });
    }
    for (const key of Object.keys(v)) {
      const child = (v as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') stack.push({ v: child, depth: depth + 1, key, parent: node });
    }
  }
}

interface DepthNode {
  v: unknown;
  depth: number;
  key: string;
  parent: DepthNode | undefined;
}

/** A node's path from the body's root, its keys joined by dots ('' for the root). */
function pathOf(node: DepthNode): string {
  const keys: string[] = [];
  for (let n: DepthNode | undefined = node; n?.parent; n = n.parent) keys.push(n.key);
  return keys.reverse().join('.');
}

/** A path parameter's value (decoded), as every endpoint takes one: 1 to Limits.maxNameLength characters. */
export function checkPathParam(name: string, value: string): void {
  if (value.length === 0 || value.length > Limits.maxNameLength) {
    throw new ServiceError('INVALID_ARGUMENT', `Path parameter '${name}' must be 1 to ${Limits.maxNameLength} characters; it has ${value.length}.`, { issues: [{ path: name, message: `must be 1 to ${Limits.maxNameLength} characters` }] });
  }
}

/** Validates against the endpoint's schema; INVALID_ARGUMENT names every bad field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  throw new ServiceError('INVALID_ARGUMENT', `Invalid request: ${summary}`, { issues });
}
