"""Match-run use case: load active listings, run the matcher, store the run.

A new run keeps what the parties agreed: links that are accepted, approved or
active stay as they are, and the matcher plans only what is left of each
listing (its quantity minus ``committed``). The open links (proposed,
interest) of the listings the run re-plans are marked ``superseded``; interest
already shown on a pair carries over to the new link of the same pair.

A run's life: :func:`open_run` stores it ``queued`` (one run per park at a
time: a run of the whole province holds every park; a second request gets
:class:`~exchange.domain.errors.Conflict`), then :func:`execute_run` claims it
(``running``), loads the listings (one Core select), runs the matcher, and
stores links and unmatched entries with bulk inserts in one transaction
(``done``). ``stage`` and ``progress`` say how far it is. :func:`run_match`
does both in the caller's process (CLI, tests); :func:`start_run` hands the
run to :mod:`exchange.services.jobs` (RQ or a thread) and waits a little.
"""

from __future__ import annotations

import gc
import inspect
import json
import logging
import os
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import JSON, func, or_, select, text, update

from exchange.domain.errors import Conflict, NotFound
from exchange.domain.factors import Defaults
from exchange.matching import MatchResult, match
from exchange.persistence import db
from exchange.persistence import repositories as repo
from exchange.persistence.models import (OPEN, RUN_ACTIVE, Link, Listing, MatchRun, UnmatchedEntry, User, iso_utc,
                                         utcnow)

log = logging.getLogger("exchange.matching")

#: the part of the whole run each stage covers (``progress`` runs through them in order); "matching" is
#: candidates and solving together, for a matcher that does not report them apart
STAGE_SPAN = {"queued": (0.0, 0.0), "loading": (0.02, 0.1), "matching": (0.1, 0.8), "candidates": (0.1, 0.4),
              "solving": (0.4, 0.8), "storing": (0.8, 1.0), "done": (1.0, 1.0)}
#: the matcher reports its own stages when it takes a ``progress`` callback
_MATCH_TAKES_PROGRESS = "progress" in inspect.signature(match).parameters
#: lock key of the one-run-per-park check on PostgreSQL (pg_advisory_xact_lock)
_RUN_LOCK_KEY = 0x6D61746368  # "match"


def remaining_listings(park: str | None = None) -> list[Any]:
    """Active listings (of ``park``) as the matcher sees them, each reduced to its uncommitted quantity."""
    return repo.matcher_listings(park)


# --------------------------------------------------------------------------- one run per park


