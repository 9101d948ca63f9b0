"""Match runs off the request: the background thread, RQ on Redis, progress, one run per park.

The RQ tests use the local Redis (``REDIS_TEST_URL``, default database 13 of
127.0.0.1:6379) with a queue name of their own, and RQ's SimpleWorker in
burst mode (or ``flask --app wsgi worker --burst`` in a subprocess, which
forks a work horse as in production). They are skipped when Redis does not
answer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from exchange.domain.errors import Conflict
from exchange.persistence import db
from exchange.persistence.models import Link, MatchRun, UnmatchedEntry, utcnow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/13")
QILU = (36.80, 118.25)
JINAN = (36.70776, 117.08796)


def _world(make_row: Any) -> None:
    """A fly-ash pair in qilu-chemical and one in jinan-qibuqu."""
    from exchange.services.listings import import_rows

    import_rows([
        make_row(ref="Q-ASH", organisation="Qilu Power", lat=QILU[0], lon=QILU[1], quantity=1000),
        make_row(ref="Q-NEED", organisation="Qilu Cement", role="sink", grade="II", lat=QILU[0] + 0.01,
                 lon=QILU[1] + 0.01, quantity=600),
        make_row(ref="J-ASH", organisation="Jinan Power", lat=JINAN[0], lon=JINAN[1], quantity=800),
        make_row(ref="J-NEED", organisation="Jinan Cement", role="sink", grade="II", lat=JINAN[0] + 0.01,
                 lon=JINAN[1] + 0.01, quantity=500),
    ])


@pytest.fixture()
def people(app, make_user, bearer, make_row):  # type: ignore[no-untyped-def]
    _world(make_row)
    out = {}
    for name, role, park in (("qilu", "park_manager", "qilu-chemical"), ("jinan", "park_manager", "jinan-qibuqu"),
                             ("admin", "admin", None), ("member", "member", None)):
        _, token = make_user(f"{name}@example.cn", org=f"{name} org", role=role, park=park)
        out[name] = bearer(token)
    return out


@pytest.fixture()
def held_matcher(monkeypatch):  # type: ignore[no-untyped-def]
    """The matcher waits for ``release.set()`` before it runs (so a run stays 'running' while we look)."""
    import exchange.services.matching as service

    release, entered = threading.Event(), threading.Semaphore(0)
    real = service.match

    def slow(*args: Any, **kwargs: Any) -> Any:
        entered.release()
        assert release.wait(60), "the test never released the matcher"
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "match", slow)
    yield release, entered
    release.set()


def _poll(client: Any, url: str, headers: dict[str, str], until: tuple[str, ...] = ("done", "failed"),
          seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        body = client.get(url, headers=headers).get_json()
        if body["status"] in until or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


# --------------------------------------------------------------------------- the thread path (no REDIS_URL)


def test_a_small_run_comes_back_done_within_the_wait(app, client, people):
    res = client.post("/api/v1/match-runs", json={"park": "qilu-chemical"}, headers=people["qilu"])
    assert res.status_code == 201, res.get_json()
    run = res.get_json()
    assert run["status"] == "done" and run["stage"] == "done" and run["progress"] == 1.0 and run["links"] == 1
    assert res.headers["Location"].endswith(f"/api/v1/match-runs/{run['id']}")
    stored = db.session.get(MatchRun, run["id"])
    assert stored.job.startswith("thread:") and stored.started_by_id is not None
    assert stored.stats["load_seconds"] >= 0 and stored.stats["store_seconds"] >= 0


def test_progress_is_visible_and_a_second_run_of_the_park_gets_409(app, client, people, held_matcher):
    release, entered = held_matcher
    res = client.post("/api/v1/match-runs", json={"wait": 0}, headers=people["qilu"])
    assert res.status_code == 201
    first = res.get_json()
    assert first["status"] in ("queued", "running") and first["park"] == "qilu-chemical"
    assert entered.acquire(timeout=30)
    going = client.get(res.headers["Location"], headers=people["qilu"]).get_json()
    assert going["status"] == "running" and going["stage"] == "matching"
    assert 0.0 < going["progress"] < 0.8 and going["updated_at"]

    again = client.post("/api/v1/match-runs", json={}, headers=people["qilu"])
    assert again.status_code == 409
    err = again.get_json()["error"]
    assert err["code"] == "conflict" and f"run {first['id']}" in err["message"]
    assert err["details"]["run_id"] == [first["id"]]
    # the whole province holds every park: it must wait too
    assert client.post("/api/v1/match-runs", json={}, headers=people["admin"]).status_code == 409
    # another park is free
    other = client.post("/api/v1/match-runs", json={"park": "jinan-qibuqu", "wait": 0}, headers=people["admin"])
    assert other.status_code == 201
    assert entered.acquire(timeout=30)

    release.set()
    done = _poll(client, res.headers["Location"], people["qilu"])
    assert done["status"] == "done" and done["progress"] == 1.0 and done["links"] == 1
    assert _poll(client, other.headers["Location"], people["admin"])["status"] == "done"
    # now the province may run, and while it does no park may
    province = client.post("/api/v1/match-runs", json={}, headers=people["admin"])
    assert province.status_code == 201 and province.get_json()["status"] == "done"
    assert province.get_json()["links"] == 2


def test_a_province_run_holds_every_park(app, client, people, held_matcher):
    release, entered = held_matcher
    res = client.post("/api/v1/match-runs", json={"wait": 0}, headers=people["admin"])
    assert res.status_code == 201 and entered.acquire(timeout=30)
    for who, park in (("qilu", "qilu-chemical"), ("jinan", "jinan-qibuqu"), ("admin", "chiping-xinyuan")):
        r = client.post("/api/v1/match-runs", json={"park": park}, headers=people[who])
        assert r.status_code == 409, (who, r.get_json())
    release.set()
    assert _poll(client, res.headers["Location"], people["admin"])["status"] == "done"


def test_a_failing_run_is_marked_failed_and_frees_its_park(app, client, people, monkeypatch):
    import exchange.services.matching as service

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(service, "match", broken)
    res = client.post("/api/v1/match-runs", json={}, headers=people["qilu"])
    assert res.status_code == 201
    run = _poll(client, res.headers["Location"], people["qilu"])
    assert run["status"] == "failed" and run["stage"] == "failed" and "solver exploded" in run["error"]
    monkeypatch.undo()
    again = client.post("/api/v1/match-runs", json={}, headers=people["qilu"])
    assert again.status_code == 201 and again.get_json()["status"] == "done"


def test_the_run_started_from_the_page_still_answers_when_done(app, client, people):
    """The pages call matching.start_run: with the default wait a small run is done when it returns."""
    from exchange.services.accounts import user_for_api_token
    from exchange.services.matching import start_run

    token = people["jinan"]["Authorization"].split()[1]
    run = start_run(user_for_api_token(token))
    assert run.status == "done" and run.park == "jinan-qibuqu" and run.finished_at is not None


# --------------------------------------------------------------------------- one run per park, at the database


def test_simultaneous_starts_of_one_park_give_one_run(app, make_row, held_matcher):
    """Eight threads open a run of the same park at once: one gets it, seven get Conflict."""
    from exchange.services.matching import open_run

    _world(make_row)
    barrier = threading.Barrier(8)
    results: list[Any] = []

    def one() -> None:
        with app.app_context():
            barrier.wait()
            try:
                results.append(open_run(park="qilu-chemical").id)
            except Conflict as err:
                results.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [r for r in results if isinstance(r, int)]
    assert len(ids) == 1 and len(results) == 8, results
    assert db.session.scalar(select(func.count()).select_from(MatchRun)) == 1


def test_a_run_whose_process_died_is_released(app, make_row):
    from exchange.services.matching import open_run, run_match

    _world(make_row)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    import socket

    stuck = MatchRun(solver="ortools", status="running", stage="solving", progress=0.5, park="qilu-chemical",
                     settings={}, summary={}, stats={}, updated_at=utcnow(), job=f"thread:{socket.gethostname()}:{pid}")
    alive = MatchRun(solver="ortools", status="running", stage="solving", progress=0.5, park="jinan-qibuqu",
                     settings={}, summary={}, stats={}, updated_at=utcnow(),
                     job=f"thread:{socket.gethostname()}:{os.getpid()}")
    db.session.add_all([stuck, alive])
    db.session.commit()
    run, _ = run_match(park="qilu-chemical")
    assert run.status == "done"
    db.session.refresh(stuck)
    assert stuck.status == "failed" and f"process {pid} is gone" in stuck.error
    with pytest.raises(Conflict):
        open_run(park="jinan-qibuqu")  # its process (this one) lives: still held


def test_a_run_without_heartbeat_for_the_job_timeout_is_released(app, make_row):
    from datetime import timedelta

    from exchange.services.matching import run_match

    _world(make_row)
    old = MatchRun(solver="ortools", status="queued", stage="queued", progress=0.0, park=None, settings={},
                   summary={}, stats={}, updated_at=utcnow() - timedelta(seconds=app.config["MATCH_JOB_TIMEOUT"] + 61),
                   job="rq:elsewhere")
    db.session.add(old)
    db.session.commit()
    run, _ = run_match()
    db.session.refresh(old)
    assert run.status == "done" and old.status == "failed" and "no progress since" in old.error


# --------------------------------------------------------------------------- the RQ path


def _redis_or_skip() -> Any:
    from redis import Redis
    from redis.exceptions import RedisError

    conn = Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        conn.ping()
    except (RedisError, OSError):
        pytest.skip(f"Redis at {REDIS_TEST_URL} does not answer")
    return conn


@pytest.fixture()
def rq_app(app):  # type: ignore[no-untyped-def]
    """The app with REDIS_URL set and a queue of this test's own (emptied afterwards)."""
    from rq import Queue

    conn = _redis_or_skip()
    name = f"test-match-runs-{uuid.uuid4().hex[:10]}"
    app.config.update(REDIS_URL=REDIS_TEST_URL, RQ_QUEUE=name)
    yield app
    q = Queue(name, connection=conn)
    for registry in (q.finished_job_registry, q.failed_job_registry, q.started_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    q.delete(delete_jobs=True)


def test_with_redis_a_run_is_queued_and_the_worker_runs_it(rq_app, client, people):
    from exchange.services.jobs import queue, work

    res = client.post("/api/v1/match-runs", json={"wait": 0}, headers=people["qilu"])
    assert res.status_code == 201
    run = res.get_json()
    assert run["status"] == "queued" and run["stage"] == "queued" and run["progress"] == 0.0
    stored = db.session.get(MatchRun, run["id"])
    assert stored.job.startswith("rq:match-run-")
    assert queue().count == 1
    # while it waits in the queue the park is held
    assert client.post("/api/v1/match-runs", json={}, headers=people["qilu"]).status_code == 409

    assert work(rq_app, burst=True, simple=True) is True
    done = client.get(res.headers["Location"], headers=people["qilu"]).get_json()
    assert done["status"] == "done" and done["links"] == 1 and done["progress"] == 1.0
    assert queue().count == 0 and queue().finished_job_registry.count == 1


def test_with_redis_a_failing_job_marks_its_run_failed(rq_app, client, people, monkeypatch):
    import exchange.services.matching as service
    from exchange.services.jobs import queue, work

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(service, "match", broken)
    res = client.post("/api/v1/match-runs", json={"wait": 0}, headers=people["qilu"])
    work(rq_app, burst=True, simple=True)
    run = client.get(res.headers["Location"], headers=people["qilu"]).get_json()
    assert run["status"] == "failed" and "solver exploded" in run["error"]
    assert queue().failed_job_registry.count == 1


def test_a_job_that_vanished_from_the_queue_releases_its_park(rq_app, client, people):
    from exchange.services.jobs import queue

    res = client.post("/api/v1/match-runs", json={"wait": 0}, headers=people["qilu"])
    assert queue().empty() == 1  # the queue and its job are gone, e.g. Redis lost its data
    again = client.post("/api/v1/match-runs", json={"wait": 0}, headers=people["qilu"])
    assert again.status_code == 201
    db.session.expire_all()
    first = db.session.get(MatchRun, res.get_json()["id"])
    assert first.status == "failed" and "no longer on the queue" in first.error


def test_redis_down_gives_503_and_leaves_the_park_free(app, client, people):
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0")
    res = client.post("/api/v1/match-runs", json={}, headers=people["qilu"])
    assert res.status_code == 503
    err = res.get_json()["error"]
    assert err["code"] == "unavailable" and "job queue" in err["message"]
    assert db.session.scalar(select(MatchRun.status)) == "failed"
    app.config.update(REDIS_URL="")
    assert client.post("/api/v1/match-runs", json={}, headers=people["qilu"]).status_code == 201


@pytest.mark.slow
def test_the_worker_command_runs_queued_runs_in_a_forked_work_horse(rq_app, client, people, database_url):
    """``flask --app wsgi worker --burst`` as production runs it: a forked horse, its own connections."""
    ids = []
    for who, park in (("qilu", "qilu-chemical"), ("jinan", "jinan-qibuqu")):
        res = client.post("/api/v1/match-runs", json={"park": park, "wait": 0}, headers=people[who])
        assert res.status_code == 201 and res.get_json()["status"] == "queued"
        ids.append(res.get_json()["id"])
    db.session.remove()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_TEST_URL,
           "RQ_QUEUE": rq_app.config["RQ_QUEUE"], "PYTHONPATH": ROOT}
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    out = subprocess.run([flask, "--app", "wsgi", "worker", "--burst"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"worker for queue {rq_app.config['RQ_QUEUE']}" in out.stdout
    for run_id in ids:
        run = db.session.get(MatchRun, run_id)
        assert run.status == "done", (run.status, run.error, out.stdout[-2000:], out.stderr[-2000:])
        assert db.session.scalar(select(func.count()).select_from(Link).where(Link.match_run_id == run_id)) == 1
    assert db.session.scalar(select(func.count()).select_from(UnmatchedEntry)) == 2


def test_running_a_worker_in_process_leaves_the_signal_handlers_as_they_were(rq_app):
    """RQ installs warm-shutdown handlers; a process forked later (the matcher's pool) must still die on SIGTERM."""
    import signal

    from exchange.services.jobs import work

    before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    work(rq_app, burst=True, simple=True)
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
