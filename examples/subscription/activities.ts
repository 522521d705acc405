// Activities of the subscription: a payment provider and a mailer, kept in memory. Charges carry
// an idempotency key, so that a retried charge (the answer was lost, the worker died) is not
// charged twice.
export class Billing {
  /** Charges made, by idempotency key. */
  readonly charges = new Map<string, { customer: string; amount: number }>();
  readonly mails: string[] = [];
}

export function createActivities(billing = new Billing(), log: (line: string) => void = () => undefined) {
  return {
    async chargeCustomer(customer: string, amount: number, idempotencyKey: string): Promise<string> {
      if (!billing.charges.has(idempotencyKey)) {
        billing.charges.set(idempotencyKey, { customer, amount });
        log(`[billing] charged ${customer} ${amount} EUR (${idempotencyKey})`);
      }
      return idempotencyKey;
    },
    async sendMail(customer: string, text: string): Promise<void> {
      billing.mails.push(`${customer}: ${text}`);
      log(`[mail] to ${customer}: ${text}`);
    },
  };
}
