// Activities of the approval flow: they talk to the outside world (here, a log standing in for
// e-mail and a payment system). Made by a factory so that a test can hand in its own log.
import type { ExpenseReport } from './workflows';

export function createActivities(log: (line: string) => void = console.log) {
  return {
    async notifyApprovers(report: ExpenseReport): Promise<void> {
      log(`[mail] to approvers: ${report.employee} asks for ${report.amount} EUR (${report.description}) — approve or reject ${report.id}`);
    },
    async payExpense(report: ExpenseReport): Promise<string> {
      log(`[payments] paid ${report.amount} EUR to ${report.employee}`);
      return `payment-${report.id}`;
    },
    async notifyEmployee(report: ExpenseReport, outcome: string): Promise<void> {
      log(`[mail] to ${report.employee}: expense ${report.id} is ${outcome.toLowerCase()}`);
    },
  };
}
