#!/usr/bin/env python3
"""A Keel activity worker in Python, with the standard library only.

It serves two activities that a TypeScript workflow (workflows.ts) calls on one task queue:

  fetchDataset  a flaky source: fails retryably while attempt <= flakyAttempts, and
                non-retryably for a dataset that does not exist (DatasetNotFound)
  trainModel    a long activity: heartbeats each epoch with {epoch, loss}, resumes from the
                last heartbeat's details on a retry, and stops when the heartbeat's answer says
                its cancellation was requested

The protocol is the one in docs/http-api.md ("Write a worker in your language"): long-poll
activity tasks, run them, report each outcome once (with a requestId, so a retried report is
harmless). On SIGTERM or SIGINT it ends its waiting polls with the service's poll-cancel
endpoint, lets running activities see that the worker is stopping, and exits when they are done.

  KEEL_ADDRESS=127.0.0.1:7233 python3 examples/python-activities/worker.py
"""
import base64
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

TASK_QUEUE = os.environ.get('KEEL_TASK_QUEUE', 'python-activities')
# Set by a poller the service refuses; the worker then stops and exits 1.
failed = threading.Event()
# Longer than the service's long poll (20 s), so an empty answer, not a timeout, ends a poll.
POLL_TIMEOUT_S = 70
CALL_TIMEOUT_S = 30


# ---- the HTTP API ------------------------------------------------------------------------

class KeelError(Exception):
    """The service answered `{ error: { code, message } }`; decide on `code`."""

    def __init__(self, status, code, message):
        super().__init__(f'{status} {code}: {message}')
        self.status, self.code = status, code


class Keel:
    def __init__(self, address, namespace='default', api_key=None):
        base = address if '://' in address else f'http://{address}'
        self.api = f"{base}/api/v1/namespaces/{urllib.parse.quote(namespace, safe='')}"
        self.headers = {'content-type': 'application/json'}
        if api_key:
            self.headers['authorization'] = f'Bearer {api_key}'

    def call(self, path, body, timeout=CALL_TIMEOUT_S):
        """One POST. Raises KeelError for an error answer, OSError for a network failure."""
        req = urllib.request.Request(self.api + path, json.dumps(body).encode(), self.headers, method='POST')
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                return json.loads(res.read() or b'{}')
        except urllib.error.HTTPError as e:
            try:
                err = json.loads(e.read())['error']
            except (ValueError, KeyError, TypeError):
                err = {'code': 'UNAVAILABLE' if e.code in (502, 503, 504) else 'UNKNOWN', 'message': e.reason}
            raise KeelError(e.code, err['code'], err['message']) from None

    def call_retrying(self, path, body, attempts=10):
        """A call that must arrive (an activity's outcome): network failures, 429 and 503 are
        tried again with capped back-off. The body carries one requestId for every attempt, so
        an attempt that reached the service before its answer was lost changes nothing."""
        delay = 0.1
        for attempt in range(1, attempts + 1):
            try:
                return self.call(path, body)
            except KeelError as e:
                if e.status not in (429, 502, 503, 504) or attempt == attempts:
                    raise
            except OSError:
                if attempt == attempts:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 5)


def encode(value):
    """A value as a payload: base64 JSON bytes, with base64 metadata."""
    return {'metadata': {'encoding': base64.b64encode(b'json/plain').decode()},
            'data': base64.b64encode(json.dumps(value).encode()).decode()}


def decode(payload):
    encoding = base64.b64decode(payload.get('metadata', {}).get('encoding', '')).decode()
    data = base64.b64decode(payload.get('data', ''))
    if encoding == 'binary/null':
        return None
    if encoding != 'json/plain':
        raise ActivityError(f'cannot decode a payload encoded {encoding!r}', 'PayloadEncodingUnsupported', non_retryable=True)
    return json.loads(data)


# ---- what an activity sees -----------------------------------------------------------------

class ActivityError(Exception):
    """Temporal's ApplicationFailure: `type` names it for the retry policy's
    nonRetryableErrorTypes, and `non_retryable` stops retries whatever the policy says."""

    def __init__(self, message, type, non_retryable=False, details=None):
        super().__init__(message)
        self.type, self.non_retryable, self.details = type, non_retryable, details


