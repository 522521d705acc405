/** What a started task looks like on its way from the workflow object, through the task queue, to the worker. */
import type { ActivityTask, WorkflowTask } from '../protocol/index.js';
import { signTaskToken, type TaskTokenData } from './task-token.js';

export type StartedTask = { kind: 'workflow'; task: WorkflowTask } | { kind: 'activity'; task: ActivityTask };

/**
 * A started workflow task not signed yet: its token's data rides with it, signed when the task is
 * handed out. A shard's offer is (src/workflow-object/shard-polls.ts): the poll that takes it is in
 * the same isolate, and a held one is stamped with the moment it is taken, so signing it at the offer
 * would sign it twice.
 */
export interface UnsignedWorkflowTask {
  kind: 'unsigned';
  task: Omit<WorkflowTask, 'taskToken'>;
  token: TaskTokenData;
}

/** The task with its token signed (the token first, where a signed task has it). */
export async function signedTask({ task, token }: UnsignedWorkflowTask, tokenSecret: string | undefined): Promise<WorkflowTask> {
  return { taskToken: await signTaskToken(token, tokenSecret), ...task };
}
