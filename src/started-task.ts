/** What a started task looks like on its way from the workflow object, through the task queue, to the worker. */
import type { ActivityTask, WorkflowTask } from '../protocol/index.js';

export type StartedTask = { kind: 'workflow'; task: WorkflowTask } | { kind: 'activity'; task: ActivityTask };
