// A task queue at a glance, for the run's queue on the execution page: the workers polling it,
// its backlog and how long tasks waited in it before a worker took them (schedule-to-start), for
// workflow and activity tasks.
import { useEffect, useState } from 'preact/hooks';
import type { ResponseOf } from '../../../protocol/api.js';
import { api } from '../api.js';
import { formatDuration } from '../format.js';
import { ErrorNote } from './common.js';

type Queue = ResponseOf<'describeTaskQueue'>;

export function TaskQueuePanel({ namespace, taskQueue, refresh }: { namespace: string; taskQueue: string; refresh: unknown }) {
  const [queues, setQueues] = useState<Array<[kind: 'workflow' | 'activity', Queue]>>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    Promise.all((['workflow', 'activity'] as const).map(async (kind) => [kind, await api.describeTaskQueue(namespace, taskQueue, kind)] as [typeof kind, Queue])).then(
      (q) => live && (setQueues(q), setError(undefined)),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [namespace, taskQueue, refresh]);
  if (error) return <ErrorNote error={error} />;
  if (!queues) return null;
  return (
    <section aria-labelledby="tq-h" class="task-queue">
      <h2 id="tq-h">
        Task queue <span class="mono">{taskQueue}</span>
      </h2>
      <div class="table-wrap">
        <table class="list" aria-label={`Task queue ${taskQueue}`}>
          <thead>
            <tr>
              <th>Tasks</th>
              <th>Pollers (last 5 min)</th>
              <th>Backlog</th>
              <th>Schedule-to-start (average)</th>
              <th>Tasks started</th>
            </tr>
          </thead>
          <tbody>
            {queues.map(([kind, q]) => (
              <tr key={kind}>
                <td>{kind}</td>
                <td title={q.pollers.map((p) => p.identity).join('\n')}>{q.pollers.length}</td>
                <td>{q.backlogCount.toLocaleString()}</td>
                <td>{q.scheduleToStart && q.scheduleToStart.count > 0 ? formatDuration(q.scheduleToStart.averageMs) : '—'}</td>
                <td>{q.scheduleToStart?.count.toLocaleString() ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
