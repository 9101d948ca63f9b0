"""Load benchmark: gunicorn (``deploy/gunicorn.conf.py``) on PostgreSQL, 100 readers and 10 writers for a minute.

Readers (no login, like visitors of the map) loop over the map data the
pages load (``/map/listings.geojson``, ``/map/links.geojson``,
``/map/base.json``) and API reads (``/api/v1/listings`` with and without
filters, ``/api/v1/links``, ``/api/v1/parks``). Writers (members with API
tokens) create a listing and edit it, again and again. Every client is a
thread with its own keep-alive connection that sends its next request as soon
as the last one is answered (a closed loop: no think time).

The database is emptied and loaded with the Shandong demo (348 listings, a
match run); gunicorn runs with the project's config (``EXCHANGE_ENV=production``,
workers 2 x cores + 1, 2 threads each, unless ``GUNICORN_*`` says otherwise).
Prints requests per second, p50 / p95 / p99 latency and the error count,
overall, for reads and writes, and per path.

Run: ``python -m bench.load`` (``--database postgresql://postgres@127.0.0.1:5432/exchange_load``,
``--readers 100 --writers 10 --seconds 60``; ``--url http://host:port`` to load a running server whose
database already holds the demo and writer accounts: then pass ``--tokens`` a file with one token per line).
The client runs on the same machine as the server and takes CPU from it: the figures are a floor.
"""

from __future__ import annotations

import argparse
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
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

READS = [
    ("/map/listings.geojson", 3),
    ("/map/links.geojson", 3),
    ("/map/base.json", 1),
    ("/api/v1/listings?limit=100", 2),
    ("/api/v1/listings?material=fly_ash&role=source", 2),
    ("/api/v1/listings?park=qilu-chemical", 1),
    ("/api/v1/links?limit=100", 2),
    ("/api/v1/parks", 1),
]


def prepare(url: str, writers: int) -> list[str]:
    """Empty the database, migrate, load the demo and its match run, create the writers; returns their tokens."""
    from sqlalchemy import create_engine, text

    from exchange import create_app
    from exchange.config import normalise_db_url
    from exchange.persistence import db

    url = normalise_db_url(url)
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_FORMAT": "text"})
    tokens = []
    with app.app_context():
        from exchange.services.accounts import create_user
        from exchange.services.matching import run_match
        from exchange.services.schema import ensure_schema
        from exchange.services.seed import seed_demo

        ensure_schema()
        seed_demo()
        run_match()
        for i in range(writers):
            _, token = create_user(f"writer{i}@load.example", None, f"Load writer {i}", "member")
            tokens.append(token)
        db.session.remove()
        db.engine.dispose()
    return tokens


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(database: str, log_path: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "EXCHANGE_ENV": "production", "SECRET_KEY": os.urandom(32).hex(),
           "DATABASE_URL": database, "GUNICORN_BIND": f"127.0.0.1:{port}", "PYTHONPATH": HERE}
    env.pop("REDIS_URL", None)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([gunicorn, "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=HERE, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log_path}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, base
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"gunicorn not ready in 120 s; see {log_path}")


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: list[tuple[str, str, float, int]] = []  # (kind, path, seconds, status; 0 = no answer)
        self.measuring = False

    def add(self, kind: str, path: str, seconds: float, status: int) -> None:
        if self.measuring:
            with self.lock:
                self.samples.append((kind, path, seconds, status))


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None,
             token: str | None = None) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=data, headers=headers)
    res = conn.getresponse()
    payload = res.read()
    return res.status, payload


def reader(host: str, port: int, rec: Recorder, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    paths = [p for p, w in READS for _ in range(w)]
    conn = http.client.HTTPConnection(host, port, timeout=120)
    while not stop.is_set():
        path = rng.choice(paths)
        t0 = time.perf_counter()
        try:
            status, _ = _request(conn, "GET", path)
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=120)
        rec.add("read", path.split("?")[0] + ("?…" if "?" in path else ""), time.perf_counter() - t0, status)
    conn.close()