def _lock_runs() -> None:
    """Serialise run starts until the transaction ends (they are rare; the check and insert must be atomic).

    PostgreSQL: a transaction-level advisory lock. SQLite: a write that
    changes nothing takes the database's write lock (WAL: one writer at a
    time), so the check below sees every committed run.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _RUN_LOCK_KEY})
    else:
        db.session.execute(update(MatchRun).where(text("1 = 0")).values(status=MatchRun.status)
                           .execution_options(synchronize_session=False))


def where_label(park: str | None) -> str:
    return park or "the whole province"


def _conflicting_runs(park: str | None) -> list[MatchRun]:
    q = select(MatchRun).where(MatchRun.status.in_(RUN_ACTIVE))
    if park:
        q = q.where(or_(MatchRun.park == park, MatchRun.park.is_(None)))
    return list(db.session.scalars(q.order_by(MatchRun.id)))


def open_run(*, solver: str | None = None, cap: int | None = None, overrides: dict[str, float] | None = None,
             park: str | None = None, user: Any = None, job: str | None = None) -> MatchRun:
    """Store a new ``queued`` run, unless a run holding this park is queued or running (Conflict, 409).

    A run of the whole province (``park`` None) holds every park. A run whose
    worker died is released first (see :func:`exchange.services.jobs.abandoned`).
    """
    from . import jobs

    solver = solver or current_app.config["MATCH_SOLVER"]
    if cap is None:
        cap = current_app.config["MATCH_CAP"]
    cap = cap or None  # 0: every candidate
    _lock_runs()
    busy = []
    for other in _conflicting_runs(park):
        why = jobs.abandoned(other)
        if why:
            log.warning("match run %s abandoned: %s", other.id, why, extra={"run_id": other.id})
            other.status, other.stage, other.finished_at = "failed", "failed", utcnow()
            other.error = f"abandoned: {why}"
        else:
            busy.append(other)
    if busy:
        db.session.commit()  # keeps the released runs; ends the lock
        b = busy[0]
        raise Conflict(
            f"a match run for {where_label(b.park)} is already {b.status} (run {b.id}, {b.stage or b.status}, "
            f"{round(100 * (b.progress or 0))} %); one run per park at a time: wait for it to finish",
            {"park": [f"run {b.id} holds {where_label(b.park)}"], "run_id": [b.id]})
    run = MatchRun(solver=solver, settings={"cap": cap, "overrides": dict(overrides or {})}, park=park,
                   status="queued", stage="queued", progress=0.0, updated_at=utcnow(), job=job,
                   started_by_id=getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None)
    db.session.add(run)
    db.session.commit()
    return run


def _set_stage(run_id: int, stage: str, fraction_of_stage: float = 0.0) -> None:
    """Record the stage and overall progress (its own short transaction: a heartbeat the API shows)."""
    start, end = STAGE_SPAN[stage]
    progress = round(start + (end - start) * min(max(fraction_of_stage, 0.0), 1.0), 4)
    db.session.execute(update(MatchRun).where(MatchRun.id == run_id)
                       .values(stage=stage, progress=progress, updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.commit()


def this_process(kind: str) -> str:
    """``<kind>:<host>:<pid>``: where a run executes (a dead pid on this host releases its park)."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}"


# --------------------------------------------------------------------------- executing a run


