"""Province-scale matching benchmark: prints figures, asserts nothing.

Run: ``python -m bench.match_scale`` (``--sizes 1000,5000`` for fewer sizes).

For each size of synthetic province (:mod:`bench.synthetic`: positions drawn
around the real Shandong plants, all four materials, sources and sinks in equal
numbers) it runs the matcher in a fresh process and prints candidate time,
solve time, edges, peak memory (max RSS) and the total net benefit. It also
prints, in the same run:

* a naive all-pairs baseline: every source x sink pair of a material with
  geopy's exact geodesic (about 240 us a pair), where that finishes in
  reasonable time, and with a vectorised all-pairs pyproj scan; and the ratio
  to the indexed candidate generation;
* the benefit lost by the per-listing candidate cap against the uncapped
  graph at 5k listings, for several caps;
* the time to find the partners of one new listing against 50k stored ones
  (:class:`~exchange.matching.network.PartnerIndex`) and to build that index.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def one_size(n: int, cap: int | None, repeat: int) -> dict:
    """Runs in a child process: match a province of ``n`` listings ``repeat`` times."""
    from bench.synthetic import province
    from exchange.domain import Defaults
    from exchange.matching.network import build_network
    from exchange.matching.solve import build_and_solve, solve

    listings = province(n)
    cand, sol, both, total, total_jobs = [], [], [], 0.0, 0.0
    edges = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        net = build_network(listings, Defaults(), cap=cap)
        t1 = time.perf_counter()
        flows = solve(net)
        t2 = time.perf_counter()
        cand.append(t1 - t0)
        sol.append(t2 - t1)
        edges = len(net.candidates)
        total = float((flows * net.candidates.net).sum())
        t3 = time.perf_counter()
        net2, flows2, _ = build_and_solve(listings, Defaults(), cap=cap)  # what match() does: a job per material
        both.append(time.perf_counter() - t3)
        total_jobs = float((flows2 * net2.candidates.net).sum())
    return {"n": n, "cap": cap, "candidate_s": statistics.median(cand), "solve_s": statistics.median(sol),
            "jobs_s": statistics.median(both), "edges": edges, "benefit": total, "benefit_jobs": total_jobs,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(n: int, cap: int | None, repeat: int) -> dict:
    code = f"import json, bench.match_scale as b; print(json.dumps(b.one_size({n}, {cap!r}, {repeat})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def naive_geopy(n: int, limit_pairs: int) -> tuple[float, int] | None:
    """Seconds for all source x sink geodesics with geopy, per material; None if too many pairs."""
    from geopy.distance import geodesic

    from bench.synthetic import province
    from exchange.domain import Role

    listings = province(n)
    count = sum(sum(1 for s in listings if s.role is Role.SOURCE and s.material == m)
                * sum(1 for k in listings if k.role is Role.SINK and k.material == m)
                for m in {l.material for l in listings})
    if count > limit_pairs:
        return None
    pairs = [(s, k) for s in listings if s.role is Role.SOURCE for k in listings
             if k.role is Role.SINK and k.material == s.material]
    t = time.perf_counter()
    for s, k in pairs:
        geodesic((s.lat, s.lon), (k.lat, k.lon)).km
    return time.perf_counter() - t, len(pairs)


def naive_vectorised(n: int) -> tuple[float, int]:
    import numpy as np

    from bench.synthetic import province
    from exchange.domain import Role
    from geodata.distance import geodesic_km_many

    listings = province(n)
    t = time.perf_counter()
    pairs = 0
    for key in ("waste_heat", "fly_ash", "fgd_gypsum", "hydrogen"):
        s = [l for l in listings if l.material == key and l.role is Role.SOURCE]
        k = [l for l in listings if l.material == key and l.role is Role.SINK]
        la1 = np.repeat([x.lat for x in s], len(k))
        lo1 = np.repeat([x.lon for x in s], len(k))
        la2 = np.tile([x.lat for x in k], len(s))
        lo2 = np.tile([x.lon for x in k], len(s))
        geodesic_km_many(la1, lo1, la2, lo2)
        pairs += len(la1)
    return time.perf_counter() - t, pairs


def one_listing(n: int, repeat: int = 200) -> tuple[float, float]:
    """Median ms to find one new listing's partners against ``n`` stored, and ms to build the index."""
    from bench.synthetic import province
    from exchange.domain import Defaults
    from exchange.matching.network import PartnerIndex

    stored = province(n)
    new = province(repeat, seed=99)
    t = time.perf_counter()
    index = PartnerIndex(stored, Defaults())
    build = (time.perf_counter() - t) * 1000
    times = []
    for l in new:
        t = time.perf_counter()
        index.partners(l, k=25)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), build


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,5000,20000,50000")
    ap.add_argument("--cap", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"machine: {machine()}")
    print(f"cap: {args.cap} candidates per listing; medians of {args.repeat} runs, each size in a fresh process\n")
    print("candidates s, solve s: one process, one material after another; jobs s: candidates and solve as "
          "match() does them, a job per material on both cores (from 8,000 listings)")
    print(f"{'listings':>9} {'edges':>9} {'candidates s':>13} {'solve s':>8} {'jobs s':>7} {'peak MiB':>9} "
          f"{'benefit RMB/yr':>17}")
    for n in ([] if args.skip_scale else sizes):
        r = child(n, args.cap, args.repeat if n <= 20000 else 1)
        same = "" if abs(r["benefit_jobs"] - r["benefit"]) <= 1e-9 * abs(r["benefit"]) else \
            f"  (jobs: {r['benefit_jobs']:,.0f}, NOT the same)"
        print(f"{n:>9,} {r['edges']:>9,} {r['candidate_s']:>13.2f} {r['solve_s']:>8.2f} {r['jobs_s']:>7.2f} "
              f"{r['peak_mib']:>9.0f} {r['benefit']:>17,.0f}{same}", flush=True)
    print("\nnaive all-pairs baseline (same listings):")
    for n in ([] if args.skip_baseline else sizes):
        ours = child(n, args.cap, 1)["candidate_s"] if n <= 20000 else None
        g = naive_geopy(n, limit_pairs=200_000)
        v = naive_vectorised(n) if n <= 20000 else None
        if g:
            print(f"  {n:>6,}: geopy all pairs {g[0]:.2f} s for {g[1]:,} pairs; indexed candidates {ours:.2f} s; "
                  f"ratio {g[0] / ours:.1f}x", flush=True)
        else:
            print(f"  {n:>6,}: geopy all pairs skipped (would take about {0.00024 * (n / 8) ** 2 * 4 / 60:.0f} min)")
        if v and ours:
            print(f"  {n:>6,}: vectorised pyproj all pairs {v[0]:.2f} s for {v[1]:,} pairs (distances only); "
                  f"ratio {v[0] / ours:.1f}x", flush=True)
    print("\ncap against the uncapped graph at 5,000 listings:")
    full = child(5000, None, 1)
    print(f"  uncapped: {full['edges']:,} edges, benefit {full['benefit']:,.0f}, "
          f"{full['candidate_s'] + full['solve_s']:.2f} s")
    for cap in (10, 25, 50):
        r = child(5000, cap, 1)
        loss = 100 * (full["benefit"] - r["benefit"]) / full["benefit"]
        print(f"  cap {cap:>3}: {r['edges']:,} edges, benefit lost {loss:.2f} %, "
              f"{r['candidate_s'] + r['solve_s']:.2f} s", flush=True)
    ms, build = one_listing(50000)
    print(f"\none new listing against 50,000 stored: partners in {ms:.3f} ms (median of 200); "
          f"index built in {build:.0f} ms")


if __name__ == "__main__":
    main()
