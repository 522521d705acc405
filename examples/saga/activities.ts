// Activities of the trip booking saga, against a pretend travel agency kept in memory. Every
// booking has an id the workflow chooses, so that booking and cancelling are idempotent: a
// retry finds the booking it made before, and cancelling one that was never made is a no-op.
import { ApplicationFailure } from 'keel/activity';
import type { Trip } from './workflows';

export class TravelAgency {
  /** Bookings that stand, by id. */
  readonly bookings = new Map<string, string>();
  readonly log: string[] = [];

  book(id: string, what: string): string {
    if (!this.bookings.has(id)) {
      this.bookings.set(id, what);
      this.log.push(`booked ${id}`);
    }
    return id;
  }

  cancel(id: string): void {
    if (this.bookings.delete(id)) this.log.push(`cancelled ${id}`);
  }
}

export function createActivities(agency = new TravelAgency()) {
  return {
    async bookCar(trip: Trip): Promise<string> {
      return agency.book(`${trip.id}-car`, `a car in ${trip.destination}`);
    },
    async bookHotel(trip: Trip): Promise<string> {
      return agency.book(`${trip.id}-hotel`, `${trip.nights} nights in ${trip.destination}`);
    },
    async bookFlight(trip: Trip): Promise<string> {
      // A business refusal: retrying cannot help, so the failure is marked non-retryable.
      if (trip.destination === 'Atlantis') throw ApplicationFailure.nonRetryable(`no flights to ${trip.destination}`, 'NoFlights');
      return agency.book(`${trip.id}-flight`, `a flight to ${trip.destination}`);
    },
    async cancelCar(bookingId: string): Promise<void> {
      agency.cancel(bookingId);
    },
    async cancelHotel(bookingId: string): Promise<void> {
      agency.cancel(bookingId);
    },
    async cancelFlight(bookingId: string): Promise<void> {
      agency.cancel(bookingId);
    },
  };
}