def execute_run(run_id: int, *, job: str | None = None) -> tuple[MatchRun, MatchResult] | None:
    """Claim a queued run and do it: load, match, store. Returns None if it was no longer queued.

    Raises what the matcher raised, after marking the run ``failed``.
    """
    values: dict[str, Any] = {"status": "running", "stage": "loading", "progress": STAGE_SPAN["loading"][0],
                              "updated_at": utcnow()}
    if job:
        values["job"] = job
    claimed = db.session.execute(update(MatchRun).where(MatchRun.id == run_id, MatchRun.status == "queued")
                                 .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        log.warning("match run %s is no longer queued: not run", run_id, extra={"run_id": run_id})
        return None
    run = db.session.get(MatchRun, run_id)
    assert run is not None
    t0 = time.perf_counter()
    with _gc_paused():
        try:
            listings = repo.matcher_listings(run.park)
            t_load = time.perf_counter() - t0
            _set_stage(run_id, "candidates" if _MATCH_TAKES_PROGRESS else "matching")
            kwargs: dict[str, Any] = {}
            if _MATCH_TAKES_PROGRESS:
                kwargs["progress"] = lambda stage, fraction: _set_stage(run_id, stage, fraction)
            settings = run.settings or {}
            t_match = time.perf_counter()
            # each material's links go into the run's transaction as soon as the matcher has them, while it
            # goes on with the other materials; nothing is committed before the whole run is stored
            writer = _LinkWriter(run)
            result = match(listings, Defaults(settings.get("overrides") or None), solver=run.solver,
                           cap=settings.get("cap"), on_links=writer.add, **kwargs)
            t_match = time.perf_counter() - t_match
            t1 = time.perf_counter()
            _store(run, listings, result, writer)
            t_store = time.perf_counter() - t1
        except Exception as exc:
            db.session.rollback()
            log.exception("match run %s failed", run_id, extra={"run_id": run_id})
            db.session.execute(update(MatchRun).where(MatchRun.id == run_id).values(
                status="failed", stage="failed", error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=utcnow(),
                updated_at=utcnow()).execution_options(synchronize_session=False))
            db.session.commit()
            raise
    result.stats["load_seconds"] = round(t_load, 4)
    result.stats["match_seconds"] = round(t_match, 4)
    result.stats["store_seconds"] = round(t_store, 4)
    result.stats["stored_while_matching_seconds"] = round(writer.seconds, 4)
    db.session.execute(update(MatchRun).where(MatchRun.id == run_id).values(stats=result.stats)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(run)
    log.info("match run %s done: %s links, %s listings, %.2f s", run_id, len(result.links), len(listings),
             time.perf_counter() - t0, extra={"run_id": run_id, "park": run.park, "links": len(result.links),
                                               "listings": len(listings)})
    return run, result


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a run.

    A 50k-listing run makes millions of small objects that all live until the
    run is stored; the collector would walk them again and again (about 0.7 s
    of such a run, measured with ``bench/match_e2e.py``). Nothing in a run
    makes reference cycles that must be freed before it ends.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


#: the columns a run writes of each link
_LINK_COLUMNS = ("status", "source_interest_at", "sink_interest_at", "match_run_id", "source_id", "sink_id", "material",
                 "quantity", "delivered", "unit", "distance_km", "route_km", "transport", "requires",
                 "transport_cost_rmb_per_yr", "upgrade_cost_rmb_per_yr", "value_rmb_per_yr", "net_benefit_rmb_per_yr",
                 "co2_avoided_t_per_yr", "explanation", "details", "created_at", "version", "approvals")


class _LinkWriter:
    """Inserts a run's links as the matcher hands them over, in the session's (uncommitted) transaction.

    The first batch first supersedes the open links the run re-plans (see
    :func:`_supersede`), keeping the interest shown on them.
    """

    def __init__(self, run: MatchRun) -> None:
        self.run = run
        self.earlier: dict[tuple[int, int], tuple[str, Any, Any]] | None = None
        self.now = utcnow()
        self.requires_json: dict[tuple[str, ...], str] = {}
        self.seconds = 0.0

    def supersede(self) -> None:
        if self.earlier is None:
            self.earlier = _supersede(self.run.park)

    def add(self, links: Sequence[Any]) -> None:
        t0 = time.perf_counter()
        self.supersede()
        assert self.earlier is not None
        fresh = ("proposed", None, None)
        rows = []
        for pl in links:
            req = self.requires_json.get(pl.requires)
            if req is None:
                req = self.requires_json[pl.requires] = json.dumps(list(pl.requires))
            rows.append((
                *self.earlier.get((pl.source.id, pl.sink.id), fresh), self.run.id, pl.source.id, pl.sink.id,
                pl.material, pl.quantity, pl.delivered, pl.unit, pl.distance_km, pl.route_km, pl.transport, req,
                pl.transport_cost_rmb_per_yr, pl.upgrade_cost_rmb_per_yr, pl.value_rmb_per_yr,
                pl.net_benefit_rmb_per_yr, pl.co2_avoided_t_per_yr, pl.explanation, pl.details_json, self.now, 1,
                "{}"))
        _insert_many(Link.__table__, _LINK_COLUMNS, rows)
        self.seconds += time.perf_counter() - t0


def _store(run: MatchRun, listings: list[Any], result: MatchResult, writer: _LinkWriter) -> None:
    """After ``writer`` stored the links: the unmatched entries and the run's record, then commit (one transaction).

    Supersedes the open links the run re-plans if ``writer`` has not (a run without links).
    """
    from . import audit

    writer.supersede()
    _insert_many(UnmatchedEntry.__table__, ("match_run_id", "listing_id", "code", "reason", "matched", "remaining"),
                 [(run.id, u.listing.id, u.code, u.reason, u.matched, u.remaining) for u in result.unmatched])
    user = db.session.get(User, run.started_by_id) if run.started_by_id else None
    db.session.execute(update(MatchRun).where(MatchRun.id == run.id).values(
        summary=result.summary, stats=result.stats, status="done", stage="done", progress=1.0, finished_at=utcnow(),
        updated_at=utcnow()).execution_options(synchronize_session=False))
    audit.record("match_run", user, target=("match_run", run.id), parks=[run.park],
                 details={"links": len(result.links), "listings": len(listings), "solver": run.solver})
    db.session.commit()


def _insert_many(table: Any, cols: Sequence[str], rows: list[tuple[Any, ...]], chunk: int = 10_000) -> None:
    """Insert many rows of one shape: ``COPY`` on PostgreSQL, the driver's ``executemany`` otherwise.

    ``rows`` are tuples in the order of ``cols``, JSON columns already as JSON
    text. Several times faster than a Core ``insert()`` with a list of dicts
    for 50,000 rows: SQLAlchemy's per-row parameter processing is skipped;
    only the other columns whose type needs it for this database are
    converted (dates on SQLite). Runs in the session's transaction.
    """
    if not rows:
        return
    conn = db.session.connection()
    dialect = conn.dialect
    converted = []
    for i, c in enumerate(cols):
        typ = table.c[c].type
        f = None if isinstance(typ, JSON) else typ.dialect_impl(dialect).bind_processor(dialect)
        if f is not None:
            converted.append((i, f))
    if converted:
        fixed = []
        for r in rows:
            values = list(r)
            for i, f in converted:
                values[i] = f(values[i])
            fixed.append(tuple(values))
        rows = fixed
    if dialect.name == "postgresql":
        # COPY: one stream instead of one statement per row (45,000 links: about 1 s instead of 7 s)
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        return
    marks = ["?" if dialect.paramstyle == "qmark" else "%s"] * len(cols)
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join(marks)})"
    for start in range(0, len(rows), chunk):
        conn.exec_driver_sql(sql, rows[start:start + chunk])


