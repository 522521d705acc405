// Pending activities from describe: state, attempt, last failure and last heartbeat (decoded).
import type { ResponseOf } from '../../../protocol/api.js';
import { formatTime } from '../format.js';
import { DecodedJson } from './common.js';

type Pending = ResponseOf<'describeWorkflow'>['pendingActivities'][number];

export function PendingActivities({ pending, namespace }: { pending: readonly Pending[]; namespace: string }) {
  if (pending.length === 0) return <p class="muted">No pending activities.</p>;
  return (
    <ul class="pending">
      {pending.map((p) => (
        <li key={p.scheduledEventId} class="card">
          <h3>
            {p.activityType} <span class="muted">· activity {p.activityId}</span> <span class={`pill pill-${p.state.toLowerCase()}`}>{p.state.replace(/_/g, ' ').toLowerCase()}</span>
          </h3>
          <dl class="kv">
            <dt>Attempt</dt>
            <dd>
              {p.attempt}
              {p.maximumAttempts > 0 ? ` of ${p.maximumAttempts}` : ' (unlimited)'}
            </dd>
            <dt>Scheduled</dt>
            <dd>{formatTime(p.scheduledTime)}</dd>
            <dt>Last started</dt>
            <dd>{formatTime(p.lastStartedTime)}</dd>
            <dt>Last heartbeat</dt>
            <dd>{formatTime(p.lastHeartbeatTime)}</dd>
            {p.nextAttemptScheduleTime && (
              <>
                <dt>Next attempt</dt>
                <dd>{formatTime(p.nextAttemptScheduleTime)}</dd>
              </>
            )}
            {p.expirationTime && (
              <>
                <dt>Expires</dt>
                <dd>{formatTime(p.expirationTime)}</dd>
              </>
            )}
            {p.lastWorkerIdentity && (
              <>
                <dt>Worker</dt>
                <dd class="mono">{p.lastWorkerIdentity}</dd>
              </>
            )}
          </dl>
          {p.heartbeatDetails && p.heartbeatDetails.length > 0 && (
            <>
              <h4>Heartbeat details</h4>
              <DecodedJson value={p.heartbeatDetails} namespace={namespace} label="Heartbeat details" />
            </>
          )}
          {p.lastFailure && (
            <>
              <h4>Last failure</h4>
              <p class="error-text">
                {p.lastFailure.applicationFailureInfo?.type ? <strong>{p.lastFailure.applicationFailureInfo.type}: </strong> : null}
                {p.lastFailure.message}
              </p>
              <details>
                <summary>Failure details</summary>
                <DecodedJson value={p.lastFailure} namespace={namespace} label="Last failure" />
              </details>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
