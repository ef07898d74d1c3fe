"""Background jobs whose worker died finish by themselves: heartbeats, and a beat task that re-queues the silent.

A task decorated with `tracked` (imports, exports, check runs, raises, rosters) owns, while it runs, a row of
`JobHeartbeat` keyed by (kind, key) holding its task name and arguments, and a thread of its own refreshes that
row's `heartbeat_at` every JOBS_HEARTBEAT_SECONDS on its own autocommit connection. Why a thread with its own
connection, and a row beside the job's rather than a column of it:

* the job's work runs in long transactions (an import commit is one), whose writes nobody sees before COMMIT, and
  some of its statements run for seconds: a heartbeat written by the job itself would be invisible or late;
* the job's transaction locks its own row (`select_for_update`), so an UPDATE of that row from outside would wait
  behind it and go stale exactly while the job is busy;
* PostgreSQL rather than a Redis key with a TTL: the claim below must be one atomic conditional UPDATE with an
  attempt count that survives a Redis restart, and /healthz, the admin and the tests read it with SQL.

The same connection holds a session advisory lock on (kind, key) for the job's life. A second delivery of the same
job (a task re-queued by Celery after its pool child died, a user's retry) finds the lock taken and leaves; a
killed worker's connection closes with the process, which frees the lock at once.

`recover_stalled` (the beat task `core.recover_stalled_jobs`, every JOBS_SWEEP_SECONDS) claims the rows whose
heartbeat is older than JOBS_STALE_SECONDS with one `UPDATE … WHERE heartbeat_at < … RETURNING`, so each stall is
re-queued exactly once even with two beats, and sends the recorded task again; after JOBS_MAX_ATTEMPTS starts the
kind's `give_up` marks the job failed with a message. Every tracked task is idempotent (its writes are one
transaction, or resumable chunks, and a finished job is left alone), so the re-run converges to the state an
undisturbed run leaves.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# Set by celery.py when a worker starts: only a worker's jobs send heartbeats (a test or shell calling a task
# function directly runs it untracked).
IN_WORKER_ENV = "DALIAN_MINZHENG_IN_WORKER"


@dataclass(frozen=True)
class JobKind:
    name: str
    give_up: Callable[[str, str], None] | None  # (key, message): mark the job failed


KINDS: dict[str, JobKind] = {}


def register(name: str, *, give_up: Callable[[str, str], None] | None = None) -> None:
    KINDS[name] = JobKind(name, give_up)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _lock_sql(function: str) -> str:
    return f"SELECT {function}(hashtext('jobs:' || %s), hashtext(%s))"


class _Heartbeat(threading.Thread):
    """The thread that owns the job's heartbeat row and lock, on this thread's own database connection."""

    def __init__(self, kind: str, key: str, task: str, args: list, kwargs: dict):
        super().__init__(name=f"heartbeat {kind}:{key}", daemon=True)
        self.kind, self.key, self.task, self.args, self.kwargs = kind, key, task, args, kwargs
        self.stage = "started"
        self.worker = worker_id()
        self.ready = threading.Event()
        self.wake = threading.Event()
        self.done = False
        self.acquired = False
        self.error: Exception | None = None

    def run(self) -> None:
        from django.db import connection  # thread-local: a connection of this thread alone, in autocommit

        try:
            with connection.cursor() as cur:
                cur.execute(_lock_sql("pg_try_advisory_lock"), [self.kind, self.key])
                self.acquired = bool(cur.fetchone()[0])
                if self.acquired:
                    # attempts is kept on conflict: the sweeper counts the starts when it re-queues.
                    cur.execute(
                        """
                        INSERT INTO core_jobheartbeat
                            (kind, key, task, args, kwargs, stage, worker, attempts, started_at, heartbeat_at)
                        VALUES (%s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, 1, now(), now())
                        ON CONFLICT (kind, key) DO UPDATE SET task = EXCLUDED.task, args = EXCLUDED.args,
                            kwargs = EXCLUDED.kwargs, stage = EXCLUDED.stage, worker = EXCLUDED.worker,
                            started_at = now(), heartbeat_at = now()
                        """,
                        [self.kind, self.key, self.task, _json(self.args), _json(self.kwargs), self.stage, self.worker],
                    )
        except Exception as exc:  # the job itself decides (it runs untracked rather than not at all)
            self.error = exc
        finally:
            self.ready.set()
        if not self.acquired:
            connection.close()
            return
        interval = settings.JOBS_HEARTBEAT_SECONDS
        try:
            while not self.done:
                self.wake.wait(interval)
                self.wake.clear()
                if self.done:
                    break
                try:
                    with connection.cursor() as cur:
                        cur.execute(
                            "UPDATE core_jobheartbeat SET heartbeat_at = now(), stage = %s, worker = %s"
                            " WHERE kind = %s AND key = %s",
                            [self.stage, self.worker, self.kind, self.key],
                        )
                except Exception:
                    log.warning("heartbeat of %s:%s not written", self.kind, self.key, exc_info=True)
        finally:
            try:
                with connection.cursor() as cur:
                    cur.execute("DELETE FROM core_jobheartbeat WHERE kind = %s AND key = %s", [self.kind, self.key])
                    cur.execute(_lock_sql("pg_advisory_unlock"), [self.kind, self.key])
            finally:
                connection.close()

    def finish(self) -> None:
        self.done = True
        self.wake.set()
        self.join(timeout=30)


def _json(value) -> str:
    from django.core.serializers.json import DjangoJSONEncoder

    return json.dumps(value, cls=DjangoJSONEncoder)


_current = threading.local()


def stage(name: str) -> None:
    """Say which stage the current job is in (written with the next heartbeat). A no-op outside a tracked
    job. The tests' worker (tests/worker_app.py) wraps this function to hold a job at a named stage and kill it
    there; production code has no pause of its own."""
    beat: _Heartbeat | None = getattr(_current, "beat", None)
    if beat is None:
        return
    beat.stage = name[:40]


def stage_write_now() -> None:
    """Write the current stage with the next heartbeat at once rather than at the regular interval."""
    beat: _Heartbeat | None = getattr(_current, "beat", None)
    if beat is not None:
        beat.wake.set()


def current_kind() -> str | None:
    """The kind of the tracked job running in this thread, or None."""
    beat: _Heartbeat | None = getattr(_current, "beat", None)
    return beat.kind if beat is not None else None


class Busy(Exception):
    """The same job runs in another worker right now (it holds the job's lock)."""


def tracked(kind: str, *, task: str, key: Callable[..., str], bind: bool = False):
    """Wrap a task function (under @shared_task) so that, in a worker, it runs with a heartbeat (see above).
    `key(*args, **kwargs)` names the job from the task's arguments; with `bind` the first argument (the task
    itself) is left out of both. A second, concurrent delivery of the same job returns None without running."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            call_args = list(args[1:] if bind else args)
            if not os.environ.get(IN_WORKER_ENV) or getattr(_current, "beat", None) is not None:
                return fn(*args, **kwargs)  # not in a worker, or nested in another tracked job
            job_key = str(key(*call_args, **kwargs))[:100]
            beat = _Heartbeat(kind, job_key, task, call_args, kwargs)
            beat.start()
            beat.ready.wait(30)
            if beat.error is not None:
                log.warning("job %s:%s runs without a heartbeat: %s", kind, job_key, beat.error)
                return fn(*args, **kwargs)
            if not beat.acquired:
                log.info("job %s:%s is running in another worker; this delivery leaves it", kind, job_key)
                return None
            _current.beat = beat
            try:
                return fn(*args, **kwargs)
            finally:
                _current.beat = None
                beat.finish()

        return wrapper

    return decorate


def give_up_message() -> str:
    return _(
        "The background worker stopped %(attempts)s times while running this job; it is not retried again. "
        "Nothing half-done was kept. Start it again, or ask the administrator to check the worker."
    )


def recover_stalled() -> dict:
    """Re-queue (or, past the attempt limit, fail) every job whose heartbeat went silent. Returns what it did."""
    from django.db import connection

    from dalian_minzheng.celery import app

    stale = settings.JOBS_STALE_SECONDS
    limit = settings.JOBS_MAX_ATTEMPTS
    requeued, failed, alive = [], [], []
    with connection.cursor() as cur:
        # The claim: one statement, so a stall is taken by one sweeper once; heartbeat_at = now() gives the
        # re-queued task a full stale period to start before it could be claimed again.
        cur.execute(
            """
            UPDATE core_jobheartbeat SET attempts = attempts + 1, heartbeat_at = now(), stage = 'requeued', worker = ''
            WHERE heartbeat_at < now() - make_interval(secs => %s)
            RETURNING kind, key, task, args, kwargs, attempts
            """,
            [stale],
        )
        claimed = cur.fetchall()
        for kind, key, task, args, kwargs, attempts in claimed:
            # A job whose lock is still held has a live connection: slow heartbeats, not a dead worker.
            cur.execute(_lock_sql("pg_try_advisory_lock"), [kind, key])
            if not cur.fetchone()[0]:
                cur.execute(
                    "UPDATE core_jobheartbeat SET attempts = attempts - 1 WHERE kind = %s AND key = %s", [kind, key]
                )
                alive.append(f"{kind}:{key}")
                continue
            cur.execute(_lock_sql("pg_advisory_unlock"), [kind, key])
            if attempts > limit:
                cur.execute("DELETE FROM core_jobheartbeat WHERE kind = %s AND key = %s", [kind, key])
                handler = KINDS.get(kind)
                message = give_up_message() % {"attempts": attempts - 1}
                log.error("job %s:%s stopped %s times; marked failed", kind, key, attempts - 1)
                if handler is not None and handler.give_up is not None:
                    handler.give_up(key, message)
                failed.append(f"{kind}:{key}")
                continue
            log.warning("job %s:%s lost its worker; re-queued (start %s of %s)", kind, key, attempts, limit)
            # Django's driver setup hands jsonb to raw cursors as text (JSONField decodes it itself).
            args, kwargs = (json.loads(v) if isinstance(v, str) else v for v in (args, kwargs))
            app.send_task(task, args=list(args or []), kwargs=dict(kwargs or {}))
            requeued.append(f"{kind}:{key}")
    return {"requeued": requeued, "failed": failed, "alive": alive}


def heartbeat_summary() -> dict:
    """Running jobs and how many have gone silent (for /healthz)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE heartbeat_at < now() - make_interval(secs => %s)),
                   max(extract(epoch FROM now() - heartbeat_at))
            FROM core_jobheartbeat
            """,
            [settings.JOBS_STALE_SECONDS],
        )
        running, stale, oldest = cur.fetchone()
    return {"running": running, "stale": stale, "oldest_heartbeat_seconds": round(float(oldest or 0), 1)}