def _supersede(park: str | None) -> dict[tuple[int, int], tuple[str, Any, Any]]:
    """Mark the open links of the active listings (of ``park``) superseded, in one conditional UPDATE.

    Returns ``(status, source_interest_at, sink_interest_at)`` of the links
    someone showed interest in, by (source, sink), to carry over. The
    ``status IN (open)`` condition is re-checked row by row by the database,
    so a link accepted a moment ago is left alone.
    """
    L = Listing.__table__
    ids = select(L.c.id).where(L.c.status == "active")
    if park:
        ids = ids.where(L.c.park == park)
    T = Link.__table__
    res = db.session.execute(
        update(T).where(T.c.status.in_(OPEN), or_(T.c.source_id.in_(ids), T.c.sink_id.in_(ids)))
        .values(status="superseded", version=T.c.version + 1)
        .returning(T.c.source_id, T.c.sink_id, T.c.source_interest_at, T.c.sink_interest_at))
    carried: dict[tuple[int, int], tuple[str, Any, Any]] = {}
    for source_id, sink_id, src_at, snk_at in res:
        if src_at or snk_at:
            carried[(source_id, sink_id)] = ("interest", src_at, snk_at)
    return carried


def run_match(*, solver: str | None = None, cap: int | None = None,
              overrides: dict[str, float] | None = None, park: str | None = None,
              user: Any = None) -> tuple[MatchRun, MatchResult]:
    """Run the matcher here and now over the active listings (of ``park``, or all); store links and unmatched.

    Agreed links are kept and only uncommitted quantities are planned (see
    the module docstring). Conflict (409) if a run holding the park is going.
    """
    run = open_run(solver=solver, cap=cap, overrides=overrides, park=park, user=user, job=this_process("inline"))
    done = execute_run(run.id)
    assert done is not None
    return done


# --------------------------------------------------------------------------- for the API and the pages