class Cancelled(Exception):
    """Raised by heartbeat() once the service says the activity's cancellation was requested."""

    def __init__(self, details=None):
        super().__init__('activity cancelled')
        self.details = details


class Context:
    def __init__(self, keel, task, identity, stopping):
        self.keel, self.task, self.identity, self.stopping = keel, task, identity, stopping
        self.attempt = task['attempt']
        # The details of the last heartbeat of an earlier attempt: where to resume.
        self.heartbeat_details = [decode(p) for p in task.get('heartbeatDetails') or []]

    def heartbeat(self, details):
        """Records progress; raises Cancelled when cancellation was requested."""
        try:
            answer = self.keel.call('/activity-tasks/heartbeat', {
                'taskToken': self.task['taskToken'], 'details': [encode(details)], 'identity': self.identity})
        except KeelError as e:
            if e.code == 'TASK_NOT_FOUND':
                # Timed out or its run closed: nobody wants the result any more.
                raise Cancelled(details) from None
            if e.status in (429, 502, 503, 504):
                return  # transient: the next heartbeat carries the same progress
            raise
        except OSError:
            return  # a lost heartbeat is harmless; the next one carries the same progress
        if answer.get('cancelRequested'):
            raise Cancelled(details)

    def worker_stopping(self):
        return self.stopping.is_set()


# ---- the activities ----------------------------------------------------------------------

DATASETS = {'iris': [5.1, 4.9, 4.7, 4.6, 5.0, 5.4, 4.6, 5.0], 'digits': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}


def fetch_dataset(ctx, request):
    name = request['name']
    if name not in DATASETS:
        raise ActivityError(f'no dataset named {name!r}', 'DatasetNotFound', non_retryable=True)
    if ctx.attempt <= request.get('flakyAttempts', 0):
        raise ActivityError(f'the source did not answer (attempt {ctx.attempt})', 'SourceUnavailable')
    return DATASETS[name]


def train_model(ctx, request):
    rows, epochs, epoch_seconds = request['rows'], request['epochs'], request.get('epochSeconds', 0.05)
    mean = sum(rows) / len(rows)
    start, loss = 0, 1.0
    if ctx.heartbeat_details:
        start, loss = ctx.heartbeat_details[0]['epoch'], ctx.heartbeat_details[0]['loss']
    for epoch in range(start + 1, epochs + 1):
        if ctx.worker_stopping():
            # Retryable: another worker picks up from the last heartbeat's epoch.
            raise ActivityError('the worker is shutting down', 'WorkerShutdown')
        time.sleep(epoch_seconds)  # the work of one epoch
        loss = round(loss * 0.9, 6)
        ctx.heartbeat({'epoch': epoch, 'loss': loss})
    return {'epochs': epochs, 'loss': loss, 'mean': mean}


ACTIVITIES = {'fetchDataset': fetch_dataset, 'trainModel': train_model}


# ---- the task loop -----------------------------------------------------------------------

def failure(message, type, non_retryable, details=None, stack=''):
    """Temporal's Failure with an ApplicationFailureInfo."""
    info = {'type': type, 'nonRetryable': non_retryable}
    if details is not None:
        info['details'] = [encode(details)]
    return {'message': message, 'source': 'PythonStdlibWorker', 'stackTrace': stack, 'applicationFailureInfo': info}


def execute(keel, task, identity, stopping):
    """Runs the activity; returns the report to send: (path, fields, log line)."""
    name, attempt = task['activityType'], task['attempt']
    try:
        fn = ACTIVITIES.get(name)
        if fn is None:
            raise ActivityError(f'activity type {name!r} is not registered on this worker ({", ".join(ACTIVITIES)})', 'NotFoundError')
        result = fn(Context(keel, task, identity, stopping), *[decode(p) for p in task['input']])
        return '/activity-tasks/complete', {'result': encode(result)}, f'{name} completed (attempt {attempt})'
    except Cancelled as c:
        return '/activity-tasks/canceled', {'details': [encode(c.details)]}, f'{name} cancelled at {json.dumps(c.details)}'
    except ActivityError as e:
        return ('/activity-tasks/fail', {'failure': failure(str(e), e.type, e.non_retryable, e.details, traceback.format_exc())},
                f'{name} failed (attempt {attempt}): {e.type}{" non-retryable" if e.non_retryable else ""}')
    except Exception as e:  # anything else the activity threw: retryable, named by its class
        return ('/activity-tasks/fail', {'failure': failure(str(e), type(e).__name__, False, None, traceback.format_exc())},
                f'{name} failed (attempt {attempt}): {type(e).__name__}')


