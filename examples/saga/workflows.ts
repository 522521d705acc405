// A saga: book a car, a hotel and a flight; when a step fails, undo the steps already done, in
// reverse order, and fail the trip. Each compensation is registered *before* its step runs: the
// step may have taken effect even if its answer never came back, and the cancellations are
// idempotent, so undoing a booking that was never made is harmless.
import { ApplicationFailure, CancellationScope, proxyActivities, rootCause } from 'keel/workflow';
import type { createActivities } from './activities';

export interface Trip {
  id: string;
  destination: string;
  nights: number;
}

export interface BookedTrip {
  tripId: string;
  bookings: string[];
}

const { bookCar, bookHotel, bookFlight, cancelCar, cancelHotel, cancelFlight } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200ms', maximumAttempts: 5 },
});

export async function bookTrip(trip: Trip): Promise<BookedTrip> {
  const compensations: Array<() => Promise<void>> = [];
  const bookings: string[] = [];
  try {
    compensations.unshift(() => cancelCar(`${trip.id}-car`));
    bookings.push(await bookCar(trip));
    compensations.unshift(() => cancelHotel(`${trip.id}-hotel`));
    bookings.push(await bookHotel(trip));
    compensations.unshift(() => cancelFlight(`${trip.id}-flight`));
    bookings.push(await bookFlight(trip));
    return { tripId: trip.id, bookings };
  } catch (err) {
    // Compensations run even when the workflow itself is being cancelled.
    await CancellationScope.nonCancellable(async () => {
      for (const compensate of compensations) await compensate();
    });
    throw ApplicationFailure.nonRetryable(`trip ${trip.id} was not booked, and what was booked is cancelled: ${rootCause(err)}`, 'TripNotBooked');
  }
}
