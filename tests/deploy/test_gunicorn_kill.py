"""gunicorn with the project's config and 4 workers; one worker SIGKILLed in the middle of a burst of writes.

``deploy/boot.sh`` starts the server as production does (settings check,
wait for the database, migrations, ``exec gunicorn -c deploy/gunicorn.conf.py``)
on a free local port with ``EXCHANGE_ENV=production``, on the database the
suite runs on: a SQLite file in WAL mode, or a PostgreSQL database of its own
next to the suite's (``<name>_kill``, created and dropped here).

Over HTTP with bearer tokens: a seller and a buyer list fly ash in the Qilu
Chemical park, the park manager runs the matcher, and then twelve clients at
once create listings, edit them, and accept and approve the proposed links
(more demand than supply: the accepts compete for the same tonnes). When a
third of the writes are acknowledged, one worker is killed with SIGKILL.
Afterwards, straight from the database:

* every acknowledged write is there, exactly as sent (creates with every
  field, the last acknowledged edit or a later one the client sent, accepts
  and approvals with their audit entries);
* nothing is half-written: every burst listing that exists (acknowledged or
  not) has all its fields and its audit entry, written in the same
  transaction; every agreed link has both acceptances;
* no listing is over-allocated: ``committed`` equals the sum of its agreed
  links and never exceeds its quantity;
* SQLite's ``PRAGMA integrity_check`` says ``ok``;
* the master replaced the killed worker and the app is ready again.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QILU = (36.80, 118.25)
CLIENTS = 12
CREATES_PER_CLIENT = 14
EDITS_PER_CLIENT = 6
AGREED = ("accepted", "approved", "active")


# --------------------------------------------------------------------------- the server


def _tail(path: str, n: int = 3000) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()[-n:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(name))
    return sorted(out)


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log: str

    def workers(self) -> list[int]:
        return _children(self.proc.pid)


@pytest.fixture()
def kill_db(database_url: str, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database of this test's own, of the kind the suite runs on."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path}/kill.db"
        return
    url = make_url(database_url)
    name = f"{url.database}_kill"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture()
def server(kill_db: str, tmp_path) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    port = _free_port()
    log = str(tmp_path / "gunicorn.log")
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '')}", "EXCHANGE_ENV": "production",
           "SECRET_KEY": "kill-test-" + "k" * 40, "DATABASE_URL": kill_db, "GUNICORN_WORKERS": "4",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_MAX_REQUESTS": "0", "LOG_LEVEL": "WARNING",
           "GUNICORN_LOGLEVEL": "warning", "GUNICORN_ACCESSLOG": "", "MATCH_RUN_WAIT": "30",
           "PYTHONPATH": ROOT}
    env.pop("REDIS_URL", None)
    env.pop("FLASK_DEBUG", None)
    with open(log, "wb") as out:
        proc = subprocess.Popen([os.path.join(ROOT, "deploy", "boot.sh")], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    srv = Server(f"http://127.0.0.1:{port}", port, proc, log)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"boot.sh exited {proc.returncode}: {_tail(log)}"
            try:
                if _call(port, "GET", "/readyz")[0] == 200 and len(srv.workers()) == 4:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn not ready: {_tail(log)}"
            time.sleep(0.3)
        yield srv
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _call(port: int, method: str, path: str, body: Any = None, token: str | None = None,
          conn: http.client.HTTPConnection | None = None) -> tuple[int, Any]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
        res = conn.getresponse()
        data = res.read()
        return res.status, (json.loads(data) if data and res.getheader("Content-Type", "").startswith(
            "application/json") else None)
    finally:
        if own:
            conn.close()


# --------------------------------------------------------------------------- the people and the burst


def _users(url: str) -> dict[str, Any]:
    """Accounts straight in the database (API tokens only: no slow password hashing)."""
    from exchange import create_app
    from exchange.persistence import db
    from exchange.services.accounts import create_user

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_FORMAT": "text"})
    out: dict[str, Any] = {}
    with app.app_context():
        for name, org, role, park in [("seller", "Kill Power", "member", None),
                                      ("buyer", "Kill Cement", "member", None),
                                      ("manager", "Qilu park authority", "park_manager", "qilu-chemical")] + \
                                     [(f"w{i}", f"Writer {i}", "member", None) for i in range(CLIENTS)]:
            user, token = create_user(f"{name}@kill.example", None, org, role, park)
            out[name] = (user.id, token)
        db.session.remove()
        db.engine.dispose()
    return out


def _listing(ref: str, i: int, role: str = "source", quantity: float = 1000.0) -> dict[str, Any]:
    body = {"ref": ref, "role": role, "material": "fly_ash", "lat": round(QILU[0] + 0.001 * (i % 40), 6),
            "lon": round(QILU[1] + 0.001 * (i // 40), 6), "quantity": quantity, "unit": "t/yr",
            "grade": "I" if role == "source" else "II", "description": f"{ref} as created"}
    return body


@dataclass
class Ledger:
    """What the clients sent and what the server acknowledged."""

    created: dict[str, int] = field(default_factory=dict)           # ref -> id (201)
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)    # ref -> body (acknowledged or not)
    edits: dict[int, list[tuple[str, bool]]] = field(default_factory=lambda: defaultdict(list))  # id -> (text, ack)
    accepts: list[tuple[int, str, int]] = field(default_factory=list)  # (link id, who, status) acknowledged
    approvals: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    links: list[int] = field(default_factory=list)                   # open links of the latest run
    runs: int = 0                                                    # match runs done during the burst
    dropped: int = 0                                                 # requests with no answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: int = 0


def _planner(port: int, manager: str, seller: str, ledger: Ledger, go: threading.Event,
             stop: threading.Event) -> None:
    """The park manager re-runs the matcher during the burst: new links compete with accepts of older ones."""
    go.wait()
    while not stop.is_set():
        try:
            status, run = _call(port, "POST", "/api/v1/match-runs", {"wait": 30}, manager)
            if status == 201 and run["status"] == "done":
                _, page = _call(port, "GET", "/api/v1/links?mine=true&status=proposed,interest", token=seller)
                with ledger.lock:
                    ledger.runs += 1
                    ledger.links[:] = [l["id"] for l in page["items"]] or ledger.links
            with ledger.lock:
                ledger.statuses[status] += 1
        except (OSError, http.client.HTTPException):
            with ledger.lock:
                ledger.dropped += 1
        stop.wait(0.3)


def _client(port: int, k: int, token: str, ledger: Ledger, seller: str, buyer: str,
            manager: str, go: threading.Event) -> None:
    """One client's writes: creates, edits of its own listings, accepts (as seller or buyer), an approval.

    A new connection per request: the kernel spreads them over the workers, so the killed one is likely to
    be in the middle of some (they count as ``dropped``: sent, never answered).
    """
    rng = random.Random(k)
    conn = None
    plan: list[tuple[str, int]] = [("create", i) for i in range(CREATES_PER_CLIENT)]
    plan += [("accept", i) for i in range(4)] + [("approve", 0)]
    rng.shuffle(plan)
    plan += [("edit", i) for i in range(EDITS_PER_CLIENT)]
    go.wait()
    mine: list[int] = []
    for kind, i in plan:
        try:
            if kind == "create":
                ref = f"BURST-{k}-{i}"
                body = _listing(ref, k * 100 + i, role=rng.choice(["source", "sink"]),
                                quantity=float(rng.randint(100, 5000)))
                with ledger.lock:
                    ledger.sent[ref] = body
                status, data = _call(port, "POST", "/api/v1/listings", body, token, conn)
                if status == 201:
                    with ledger.lock:
                        ledger.created[ref] = data["id"]
                    mine.append(data["id"])
            elif kind == "edit":
                if not mine:
                    continue
                lid = rng.choice(mine)
                note = f"edit {k}-{i}"
                with ledger.lock:
                    ledger.edits[lid].append((note, False))
                status, _ = _call(port, "PATCH", f"/api/v1/listings/{lid}", {"description": note}, token, conn)
                if status == 200:
                    with ledger.lock:
                        ledger.edits[lid][-1] = (note, True)
            else:
                with ledger.lock:
                    link = rng.choice(ledger.links)
                if kind == "accept":
                    who = "seller" if (k + i) % 2 == 0 else "buyer"
                    status, _ = _call(port, "POST", f"/api/v1/links/{link}/accept", None,
                                      seller if who == "seller" else buyer, conn)
                    if status == 200:
                        with ledger.lock:
                            ledger.accepts.append((link, who, status))
                else:
                    status, _ = _call(port, "POST", f"/api/v1/links/{link}/approve", {"comment": "ok"}, manager,
                                      conn)
                    if status == 200:
                        with ledger.lock:
                            ledger.approvals.append(link)
            with ledger.lock:
                ledger.statuses[status] += 1
                ledger.done += 1
        except (OSError, http.client.HTTPException):
            with ledger.lock:
                ledger.dropped += 1


# --------------------------------------------------------------------------- the test


def test_a_worker_killed_mid_burst_loses_no_acknowledged_write(server: Server, kill_db: str) -> None:
    port = server.port
    people = _users(kill_db)
    tok = {k: v[1] for k, v in people.items()}

    # the workflow: listings, a match run, first answers
    for i in range(3):
        assert _call(port, "POST", "/api/v1/listings", _listing(f"ASH-{i}", i, quantity=1000), tok["seller"])[0] == 201
    for i in range(6):
        status, _ = _call(port, "POST", "/api/v1/listings", _listing(f"NEED-{i}", 50 + i, "sink", 600), tok["buyer"])
        assert status == 201
    status, run = _call(port, "POST", "/api/v1/match-runs", {"wait": 30}, tok["manager"])
    assert status == 201 and run["status"] == "done" and run["links"] >= 3, run
    status, page = _call(port, "GET", "/api/v1/links?mine=true", token=tok["seller"])
    links = [l["id"] for l in page["items"]]
    assert len(links) == run["links"]
    first = links[0]
    for who in ("seller", "buyer"):
        assert _call(port, "POST", f"/api/v1/links/{first}/accept", None, tok[who])[0] == 200
    status, link = _call(port, "POST", f"/api/v1/links/{first}/approve", {"comment": "fits"}, tok["manager"])
    assert status == 200 and link["status"] == "approved", link

    # the burst, and the kill
    ledger = Ledger(links=links)
    go, stop = threading.Event(), threading.Event()
    threads = [threading.Thread(target=_client, args=(port, k, tok[f"w{k}"], ledger, tok["seller"], tok["buyer"],
                                                      tok["manager"], go)) for k in range(CLIENTS)]
    planner = threading.Thread(target=_planner, args=(port, tok["manager"], tok["seller"], ledger, go, stop))
    for t in threads + [planner]:
        t.start()
    before = server.workers()
    go.set()
    total = CLIENTS * (CREATES_PER_CLIENT + EDITS_PER_CLIENT + 5)
    while ledger.done < total // 3:
        time.sleep(0.005)
    victim = random.Random(1).choice(before)
    os.kill(victim, signal.SIGKILL)
    killed_at = ledger.done
    for t in threads:
        t.join(300)
    stop.set()
    planner.join(120)
    deadline = time.monotonic() + 60
    while not (len(server.workers()) == 4 and victim not in server.workers()):
        assert time.monotonic() < deadline, "the master did not replace the killed worker"
        time.sleep(0.2)
    assert _call(port, "GET", "/readyz")[0] == 200
    print(f"\nburst: {ledger.runs} match runs, {ledger.done} answered, {ledger.dropped} without answer (the killed worker's), statuses "
          f"{dict(ledger.statuses)}; worker {victim} killed after {killed_at} answers; "
          f"{len(ledger.created)} creates, {sum(1 for v in ledger.edits.values() for _, a in v if a)} edits, "
          f"{len(ledger.accepts)} accepts, {len(ledger.approvals)} approvals acknowledged")
    assert not any(s >= 500 for s in ledger.statuses), dict(ledger.statuses)
    assert ledger.runs >= 1, "the planner's match runs did not run during the burst"
    # the park is free again (a run the killed worker held is released): one more run goes through
    status, last = _call(port, "POST", "/api/v1/match-runs", {"wait": 30}, tok["manager"])
    assert status == 201 and last["status"] == "done", last

    # stop the server (SQLite: checkpointed and closed) and look at the database itself
    os.killpg(server.proc.pid, signal.SIGTERM)
    server.proc.wait(40)
    _check_database(kill_db, ledger, people)


def _check_database(url: str, ledger: Ledger, people: dict[str, Any]) -> None:
    from exchange.config import normalise_db_url

    engine = create_engine(normalise_db_url(url))
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            rows = {r.ref: r for r in conn.execute(text(
                "SELECT id, ref, role, material, lat, lon, quantity, unit, entered_quantity, quality, description, "
                "park, status, committed, version FROM listings WHERE ref LIKE 'BURST-%'"))}
            created_audit = {r[0] for r in conn.execute(text(
                "SELECT target_id FROM audit_log WHERE action = 'listing.create'"))}
            # every acknowledged create is there, with what was sent
            for ref, lid in ledger.created.items():
                assert ref in rows and rows[ref].id == lid, ref
            # every burst listing that exists is whole: fields as sent, its audit entry in the same transaction
            for ref, r in rows.items():
                sent = ledger.sent[ref]
                assert (r.role, r.material, r.unit, r.status) == (sent["role"], "fly_ash", "t/yr", "active"), ref
                assert (r.lat, r.lon) == pytest.approx((sent["lat"], sent["lon"])), ref
                assert r.quantity == pytest.approx(sent["quantity"]) == r.entered_quantity, ref
                quality = r.quality if isinstance(r.quality, dict) else json.loads(r.quality)
                assert quality == {"grade": sent["grade"]} and r.park == "qilu-chemical", ref
                assert r.id in created_audit, f"{ref} stored without its audit entry"
                edits = ledger.edits.get(r.id, [])
                acked = [i for i, (_, a) in enumerate(edits) if a]
                allowed = {sent["description"]} if not acked else set()
                start = acked[-1] if acked else 0
                allowed |= {t for t, _ in edits[start:]}
                assert r.description in allowed, (ref, r.description, edits)
            # links: acknowledged accepts and approvals hold; agreed links are whole; nothing over-allocated
            links = {r.id: r for r in conn.execute(text(
                "SELECT id, status, source_id, sink_id, quantity, delivered, source_accepted_at, sink_accepted_at, "
                "approvals FROM links"))}
            for link_id, who, _ in ledger.accepts:
                side = "source" if who == "seller" else "sink"
                assert getattr(links[link_id], f"{side}_accepted_at") is not None, (link_id, who)
            for link_id in ledger.approvals:
                approvals = links[link_id].approvals
                approvals = approvals if isinstance(approvals, dict) else json.loads(approvals)
                assert "qilu-chemical" in approvals, link_id
            held: dict[int, float] = defaultdict(float)
            for l in links.values():
                if l.status in AGREED:
                    assert l.source_accepted_at is not None and l.sink_accepted_at is not None, l.id
                    held[l.source_id] += l.quantity
                    held[l.sink_id] += l.delivered
            for r in conn.execute(text("SELECT id, ref, quantity, committed FROM listings")):
                assert r.committed == pytest.approx(held.get(r.id, 0.0), abs=1e-6), (r.ref, r.committed)
                assert r.committed <= r.quantity * (1 + 1e-9) + 1e-9, f"{r.ref} over-allocated"
            audited = {(r.target_id, r.user_id) for r in conn.execute(text(
                "SELECT target_id, user_id FROM audit_log WHERE action = 'link.accept'"))}
            for link_id, who, _ in ledger.accepts:  # a repeated accept is a no-op: the first one is audited
                assert (link_id, people[who][0]) in audited, (link_id, who)
            runs = dict(conn.execute(text("SELECT status, count(*) FROM match_runs GROUP BY status")).all())
            assert set(runs) <= {"done", "failed"} and runs["done"] >= 3, runs
    finally:
        engine.dispose()
