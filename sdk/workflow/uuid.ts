// Owns `uuid4()`: workflow-safe UUIDs from the run's seeded PRNG.
import { assertInWorkflowContext } from './global-state.js';

/**
 * An RFC 4122 version-4 UUID from the run's seeded PRNG: the same on every replay, so safe in a
 * workflow (e.g. as an idempotency key for an activity). Not cryptographically secure.
 *
 * @example
 * const requestId = uuid4();
 */
export function uuid4(): string {
  return assertInWorkflowContext('uuid4()').random.uuid4();
}
