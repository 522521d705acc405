// Runs the trip-booking saga against a Keel service — `keel dev` by default:
//
//   keel dev                           # in one terminal
//   npx tsx examples/saga/main.ts      # in another (KEEL_ADDRESS to use another service)
//
// Books one trip that succeeds, and one whose flight cannot be booked: its car and hotel are
// cancelled again, in reverse order.
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError } from 'keel/client';
import { NativeConnection, Worker } from 'keel/worker';
import { TravelAgency, createActivities } from './activities';
import { bookTrip } from './workflows';

export const TASK_QUEUE = 'trips';
export const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/** Books a trip; resolves with its bookings, or with the reason it was not booked. */
export async function runTrip(client: Client, tripId: string, destination: string): Promise<{ booked: string[] } | { failed: string }> {
  try {
    const trip = await client.workflow.execute(bookTrip, { taskQueue: TASK_QUEUE, workflowId: `trip-${tripId}`, args: [{ id: tripId, destination, nights: 3 }] });
    return { booked: trip.bookings };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { failed: err.cause?.message ?? err.message };
    throw err;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const address = process.env.KEEL_ADDRESS ?? '127.0.0.1:7233';
  const agency = new TravelAgency();
  const worker = await Worker.create({ connection: await NativeConnection.connect({ address }), taskQueue: TASK_QUEUE, workflowsPath, activities: createActivities(agency) });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const stamp = Date.now();
  await worker.runUntil(async () => {
    console.log('Lisbon: ', JSON.stringify(await runTrip(client, `lisbon-${stamp}`, 'Lisbon')));
    console.log('Atlantis:', JSON.stringify(await runTrip(client, `atlantis-${stamp}`, 'Atlantis')));
  });
  console.log(`The agency's log:\n  ${agency.log.join('\n  ')}`);
}
