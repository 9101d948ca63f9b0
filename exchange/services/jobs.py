"""Match runs off the web request: RQ on Redis in production, a background thread without it.

* ``REDIS_URL`` set: :func:`dispatch` enqueues :func:`run_queued` on the RQ
  queue ``RQ_QUEUE``; ``flask --app wsgi worker`` (:func:`work`) runs it in a
  forked work horse with a time limit of ``MATCH_JOB_TIMEOUT`` seconds. A job
  that raises, times out, or whose horse is killed marks its run ``failed``.
* ``REDIS_URL`` unset (the embedded default): a thread of the web process
  runs it with its own app context and database session.

Either way the web worker only waits ``MATCH_RUN_WAIT`` seconds (far below
gunicorn's timeout) and answers with the run's status and progress.

A run holds its park until it ends. If its worker died without saying so,
:func:`abandoned` recognises it when the next run of that park is asked for:
its thread's process is gone (same host), its RQ job failed or vanished, or it
has had no heartbeat for the job timeout plus a minute.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from exchange.domain.errors import ExchangeError
from exchange.persistence import db
from exchange.persistence.models import RUN_ACTIVE, MatchRun, utcnow

log = logging.getLogger("exchange.jobs")

#: the app a worker process runs jobs with (set by :func:`work`; forked horses inherit it)
_worker_app: Flask | None = None
_worker_pid: int | None = None
#: the worker forks a work horse per job: the parent must hold no pooled connection when it forks
_worker_forks = False


class QueueUnavailable(ExchangeError):
    """The job queue (Redis) does not answer; nothing was started."""

    status = 503
    code = "unavailable"


# --------------------------------------------------------------------------- sending a run off


def redis_connection(url: str) -> Any:
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


def queue(app: Flask | None = None) -> Any:
    """The app's RQ queue."""
    from rq import Queue

    cfg = (app or current_app).config
    return Queue(cfg["RQ_QUEUE"], connection=redis_connection(cfg["REDIS_URL"]),
                 default_timeout=int(cfg["MATCH_JOB_TIMEOUT"]))


def dispatch(run_id: int) -> str:
    """Send a queued run to RQ (``REDIS_URL`` set) or a background thread; returns the run's ``job``."""
    from .matching import this_process

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("REDIS_URL"):
        from redis.exceptions import RedisError
        from rq import Callback

        job_id = f"match-run-{run_id}-{uuid.uuid4().hex[:12]}"
        where = f"rq:{job_id}"
        _set_job(run_id, where)
        try:
            queue(app).enqueue(run_queued, run_id, job_id=job_id, job_timeout=int(app.config["MATCH_JOB_TIMEOUT"]),
                               result_ttl=3600, failure_ttl=7 * 86400, on_failure=Callback(on_job_failure),
                               description=f"match run {run_id}")
        except (RedisError, OSError) as exc:
            _fail(run_id, f"the job queue did not answer: {type(exc).__name__}: {exc}")
            raise QueueUnavailable(f"the job queue (Redis) does not answer; match run {run_id} was not started",
                                   {"queue": [f"{type(exc).__name__}: {exc}"[:300]]}) from None
        log.info("match run %s queued on RQ", run_id, extra={"run_id": run_id, "job": where})
        return where
    where = this_process("thread")
    _set_job(run_id, where)
    # not a daemon: a gunicorn worker that is told to stop (restart, max_requests) lets the run finish first,
    # within graceful_timeout; a run cut off anyway is released by `abandoned` (its process is gone)
    t = threading.Thread(target=_thread_main, args=(app, run_id, where), name=f"match-run-{run_id}", daemon=False)
    t.start()
    log.info("match run %s started in a background thread", run_id, extra={"run_id": run_id, "job": where})
    return where


