// A subscription that lives for months: charge, sleep for the billing period, charge again,
// until the customer cancels or the plan ends. The sleep is a durable timer in the service, so
// no worker has to be up while it runs; a worker that restarts replays the history and goes on.
// (Keel has no continue-as-new yet: keep the number of cycles of one run bounded.)
import { msToNumber } from 'keel/common';
import { condition, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo, type Duration } from 'keel/workflow';
import type { createActivities } from './activities';

export interface Plan {
  customer: string;
  /** Charged each period. */
  amount: number;
  /** Default 30 days. */
  billingPeriod?: Duration;
  /** How many periods the plan runs at most. Default 12. */
  cycles?: number;
}

export interface BillingState {
  cyclesCharged: number;
  totalCharged: number;
  /** When the next charge is due, in the workflow's time; absent once the subscription ended. */
  nextChargeAt?: string;
  cancelled: boolean;
}

export const cancelSubscription = defineSignal('cancelSubscription');
export const getBilling = defineQuery<BillingState>('getBilling');

const { chargeCustomer, sendMail } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 hour' },
});

export async function subscription(plan: Plan): Promise<BillingState> {
  const state: BillingState = { cyclesCharged: 0, totalCharged: 0, cancelled: false };
  setHandler(cancelSubscription, () => {
    state.cancelled = true;
  });
  setHandler(getBilling, () => state);
  const period = plan.billingPeriod ?? '30 days';
  const cycles = plan.cycles ?? 12;

  await sendMail(plan.customer, 'welcome aboard');
  for (let cycle = 1; cycle <= cycles && !state.cancelled; cycle++) {
    // The key names this cycle of this subscription: a retry of the same charge is the same key.
    await chargeCustomer(plan.customer, plan.amount, `${workflowInfo().workflowId}/cycle-${cycle}`);
    state.cyclesCharged = cycle;
    state.totalCharged += plan.amount;
    if (cycle === cycles) break;
    state.nextChargeAt = new Date(Date.now() + msToNumber(period)).toISOString();
    // Sleep for the period, waking early if the customer cancels.
    await condition(() => state.cancelled, period);
  }
  state.nextChargeAt = undefined;
  await sendMail(plan.customer, state.cancelled ? 'sorry to see you go' : 'your plan has ended');
  return state;
}

