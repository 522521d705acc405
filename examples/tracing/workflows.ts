// The traced workflow: reserves stock, then charges the card — two activities, so the trace
// shows a StartActivity and a RunActivity span for each, under RunWorkflow:order.
import { proxyActivities } from 'keel/workflow';
import type * as activities from './activities';

const { reserve, charge } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function order(item: string): Promise<string> {
  const reservation = await reserve(item);
  return charge(reservation);
}
