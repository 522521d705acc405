import { describe, expect, it } from 'vitest';
import './zod-acyclic.js';
import { z } from 'zod';
import { Failure } from '../protocol/payload.js';
import { Api } from '../protocol/api.js';

describe('zod without its memoizer (the Worker’s request validation)', () => {
  it('is the memoizer every schema made after it uses', () => {
    const { memoizer } = z.config();
    expect(memoizer?.alloc(Failure, { value: 1, issues: [] }, { fresh: true }, {} as never)).toEqual({ fresh: true });
  });

  it('a failure’s cause chain is still validated all the way down, with the same issue paths', () => {
    const chain = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { message: `m${depth}`, cause: chain(depth - 1, leaf) });
    expect(Failure.safeParse(chain(20, { message: 'root' })).success).toBe(true);
    const bad = Failure.safeParse(chain(3, { message: 7 }));
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual(['cause.cause.cause.message']);
  });

  it('a request body from JSON parses to the same value', () => {
    const body = JSON.parse(
      JSON.stringify({
        taskToken: 't',
        commands: [{ type: 'FailWorkflowExecution', failure: { message: 'no', cause: { message: 'because', applicationFailureInfo: { type: 'E', nonRetryable: true } } } }],
      }),
    );
    const parsed = Api.completeWorkflowTask.request.safeParse(body);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject(body);
  });
});