def _set_job(run_id: int, where: str) -> None:
    db.session.execute(update(MatchRun).where(MatchRun.id == run_id).values(job=where)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _fail(run_id: int, error: str) -> None:
    """Mark a run failed if it has not ended (its own transaction)."""
    db.session.rollback()
    db.session.execute(update(MatchRun).where(MatchRun.id == run_id, MatchRun.status.in_(RUN_ACTIVE)).values(
        status="failed", stage="failed", error=error[:2000], finished_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.commit()


def _thread_main(app: Flask, run_id: int, where: str) -> None:
    with app.app_context():
        _execute_logged(run_id, where)


def _execute_logged(run_id: int, where: str) -> None:
    from .matching import execute_run

    try:
        execute_run(run_id, job=where)
    except Exception:  # noqa: BLE001 - already logged and stored on the run by execute_run
        pass
    except BaseException as exc:  # SystemExit from a timeout or a stop signal: say so on the run
        _fail(run_id, f"stopped: {type(exc).__name__}")
        raise
    finally:
        db.session.remove()


def wait_for(run_id: int, seconds: float) -> str:
    """Poll the run's status for up to ``seconds``; returns the last status seen."""
    deadline = time.monotonic() + max(seconds, 0.0)
    delay = 0.05
    while True:
        status = db.session.scalar(select(MatchRun.status).where(MatchRun.id == run_id)) or "failed"
        db.session.rollback()  # no transaction (and no snapshot) held while waiting
        if status not in RUN_ACTIVE or time.monotonic() >= deadline:
            return status
        time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
        delay = min(delay * 1.5, 0.5)


# --------------------------------------------------------------------------- the RQ side


def run_queued(run_id: int) -> str:
    """RQ job: execute one queued run (in the worker's app; a forked horse gets fresh connections)."""
    app = _app()
    if _worker_pid is not None and os.getpid() != _worker_pid:
        # a forked work horse must not use the parent's pooled connections (the parent keeps none; this
        # is the guard SQLAlchemy documents for forks: a new pool, the old one left untouched)
        with app.app_context():
            db.engine.dispose(close=False)
    with app.app_context():
        from .matching import execute_run

        job_id = os.environ.get("RQ_JOB_ID")
        try:
            done = execute_run(run_id, job=f"rq:{job_id}" if job_id else None)
        finally:
            db.session.remove()
    return "skipped" if done is None else "done"


def _app() -> Flask:
    """The worker's app (a plain `rq worker` builds one from the environment on first use)."""
    global _worker_app
    if _worker_app is None:
        from exchange import create_app

        _worker_app = create_app()
    return _worker_app


def on_job_failure(job: Any, connection: Any, exc_type: Any, exc_value: Any, tb: Any) -> None:
    """RQ failure callback (an exception or a timeout in the horse): the run is failed."""
    _fail_from_worker(job, f"{getattr(exc_type, '__name__', exc_type)}: {exc_value}")


def on_horse_killed(job: Any, retpid: int, ret_val: int, rusage: Any) -> None:
    """RQ: the work horse died (killed, out of memory): the run is failed."""
    _fail_from_worker(job, f"the worker process {retpid} died (status {ret_val})")


def _fail_from_worker(job: Any, error: str) -> None:
    try:
        run_id = int(job.args[0])
    except (AttributeError, IndexError, TypeError, ValueError):
        return
    with _app().app_context():
        try:
            _fail(run_id, error)
        finally:
            db.session.remove()
            if _worker_forks:  # the next horse must not inherit this connection
                db.engine.dispose()
    log.error("match run %s failed in the worker: %s", run_id, error, extra={"run_id": run_id})


def work(app: Flask, *, burst: bool = False, simple: bool = False, queue_name: str | None = None) -> bool:
    """Run an RQ worker on the app's queue (``flask --app wsgi worker``); returns whether it did any job.

    ``simple``: run jobs in this process (no fork; for tests and debugging).
    """
    global _worker_app, _worker_pid, _worker_forks
    from rq import Queue, SimpleWorker, Worker

    _worker_app, _worker_pid, _worker_forks = app, os.getpid(), not simple
    if not simple:
        with app.app_context():
            db.engine.dispose()  # no pooled connection crosses the fork into a work horse
    conn = redis_connection(app.config["REDIS_URL"])
    q = Queue(queue_name or app.config["RQ_QUEUE"], connection=conn)
    cls = SimpleWorker if simple else Worker
    worker = cls([q], connection=conn, work_horse_killed_handler=on_horse_killed)
    # RQ installs its own SIGTERM/SIGINT handlers (warm shutdown); put the caller's back afterwards, or every
    # process later forked from this one (the matcher's pool workers) ignores a plain SIGTERM
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return bool(worker.work(burst=burst, logging_level=app.config.get("LOG_LEVEL") or "INFO"))
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


# --------------------------------------------------------------------------- runs whose worker died


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned(run: MatchRun) -> str | None:
    """Why a queued or running run will never finish, or None if it may still."""
    from .matching import stale_before

    beat = run.updated_at or run.started_at
    if beat is not None:
        if beat.tzinfo is None:
            from datetime import timezone

            beat = beat.replace(tzinfo=timezone.utc)
        if beat < stale_before():
            return f"no progress since {beat.isoformat()}"
    where = run.job or ""
    kind, _, rest = where.partition(":")
    if kind in ("thread", "inline"):
        host, _, pid = rest.rpartition(":")
        if host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
            return f"its process {pid} is gone"
    elif kind == "rq" and current_app.config.get("REDIS_URL"):
        from redis.exceptions import RedisError
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            job = Job.fetch(rest, connection=redis_connection(current_app.config["REDIS_URL"]))
            status = job.get_status(refresh=False)
        except NoSuchJobError:
            return f"its job {rest} is no longer on the queue"
        except (RedisError, OSError):
            return None  # cannot tell: keep it
        if status is not None and str(getattr(status, "value", status)) in ("failed", "stopped", "canceled"):
            return f"its job {rest} {getattr(status, 'value', status)}"
    return None
