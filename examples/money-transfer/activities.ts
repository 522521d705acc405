// Activities of the money transfer, against a pretend bank kept in memory. The bank is flaky on
// purpose — it is sometimes unavailable, and sometimes does the work but loses the answer — and
// it is safe anyway: every call carries an idempotency key, and a key it has seen is answered
// with the first answer instead of moving the money again. Retries (by the activity's retry
// policy) plus idempotency keys give exactly-once effect.
import { ApplicationFailure } from 'keel/activity';

export interface BankOptions {
  /** The first this-many calls of each key fail as if the bank were down (retryable). */
  unavailableAttempts?: number;
  /** For these keys the bank moves the money but the answer is lost, once. */
  loseAnswerFor?: string[];
}

export class Bank {
  readonly balances = new Map<string, number>();
  /** Processed operations, by idempotency key: the answer a repeated call gets. */
  readonly processed = new Map<string, string>();
  readonly calls = new Map<string, number>();
  private readonly lost = new Set<string>();

  constructor(
    accounts: Record<string, number>,
    private readonly options: BankOptions = {},
  ) {
    for (const [account, balance] of Object.entries(accounts)) this.balances.set(account, balance);
  }

  /** Adds `delta` to `account` once per idempotency key; answers a transaction id. */
  apply(account: string, delta: number, idempotencyKey: string): string {
    const attempt = (this.calls.get(idempotencyKey) ?? 0) + 1;
    this.calls.set(idempotencyKey, attempt);
    if (attempt <= (this.options.unavailableAttempts ?? 0)) throw new Error('the bank is unavailable; try again later');
    const done = this.processed.get(idempotencyKey);
    if (done !== undefined) return done;
    const balance = this.balances.get(account);
    if (balance === undefined) throw ApplicationFailure.nonRetryable(`account ${account} does not exist`, 'InvalidAccount');
    if (balance + delta < 0) throw ApplicationFailure.nonRetryable(`account ${account} has ${balance}, not ${-delta}`, 'InsufficientFunds');
    this.balances.set(account, balance + delta);
    const transactionId = `tx-${this.processed.size + 1}`;
    this.processed.set(idempotencyKey, transactionId);
    if (this.options.loseAnswerFor?.includes(idempotencyKey) && !this.lost.has(idempotencyKey)) {
      this.lost.add(idempotencyKey);
      throw new Error('connection reset after the bank processed the request');
    }
    return transactionId;
  }
}

export function createActivities(bank: Bank) {
  return {
    async withdraw(account: string, amount: number, idempotencyKey: string): Promise<string> {
      return bank.apply(account, -amount, idempotencyKey);
    },
    async deposit(account: string, amount: number, idempotencyKey: string): Promise<string> {
      return bank.apply(account, amount, idempotencyKey);
    },
  };
}