def writer(host: str, port: int, token: str, rec: Recorder, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(host, port, timeout=120)
    n = 0
    while not stop.is_set():
        n += 1
        body = {"ref": f"LOAD-{seed}-{n}", "role": rng.choice(["source", "sink"]), "material": "fly_ash",
                "lat": 36.0 + rng.random() * 1.5, "lon": 116.5 + rng.random() * 2.5, "unit": "t/yr",
                "quantity": rng.randint(500, 50_000), "grade": rng.choice(["I", "II", "III"])}
        t0 = time.perf_counter()
        try:
            status, payload = _request(conn, "POST", "/api/v1/listings", body, token)
            rec.add("write", "POST /api/v1/listings", time.perf_counter() - t0, status)
            if status == 201:
                lid = json.loads(payload)["id"]
                t0 = time.perf_counter()
                status, _ = _request(conn, "PATCH", f"/api/v1/listings/{lid}",
                                     {"description": f"edited {n}", "quantity": body["quantity"] + 1}, token)
                rec.add("write", "PATCH /api/v1/listings/<id>", time.perf_counter() - t0, status)
        except (OSError, http.client.HTTPException):
            rec.add("write", "(no answer)", time.perf_counter() - t0, 0)
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=120)
    conn.close()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def report(rec: Recorder, seconds: float) -> None:
    def line(name: str, rows: list[tuple[str, str, float, int]]) -> str:
        lat = [r[2] * 1000 for r in rows]
        errors = sum(1 for r in rows if not 200 <= r[3] < 400)
        return (f"{name:<34}{len(rows):>8}{len(rows) / seconds:>9.1f}{_pct(lat, 50):>9.0f}{_pct(lat, 95):>9.0f}"
                f"{_pct(lat, 99):>9.0f}{errors:>8}")

    print(f"{'':<34}{'requests':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    print(line("all", rec.samples))
    by_kind: dict[str, list[Any]] = defaultdict(list)
    by_path: dict[str, list[Any]] = defaultdict(list)
    for r in rec.samples:
        by_kind[r[0]].append(r)
        by_path[f"{r[0]:<5} {r[1]}"].append(r)
    for k in ("read", "write"):
        print(line(k + "s", by_kind[k]))
    for p in sorted(by_path):
        print(line("  " + p[:32], by_path[p]))
    codes = Counter(r[3] for r in rec.samples)
    print("statuses:", dict(sorted(codes.items())), "(0: no answer)")


def client_process(host: str, port: int, readers: range, writers: list[tuple[int, str]], start: float,
                   end: float) -> list[tuple[str, str, float, int]]:
    """One client process: its readers and writers as threads, measuring from ``start`` to ``end`` (epoch s)."""
    rec, stop = Recorder(), threading.Event()
    threads = [threading.Thread(target=reader, args=(host, port, rec, stop, i), daemon=True) for i in readers]
    threads += [threading.Thread(target=writer, args=(host, port, token, rec, stop, 1000 + i), daemon=True)
                for i, token in writers]
    for t in threads:
        t.start()
    time.sleep(max(0.0, start - time.time()))
    rec.measuring = True
    time.sleep(max(0.0, end - time.time()))
    rec.measuring = False
    stop.set()
    for t in threads:
        t.join(130)
    return rec.samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/exchange_load")
    ap.add_argument("--url", default=None, help="load this running server instead of starting one")
    ap.add_argument("--tokens", default=None, help="with --url: a file of writer API tokens, one per line")
    ap.add_argument("--readers", type=int, default=100)
    ap.add_argument("--writers", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--processes", type=int, default=4,
                    help="client processes the threads are spread over (one Python process cannot keep 110 "
                         "connections busy: its GIL becomes the bottleneck)")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    import multiprocessing

    from bench.match_scale import machine

    proc = None
    if args.url:
        base = args.url
        with open(args.tokens, encoding="utf-8") as fh:
            tokens = [t.strip() for t in fh if t.strip()]
    else:
        print(f"preparing {args.database.split('@')[-1]}: demo listings, a match run, {args.writers} writers")
        tokens = prepare(args.database, args.writers)
        log = os.path.join(HERE, "instance", "load-gunicorn.log")
        os.makedirs(os.path.dirname(log), exist_ok=True)
        proc, base = start_gunicorn(args.database, log)
    u = urlsplit(base)
    host, port = u.hostname or "127.0.0.1", u.port or 80
    workers = os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1))
    threads = os.environ.get("GUNICORN_THREADS", "2")
    print(f"machine: {machine()}")
    print(f"server: {base}, gunicorn gthread {workers} workers x {threads} threads, PostgreSQL; clients: "
          f"{args.readers} readers + {args.writers} writers, threads in {args.processes} processes on the same "
          f"machine (closed loop, keep-alive)")
    n = args.processes
    jobs = [(host, port, range(k, args.readers, n), [(i, tokens[i % len(tokens)]) for i in range(k, args.writers, n)])
            for k in range(n)]
    start = time.time() + 3 + args.warmup  # every process started, then warmed up
    end = start + args.seconds
    try:
        with multiprocessing.get_context("fork").Pool(n) as pool:
            parts = pool.starmap(client_process, [(*j, start, end) for j in jobs])
        rec = Recorder()
        rec.samples = [x for part in parts for x in part]
        print(f"measured {args.seconds:g} s after {args.warmup:g} s of warm-up; load average "
              f"{os.getloadavg()[0]:.2f}")
        report(rec, args.seconds)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)


if __name__ == "__main__":
    main()
