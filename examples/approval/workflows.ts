// An expense approval: the workflow waits — for days if need be — for a person to approve or
// reject, answers "where is my request?" at any time, and pays only once approved.
// Signals change a running workflow; queries read it without changing it.
import { condition, defineQuery, defineSignal, proxyActivities, setHandler, type Duration } from 'keel/workflow';
import type { createActivities } from './activities';

export interface ExpenseReport {
  id: string;
  employee: string;
  amount: number;
  description: string;
}

export interface ApprovalState {
  status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED';
  decidedBy?: string;
  reason?: string;
}

export const approve = defineSignal<[approver: string]>('approve');
export const reject = defineSignal<[approver: string, reason: string]>('reject');
export const getState = defineQuery<ApprovalState>('getState');

const { notifyApprovers, payExpense, notifyEmployee } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
});

export async function expenseApproval(report: ExpenseReport, decideWithin: Duration = '7 days'): Promise<ApprovalState> {
  let state: ApprovalState = { status: 'PENDING' };
  // Handlers are set before the first await, so that a signal that arrived with the start is seen.
  setHandler(approve, (approver) => {
    if (state.status === 'PENDING') state = { status: 'APPROVED', decidedBy: approver };
  });
  setHandler(reject, (approver, reason) => {
    if (state.status === 'PENDING') state = { status: 'REJECTED', decidedBy: approver, reason };
  });
  setHandler(getState, () => state);

  await notifyApprovers(report);
  // A durable wait: the worker may restart many times meanwhile; the timer lives in the service.
  if (!(await condition(() => state.status !== 'PENDING', decideWithin))) state = { status: 'EXPIRED' };
  if (state.status === 'APPROVED') await payExpense(report);
  await notifyEmployee(report, state.status);
  return state;
}
