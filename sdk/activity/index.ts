/**
 * `keel/activity`: what activity code imports, as `@temporalio/activity` has it.
 * @module
 */
export {
  Context,
  activityInfo,
  heartbeat,
  sleep,
  cancelled,
  cancellationSignal,
  log,
  activityLogAttributes,
  type Info,
  type ActivityCancellationReason,
} from './context.js';
export { CompleteAsyncError } from './complete-async-error.js';
export { ApplicationFailure, CancelledFailure } from '../common/index.js';
export type { ActivityFunction, UntypedActivities, UntypedActivities as ActivityInterface } from '../workflow/interfaces.js';