def start_run(user: Any, *, park: str | None = None, solver: str | None = None,
              cap: int | None = None, wait: float | None = None) -> MatchRun:
    """Start the matcher for a park manager (their park) or an admin (any park, or all), off the request.

    The run goes to the job queue (RQ) or a background thread
    (:mod:`exchange.services.jobs`); the call then waits up to ``wait``
    seconds (default ``MATCH_RUN_WAIT``) for it to finish, so a small park's
    run comes back done and a province's comes back ``queued`` or ``running``
    with its progress. Conflict (409) if a run holding the park is going.
    """
    from geodata.parks import park_by_key

    from exchange.domain.errors import PermissionDenied, ValidationError

    from . import jobs

    if user.role == "park_manager":
        park = park or user.park
        if park != user.park:
            raise PermissionDenied("a park manager runs the matcher for their own park",
                                   {"park": [f"you manage {user.park}"]})
    elif user.role != "admin":
        raise PermissionDenied("running the matcher needs the role park_manager or admin")
    if park:
        try:
            park_by_key(park)
        except KeyError:
            raise ValidationError(f"unknown park {park!r}", {"park": ["unknown park"]}) from None
    run = open_run(solver=solver, cap=cap, park=park, user=user)
    jobs.dispatch(run.id)
    wait = current_app.config["MATCH_RUN_WAIT"] if wait is None else wait
    jobs.wait_for(run.id, wait)
    db.session.expire_all()
    got = db.session.get(MatchRun, run.id)
    assert got is not None
    return got


def run_view(run: MatchRun) -> dict[str, Any]:
    links = db.session.scalar(select(func.count()).select_from(Link).where(Link.match_run_id == run.id)) or 0
    return {"id": run.id, "status": run.status, "stage": run.stage or run.status,
            "progress": 1.0 if run.status == "done" else (run.progress or 0.0), "solver": run.solver,
            "park": run.park, "started_at": iso_utc(run.started_at), "finished_at": iso_utc(run.finished_at),
            "updated_at": iso_utc(run.updated_at), "settings": run.settings, "summary": run.summary,
            "stats": run.stats, "error": run.error, "links": links}


def latest_run_view(park: str | None = None) -> dict[str, Any]:
    """The latest finished run (of ``park`` if given: a run of that park or of the whole province)."""
    q = select(MatchRun).where(MatchRun.status == "done")
    if park:
        q = q.where(or_(MatchRun.park == park, MatchRun.park.is_(None)))
    run = db.session.scalar(q.order_by(MatchRun.id.desc()).limit(1))
    if run is None:
        raise NotFound("no finished match run yet")
    return run_view(run)


def active_run_view(park: str | None = None) -> dict[str, Any]:
    """The run queued or going that holds ``park`` (any park without one); NotFound when none."""
    runs = _conflicting_runs(park)
    if not runs:
        raise NotFound(f"no match run is queued or running for {where_label(park)}")
    return run_view(runs[-1])


def get_run_view(run_id: int) -> dict[str, Any]:
    # populate_existing: the run changes in another session (its worker); never answer from a stale identity map
    run = db.session.get(MatchRun, run_id, populate_existing=True)
    if run is None:
        raise NotFound(f"no match run {run_id}")
    return run_view(run)


def latest_gaps(park: str | None = None) -> tuple[MatchRun, list[dict[str, Any]]]:
    """The latest finished run (of ``park`` or the province) and its ranked gaps: what enterprise to attract."""
    q = select(MatchRun).where(MatchRun.status == "done")
    if park:
        q = q.where(or_(MatchRun.park == park, MatchRun.park.is_(None)))
    run = db.session.scalar(q.order_by(MatchRun.id.desc()).limit(1))
    if run is None:
        raise NotFound("no finished match run yet: run `flask --app wsgi match` first")
    found = list((run.summary or {}).get("gaps") or [])
    if park:
        found = [g for g in found if g.get("park") == park]
    return run, found


def stale_before() -> Any:
    """Runs with no heartbeat since this time are taken as abandoned (job timeout plus a minute)."""
    return utcnow() - timedelta(seconds=int(current_app.config["MATCH_JOB_TIMEOUT"]) + 60)
