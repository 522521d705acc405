// A money transfer: withdraw from one account, deposit into another. Transient failures are
// retried with back-off by the activities' retry policy; business failures (no such account,
// not enough money) are not. If the deposit fails for good, the withdrawal is refunded.
// The idempotency keys derive from the transfer id, so every retry of a step — and every replay
// of this workflow — sends the same key, and the bank moves the money once.
import { ApplicationFailure, proxyActivities, rootCause } from 'keel/workflow';
import type { createActivities } from './activities';

export interface Transfer {
  /** Names the transfer; the workflow id and the idempotency keys derive from it. */
  id: string;
  from: string;
  to: string;
  amount: number;
}

export interface TransferReceipt {
  transferId: string;
  withdrawal: string;
  deposit: string;
}

const { withdraw, deposit } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['InvalidAccount', 'InsufficientFunds'],
  },
});

export async function moneyTransfer(t: Transfer): Promise<TransferReceipt> {
  const withdrawal = await withdraw(t.from, t.amount, `${t.id}/withdraw`);
  try {
    const depositId = await deposit(t.to, t.amount, `${t.id}/deposit`);
    return { transferId: t.id, withdrawal, deposit: depositId };
  } catch (err) {
    await deposit(t.from, t.amount, `${t.id}/refund`);
    throw ApplicationFailure.nonRetryable(`transfer ${t.id} failed and was refunded: ${rootCause(err)}`, 'TransferRefunded');
  }
}