def run_task(keel, task, identity, stopping):
    path, fields, line = execute(keel, task, identity, stopping)
    try:
        # One requestId for every attempt of this report (see call_retrying).
        keel.call_retrying(path, {'taskToken': task['taskToken'], 'identity': identity, 'requestId': str(uuid.uuid4()), **fields})
        log(line)
    except KeelError as e:
        if e.code != 'TASK_NOT_FOUND':
            raise
        # Timed out, retried elsewhere or its run closed: the outcome is not wanted; drop it.
        log(f'{task["activityType"]}: the task is no longer wanted')


def poll_loop(keel, identity, poller_id, stopping):
    delay = 0.1
    while not stopping.is_set():
        try:
            answer = keel.call(f'/task-queues/{urllib.parse.quote(TASK_QUEUE, safe="")}/activity-tasks/poll',
                               {'identity': identity, 'pollerId': poller_id}, timeout=POLL_TIMEOUT_S)
            delay = 0.1
        except (KeelError, OSError) as e:
            if isinstance(e, KeelError) and e.status < 500 and e.status != 429:
                # Refused (an unknown key, a bad queue name): retrying cannot help. Stop the
                # whole worker the way SIGTERM does, and exit non-zero.
                log(f'poll refused, stopping: {e}')
                failed.set()
                os.kill(os.getpid(), signal.SIGTERM)
                return
            log(f'poll failed, retrying in {delay:.1f} s: {e}')
            stopping.wait(delay)
            delay = min(delay * 2, 5)
            continue
        task = answer.get('task')
        if task:  # a task brought back by a poll that ended during shutdown is still run
            try:
                run_task(keel, task, identity, stopping)
            except Exception:
                log(f'could not report the outcome of {task["activityType"]}; it will time out and retry:\n{traceback.format_exc()}')


def log(line):
    print(line, flush=True)


def main():
    keel = Keel(os.environ.get('KEEL_ADDRESS', '127.0.0.1:7233'), os.environ.get('KEEL_NAMESPACE', 'default'), os.environ.get('KEEL_API_KEY'))
    identity = f'python-worker-{os.getpid()}@{socket.gethostname()}'
    poller_id = str(uuid.uuid4())
    concurrency = int(os.environ.get('KEEL_MAX_CONCURRENT_ACTIVITIES', '4'))
    stopping = threading.Event()
    # The signals are taken by sigwait in this thread only; the pollers (which inherit the mask)
    # never see them, so a signal cannot interrupt a half-written report.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    pollers = [threading.Thread(target=poll_loop, args=(keel, identity, poller_id, stopping), daemon=True) for _ in range(concurrency)]
    for t in pollers:
        t.start()
    log(f'polling activity tasks on {TASK_QUEUE!r} as {identity}')
    sig = signal.sigwait({signal.SIGTERM, signal.SIGINT})
    stopping.set()
    # End the waiting polls now, rather than when their long poll would have ended (~20 s), so
    # the service hands no task to a poll nobody will read.
    try:
        cancelled = keel.call(f'/task-queues/{urllib.parse.quote(TASK_QUEUE, safe="")}/polls/cancel', {'kind': 'activity', 'pollerId': poller_id})['cancelled']
        log(f'{signal.Signals(sig).name}: ended {cancelled} waiting polls')
    except (KeelError, OSError) as e:
        log(f'{signal.Signals(sig).name}: could not end the waiting polls ({e}); they end with their long poll')
    for t in pollers:
        t.join()
    log('stopped')
    return 1 if failed.is_set() else 0


if __name__ == '__main__':
    sys.exit(main())
