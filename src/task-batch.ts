/**
 * POST /tasks/batch (protocol 5): several workers' exchanges about tasks in one request. Each item's
 * token is verified alone; items are grouped by the object that keeps their workflow — read off the
 * verified token, never off the worker's `shardKey` — and each group is one RPC (`callMany`), whose
 * changes share that object's one commit (src/workflow-object.ts). Every item is answered as its own
 * endpoint answers, or with its own error: a bad item never fails the others.
 */
import type { BatchItemOf, BatchedEndpoint, ErrorBody, InvalidBatchItem, ResponseOf } from '../protocol/index.js';
import type { Env } from './env.js';
import { errorBodyOf, ServiceError } from './service-error.js';
import { workflowObjectName } from './stubs.js';
import { requireKind, verifyTaskToken, type TaskTokenData } from './task-token.js';
import type { BatchedCall, WorkflowObject } from './workflow-object.js';

type Item = { [E in BatchedEndpoint]: BatchItemOf<E> }[BatchedEndpoint] | InvalidBatchItem;
type Result = ResponseOf<'batchTasks'>['results'][number];

/** The kind of task token each item's endpoint takes. */
const TOKEN_KIND: Record<BatchedEndpoint, TaskTokenData['kind']> = {
  completeWorkflowTask: 'workflow',
  failWorkflowTask: 'workflow',
  completeActivityTask: 'activity',
  failActivityTask: 'activity',
};

const errorOf = (err: unknown): Result => ({ error: errorBodyOf(err, 'unexpected error in a batched exchange') });

/** An object's one RPC for a group of items (src/workflow-object.ts). */
export type CallingMany = Pick<WorkflowObject, 'callMany'>;

/** Answers the batch; `objectNamed` reaches the object of a name (an RPC stub, or from inside a shard, itself for its own items). */
export async function batchTasks(env: Env, namespace: string, items: readonly Item[], objectNamed: (name: string) => CallingMany): Promise<ResponseOf<'batchTasks'>> {
  const results: Result[] = new Array<Result>(items.length);
  // Items by the object that keeps their workflow, each in the order of the request.
  const groups = new Map<string, Array<{ index: number; call: BatchedCall }>>();
  const tokens = await Promise.all(
    items.map(async (item, index) => {
      try {
        if (item.kind === 'invalid') throw invalid(item, index);
        return requireKind(await verifyTaskToken(item.request.taskToken, env.KEEL_TOKEN_SECRET, namespace), TOKEN_KIND[item.kind]);
      } catch (err) {
        results[index] = errorOf(err);
        return undefined;
      }
    }),
  );
  items.forEach((item, index) => {
    const token = tokens[index];
    if (!token || item.kind === 'invalid') return;
    const name = workflowObjectName(env, token.namespace, token.workflowId);
    let group = groups.get(name);
    if (!group) groups.set(name, (group = []));
    group.push({ index, call: { workflowId: token.workflowId, method: item.kind, args: [token, item.request] } });
  });
  await Promise.all(
    [...groups].map(async ([name, group]) => {
      try {
        const outcomes = await objectNamed(name).callMany(namespace, group.map((g) => g.call));
        group.forEach((g, i) => {
          const o = outcomes[i]!;
          results[g.index] = o.ok ? { response: o.value as Result['response'] } : { error: o.error };
        });
      } catch (err) {
        // The RPC itself failed (the object was reset, overloaded): each of its items, as a single exchange would.
        const result = errorOf(err);
        for (const g of group) results[g.index] = result;
      }
    }),
  );
  return { results };
}

/** INVALID_ARGUMENT for an item that does not match its endpoint's schema, its issues' paths from the request's root. */
function invalid(item: InvalidBatchItem, index: number): ServiceError {
  const issues = item.issues.map((i) => ({ path: ['items', index, ...i.path].map(String).join('.'), message: i.message }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new ServiceError('INVALID_ARGUMENT', `Invalid item: ${summary}`.slice(0, 2000), { issues: issues.slice(0, 100) } satisfies ErrorBody['error']['details']);
}
