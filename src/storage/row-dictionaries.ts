/**
 * The preset dictionaries of the row codec (row-codec.ts), by version: FROZEN. A stored row names
 * the version it was deflated with in its first byte and is inflated with exactly those bytes, so a
 * dictionary once released is never edited — a better one is a new version, added beside it, and
 * the old ones stay for the rows they wrote (row-codec.test.ts pins each one's SHA-256).
 *
 * Version 1: every event type as a stored event has it, values that recur (failures, statuses), then
 * a closed one-activity workflow's run row (bench/workflows.ts `oneActivity`) with its ids zeroed and
 * a made-up worker identity. Deflate refers back to what it has seen, nearer matches costing fewer
 * bits, so the row that matches most comes last. Kept short on purpose: deflate primes its window with
 * the dictionary on every call, so its length is CPU on every closed run (a list of the keys of runs,
 * events and failures, 2 KB more, made a W1's row no smaller and another run's 2% smaller).
 */

/** Event types as a stored event has them (`"Type",{`, its attributes following). */
const EVENT_TYPES_V1 = [
  'WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted', 'WorkflowTaskTimedOut',
  'WorkflowTaskFailed', 'ActivityTaskScheduled', 'ActivityTaskStarted', 'ActivityTaskCompleted', 'ActivityTaskFailed',
  'ActivityTaskTimedOut', 'ActivityTaskCancelRequested', 'ActivityTaskCanceled', 'TimerStarted', 'TimerFired', 'TimerCanceled',
  'MarkerRecorded', 'WorkflowExecutionSignaled', 'WorkflowExecutionCancelRequested', 'WorkflowExecutionCompleted',
  'WorkflowExecutionFailed', 'WorkflowExecutionCanceled', 'WorkflowExecutionContinuedAsNew', 'WorkflowExecutionTerminated',
  'WorkflowExecutionTimedOut', 'UpsertWorkflowSearchAttributes', 'WorkflowPropertiesModified', 'WorkflowExecutionUpdateAccepted',
  'WorkflowExecutionUpdateCompleted', 'StartChildWorkflowExecutionInitiated', 'StartChildWorkflowExecutionFailed',
  'ChildWorkflowExecutionStarted', 'ChildWorkflowExecutionCompleted', 'ChildWorkflowExecutionFailed', 'ChildWorkflowExecutionCanceled',
  'ChildWorkflowExecutionTimedOut', 'ChildWorkflowExecutionTerminated', 'SignalExternalWorkflowExecutionInitiated',
  'ExternalWorkflowExecutionSignaled', 'SignalExternalWorkflowExecutionFailed', 'RequestCancelExternalWorkflowExecutionInitiated',
  'ExternalWorkflowExecutionCancelRequested', 'RequestCancelExternalWorkflowExecutionFailed',
];

/** Values that recur: failures, statuses, payload encodings. */
const VALUES_V1 =
  '"source":"TypeScriptSDK","stackTrace":"Error: \\n    at ","applicationFailureInfo":{"type":"Error","nonRetryable":false},' +
  '"retryState":"RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED","timeoutType":"START_TO_CLOSE","status":"FAILED","status":"TERMINATED",' +
  '"status":"CANCELED","status":"TIMED_OUT","status":"CONTINUED_AS_NEW","status":"RUNNING","encoding":"YmluYXJ5L251bGw=",' +
  '"encoding":"anNvbi9wcm90b2J1Zg==",';

/** A closed W1's run row: the run, `$usage`, `$q` (three request records) and `$h` (its eleven events). */
const W1_ROW_V1 = [
  '{"namespace":"default","workflowId":"w0","runId":"00000000-0000-0000-0000-000000000000","firstRunId":"00000000-0000-0000-0000-000000000000","workflowType":"oneActivity","taskQueue":"q","status":"COMPLETED","startTime":1796608973513,"executionTime":1796608973513,"workflowTaskTimeoutMs":10000,"attempt":1,"nextEventId":12,"buffered":[],"cancelRequested":false,"lastCompletedStartedEventId":9,"taskSeq":2,"lastEventTime":1796608973538,"historySizeBytes":2505,"closeEventId":11,"closeTime":1796608973538,"$usage":[3,4,0,5,5,0,0,0,1]',
  ',"$q":[["00000000-0000-0000-0000-000000000000","0000000000000000",1796608973513,{"runId":"00000000-0000-0000-0000-000000000000","started":true}],["00000000-0000-0000-0000-000000000000","0000000000000000",1796608973537,{"eager":[{"runId":"00000000-0000-0000-0000-000000000000","scheduledEventId":5,"attempt":1}],"historyEnd":{"nextEventId":6,"historySizeBytes":1345,"time":1796608973537}}],["00000000-0000-0000-0000-000000000000","0000000000000000",1796608973538,{"speculation":{"accepted":true},"eager":[]}]]',
  ',"$h":[',
  '[1,1796608973513,"WorkflowExecutionStarted",{"workflowType":"oneActivity","taskQueue":"q","input":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"ImhlbGxvIg=="}],"workflowTaskTimeoutMs":10000,"identity":"12345@worker","attempt":1,"originalExecutionRunId":"00000000-0000-0000-0000-000000000000","firstExecutionRunId":"00000000-0000-0000-0000-000000000000"}],',
  '[2,1796608973513,"WorkflowTaskScheduled",{"taskQueue":"q","startToCloseTimeoutMs":10000,"attempt":1}],',
  '[3,1796608973513,"WorkflowTaskStarted",{"scheduledEventId":2,"identity":"12345@worker","historySizeBytes":0}],',
  '[4,1796608973537,"WorkflowTaskCompleted",{"scheduledEventId":2,"startedEventId":3,"identity":"12345@worker"}],',
  '[5,1796608973537,"ActivityTaskScheduled",{"activityId":"1","activityType":"echo","taskQueue":"q","input":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"ImhlbGxvIg=="}],"startToCloseTimeoutMs":60000,"workflowTaskCompletedEventId":4,"retryPolicy":{"initialIntervalMs":1000,"backoffCoefficient":2,"maximumIntervalMs":100000,"maximumAttempts":0,"nonRetryableErrorTypes":[]}}],',
  '[6,1796608973537,"ActivityTaskStarted",{"scheduledEventId":5,"identity":"12345@worker","attempt":1}],',
  '[7,1796608973538,"ActivityTaskCompleted",{"result":{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"ImhlbGxvIg=="},"scheduledEventId":5,"startedEventId":6,"identity":"12345@worker"}],',
  '[8,1796608973538,"WorkflowTaskScheduled",{"taskQueue":"q/sticky/12345@worker/00000000000000000000000000000000","startToCloseTimeoutMs":10000,"attempt":1}],',
  '[9,1796608973538,"WorkflowTaskStarted",{"scheduledEventId":8,"identity":"12345@worker","historySizeBytes":1345}],',
  '[10,1796608973538,"WorkflowTaskCompleted",{"scheduledEventId":8,"startedEventId":9,"identity":"12345@worker"}],',
  '[11,1796608973538,"WorkflowExecutionCompleted",{"result":{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"ImhlbGxvIg=="},"workflowTaskCompletedEventId":10}]]}',
].join('');

const DICTIONARY_V1 = EVENT_TYPES_V1.map((t) => `"${t}",{`).join('') + VALUES_V1 + W1_ROW_V1;

/** Every dictionary a stored row may name, by the version in its first byte. */
export const ROW_DICTIONARIES: Readonly<Record<number, string>> = { 1: DICTIONARY_V1 };
