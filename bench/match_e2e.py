"""End to end on stored data: ``flask --app wsgi match`` over 50,000 listings in a database.

Builds a temporary SQLite database (WAL) holding the synthetic province of
:func:`bench.synthetic.province_rows` (default 50,000 listings), loaded fast
with Core inserts of rows computed directly in canonical units (a sample is
checked against the import parser), then times ``flask --app wsgi match`` in
a subprocess, ``--repeat`` times (default 3), and prints the wall time of each
run with the command's own split: load (one Core select), candidates, solve,
store (bulk inserts, superseding the previous run's open links), and the
median. The wall time includes starting Python and the app.

Run: ``python -m bench.match_e2e`` (``--n 20000``, ``--repeat 1``,
``--database postgresql://postgres@127.0.0.1:5432/bench_e2e`` to use a
PostgreSQL database instead: it is emptied first).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def canonical_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Synthetic province rows as ``listings`` table rows (their units are canonical already)."""
    from exchange.domain.listing import parse_months
    from exchange.domain.materials import CATALOGUE
    from exchange.persistence.repositories import months_text
    from geodata.parks import park_keys_of

    parks = park_keys_of([r["lat"] for r in rows], [r["lon"] for r in rows])
    out = []
    for r, park in zip(rows, parks):
        mat = CATALOGUE[r["material"]]
        attr = mat.quality.attribute
        out.append({
            "organisation": r["organisation"], "ref": r["ref"], "role": r["role"], "material": r["material"],
            "lat": r["lat"], "lon": r["lon"], "quantity": r["quantity"], "unit": r["unit"],
            "entered_quantity": r["quantity"], "entered_unit": r["unit"], "quality": {attr: r[attr]},
            "available_months": months_text(parse_months(r.get("available_months"))), "park": park,
        })
    return out


def check_sample(raw_rows: list[dict[str, Any]], rows: list[dict[str, Any]], k: int = 300) -> None:
    """The direct rows equal what the import parser makes of the same input (first ``k``)."""
    from exchange.domain.listing import parse_listing
    from exchange.persistence.repositories import months_text

    for raw, row in zip(raw_rows[:k], rows[:k]):
        d = parse_listing(raw)
        assert (d.quantity, d.unit, d.material, d.role.value) == (row["quantity"], row["unit"], row["material"],
                                                                   row["role"]), (raw, row)
        assert list(row["quality"].values()) == [d.quality], (raw, row)
        assert months_text(d.available_months) == row["available_months"], (raw, row)


def build_database(url: str, n: int) -> float:
    """Create the schema and insert ``n`` listings; returns the seconds it took."""
    from sqlalchemy import delete, select

    from exchange import create_app
    from exchange.persistence import db
    from exchange.persistence.models import Listing, Organisation
    from exchange.services.schema import ensure_schema

    from bench.synthetic import province_rows

    t0 = time.perf_counter()
    raw = province_rows(n)
    rows = canonical_rows(raw)
    check_sample(raw, rows)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        ensure_schema()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(delete(table))
            names = sorted({r["organisation"] for r in rows})
            conn.execute(Organisation.__table__.insert(), [{"name": x} for x in names])
            org_id = dict(conn.execute(select(Organisation.name, Organisation.id)).all())
            listings = [{**{k: v for k, v in r.items() if k != "organisation"},
                         "organisation_id": org_id[r["organisation"]], "status": "active", "visibility": "public",
                         "committed": 0.0, "version": 1} for r in rows]
            for i in range(0, len(listings), 5000):
                conn.execute(Listing.__table__.insert(), listings[i:i + 5000])
        db.engine.dispose()
    return time.perf_counter() - t0


_SPLIT = re.compile(r"seconds: load ([\d.]+), materials ([\d.]+) \(candidates ([\d.]+), solve ([\d.]+), links "
                    r"([\d.]+), summed over the materials' jobs on (\d+) process\(es\); links stored meanwhile "
                    r"([\d.]+)\), merge ([\d.]+), store ([\d.]+)")


def time_match(url: str) -> dict[str, float]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": HERE}
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    t0 = time.perf_counter()
    out = subprocess.run([flask, "--app", "wsgi", "match"], cwd=HERE, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"flask match failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    m = _SPLIT.search(out.stdout)
    if not m:
        raise SystemExit(f"no timing line in the output:\n{out.stdout}")
    links = re.search(r"match run \d+: (\d+) link", out.stdout)
    load, jobs, cand, solve, post, procs, meanwhile, merge, store = map(float, m.groups())
    return {"wall": wall, "load": load, "materials": jobs, "merge": merge, "store": store,
            "start": wall - load - jobs - merge - store, "candidates": cand, "solve": solve, "post": post,
            "stored": meanwhile, "processes": procs, "links": float(links.group(1)) if links else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=50_000, help="listings (default 50,000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--database", default=None, help="a database URL to use instead of a temporary SQLite file")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    from bench.match_scale import machine

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or "sqlite:///" + os.path.join(tmp, "e2e.db")
        shown = url if "sqlite" in url else url.split("@")[-1]
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
        built = build_database(url, args.n)
        print(f"built {shown} with {args.n:,} listings in {built:.1f} s")
        cols = ("wall", "start", "load", "materials", "merge", "store", "candidates", "solve", "post", "stored")
        print(f"{'run':>3} " + " ".join(f"{c:>10}" for c in cols) + f" {'links':>8}")
        runs = []
        for i in range(args.repeat):
            r = time_match(url)
            runs.append(r)
            print(f"{i + 1:>3} " + " ".join(f"{r[c]:>10.2f}" for c in cols) + f" {r['links']:>8,.0f}")
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print("med " + " ".join(f"{med[c]:>10.2f}" for c in cols) + f" {med['links']:>8,.0f}")
        print(f"target: 10 s end to end; median {med['wall']:.1f} s ({'met' if med['wall'] <= 10 else 'not met'}).")
        print("seconds: wall = the whole command; start = Python, imports, app, schema check; load = one Core "
              "select; materials = the matcher's jobs, one per material (candidates, solve, links with their "
              f"explanations and the reasons for what is left), on {med['processes']:.0f} process(es), wall time; "
              "merge = the matcher's merge of the jobs, totals and gap analysis; store = supersede + bulk inserts "
              "+ commit of what was not stored meanwhile. candidates, solve, post = the seconds of each stage "
              "summed over the jobs (CPU time in the jobs); stored = the links of finished materials inserted "
              "while the other jobs went on (in this process, within materials); none of these four is part of "
              "the wall sum")


if __name__ == "__main__":
    main()
