"""Solve the candidate network: per material, per month layer, per connected component.

* A layer whose arcs all deliver what they take (no heat pump, no purifier, no
  cascade) is a plain min-cost flow: :func:`~exchange.matching.allocate.allocate`
  (OR-Tools by default, networkx as an independent check).
* A layer with gains (delivered fraction other than 1, or cascade nodes whose
  supply depends on another node's inflow) is a generalised flow, which a
  min-cost-flow solver cannot express: it is solved exactly as a linear
  programme with HiGHS (:func:`~exchange.matching.allocate.lp_allocate`), one
  connected component at a time.

:func:`per_material` is what :func:`~exchange.matching.match` uses: each
material's candidates are built, solved and turned into links and reasons in
one job, the jobs spread over forked processes on a large input (each material
is an independent problem, so one core screens fly ash while the other solves
hydrogen), and the parts merged.

Each listing's annual quantity is spread evenly over its ``available_months``;
the months are grouped into atoms (:func:`~exchange.matching.allocate.month_atoms`)
and every atom is solved on its own, so a link only carries what both sides
have in the same months.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from exchange.domain.factors import Defaults
from exchange.domain.listing import Listing
from exchange.domain.materials import CATALOGUE

from .allocate import flow_arrays, lp_allocate, month_atoms
from .network import POPCOUNT, Floats, Network, build_network, merge_networks


#: below this many listings :func:`per_material` does every material in this process (a fork and
#: the transfer of its result back cost more than they save on a small input)
PARALLEL_FROM_LISTINGS = 8_000

#: relative work per listing of a material's job (candidates and solve), to start the longest first;
#: measured on bench/match_e2e.py's 50k province: hydrogen's purifiers make its layer an LP (2.2 s for
#: 12.5k listings), fly ash and gypsum 1.5-1.9 s, waste heat (short reach, few partners) 1.2 s for more listings
JOB_WEIGHT = {"hydrogen": 2.0, "waste_heat": 0.6}

_JOB: tuple[Any, ...] | None = None  # what a forked job works on (inherited, not pickled)

#: what a job does with its material's network and flows; its result must pickle
Finish = Callable[[Network, Floats, str], Any]


@dataclass
class Timing:
    """Seconds of each stage summed over the materials' jobs, and the wall time of all the jobs."""

    candidates: float
    solve: float
    finish: float
    wall: float
    processes: int


class _Pickler(pickle.Pickler):
    """Sends the caller's listings (and the list holding them) as references, not copies."""

    def __init__(self, fh: io.BytesIO, listings: Sequence[Listing], index: dict[int, int]) -> None:
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._all = id(listings)
        self._index = index

    def persistent_id(self, obj: object) -> tuple[str, int] | None:
        i = self._index.get(id(obj))
        if i is not None and type(obj) is Listing:
            return ("L", i)
        return ("A", 0) if id(obj) == self._all else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, fh: io.BytesIO, listings: Sequence[Listing]) -> None:
        super().__init__(fh)
        self._listings = listings

    def persistent_load(self, pid: tuple[str, int]) -> object:
        kind, i = pid
        return self._listings[i] if kind == "L" else self._listings


def per_material(listings: Sequence[Listing], defaults: Defaults, finish: Finish, *, cap: int | None = None,
                 exclude: frozenset[tuple[int, int]] = frozenset(), solver: str = "ortools",
                 workers: int | None = None, on_done: Callable[[Any], None] | None = None) -> tuple[list[Any], Timing]:
    """One job per material present: build its candidates, solve them, then ``finish(net, flows, material)``.

    Each material is an independent problem, so on a large input (at least
    :data:`PARALLEL_FROM_LISTINGS`) the jobs run in forked processes, the
    longest first (one core screens fly ash while the other solves hydrogen),
    and what ``finish`` returns comes back pickled, the caller's listings as
    references. Returns ``finish``'s results in catalogue order of materials;
    ``on_done`` is called in this process with each as soon as it is there
    (in the order the jobs end), while the other jobs go on.
    """
    global _JOB
    t0 = time.perf_counter()
    present = {l.material for l in listings}
    keys = [k for k in CATALOGUE if k in present]
    size = {k: sum(1 for l in listings if l.material == k) for k in keys}
    jobs = sorted(keys, key=lambda k: -size[k] * JOB_WEIGHT.get(k, 1.0))  # longest first (LPT schedule)
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    parallel = workers > 1 and len(listings) >= PARALLEL_FROM_LISTINGS and "fork" in mp.get_all_start_methods()
    got: dict[str, tuple[Any, tuple[float, float, float]]] = {}
    if parallel:
        _JOB = (listings, defaults, cap, exclude, solver, finish, {id(l): i for i, l in enumerate(listings)})
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                for key, sent in pool.imap_unordered(_material_job, jobs, chunksize=1):
                    got[key] = _Unpickler(io.BytesIO(sent), listings).load()  # while the other jobs go on
                    if on_done is not None:
                        on_done(got[key][0])
        finally:
            _JOB = None
    else:
        for key in keys:
            got[key] = _material_part(listings, defaults, cap, exclude, solver, finish, key)
            if on_done is not None:
                on_done(got[key][0])
    parts = [got[k] for k in keys]
    timing = Timing(*(sum(p[1][n] for p in parts) for n in range(3)), time.perf_counter() - t0,
                    workers if parallel else 1)
    return [p[0] for p in parts], timing


def build_and_solve(listings: Sequence[Listing], defaults: Defaults, *, cap: int | None = None,
                    exclude: frozenset[tuple[int, int]] = frozenset(), solver: str = "ortools",
                    workers: int | None = None) -> tuple[Network, Floats, Timing]:
    """Candidates and annual flows of every material, by :func:`per_material` (for benchmarks and tests).

    Equal to :func:`~exchange.matching.network.build_network` followed by
    :func:`solve`, with the candidates in catalogue order of materials.
    """
    parts, timing = per_material(listings, defaults, _network_and_flows, cap=cap, exclude=exclude, solver=solver,
                                 workers=workers)
    net = merge_networks(listings, [p[0] for p in parts])
    flows = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
    return net, flows, timing


def _network_and_flows(net: Network, flows: Floats, key: str) -> tuple[Network, Floats]:
    return net, flows


def _material_job(key: str) -> tuple[str, bytes]:
    assert _JOB is not None
    *job, index = _JOB
    part = _material_part(*job, key)  # type: ignore[arg-type]
    fh = io.BytesIO()
    _Pickler(fh, job[0], index).dump(part)  # type: ignore[arg-type]
    return key, fh.getvalue()


def _material_part(listings: Sequence[Listing], defaults: Defaults, cap: int | None,
                   exclude: frozenset[tuple[int, int]], solver: str, finish: Finish,
                   key: str) -> tuple[Any, tuple[float, float, float]]:
    t0 = time.perf_counter()
    net = build_network(listings, defaults, cap=cap, exclude=exclude, materials=(key,))
    t1 = time.perf_counter()
    flows = _solve_material(net, np.arange(len(net.candidates)), solver) if len(net.candidates) else np.zeros(0)
    t2 = time.perf_counter()
    out = finish(net, flows, key)
    return out, (t1 - t0, t2 - t1, time.perf_counter() - t2)


def solve(net: Network, solver: str = "ortools") -> Floats:
    """Annual flow on every candidate of a whole network (canonical units taken from the source), in this
    process, one material after another. :func:`per_material` is the parallel way."""
    c = net.candidates
    flows = np.zeros(len(c))
    material = np.array([net.listings[int(j)].material for j in c.sink])
    for key in np.unique(material).tolist():
        idx = np.flatnonzero(material == key)
        flows[idx] = _solve_material(net, idx, solver)
    return flows


def _solve_material(net: Network, idx: np.ndarray, solver: str) -> Floats:
    """Flows of one material's candidates ``idx`` (returned in the order of ``idx``)."""
    c = net.candidates
    n = len(net.listings)
    flows = np.zeros(len(c))
    nodes = np.unique(np.concatenate([c.source[idx], c.sink[idx]]))
    masks = {int(u): net.node_months(int(u)) for u in nodes}
    qty = {int(u): net.node_quantity(int(u)) for u in nodes}
    for atom in month_atoms(list(masks.values())):
        active = idx[(c.months[idx] & atom) == atom]
        if not len(active):
            continue
        share = {u: qty[u] * POPCOUNT[atom & m] / POPCOUNT[m] for u, m in masks.items()}
        gains = bool(np.any(np.abs(c.frac[active] - 1.0) > 1e-12) or np.any(c.source[active] >= n))
        if gains:
            flows[active] += _solve_lp(net, active, share)
        else:
            flows[active] += _solve_mcf(net, active, share, solver)
    return flows[idx]


def _solve_mcf(net: Network, active: np.ndarray, share: dict[int, float], solver: str) -> Floats:
    c = net.candidates
    srcs, t = np.unique(c.source[active], return_inverse=True)
    snks, h = np.unique(c.sink[active], return_inverse=True)
    supplies = np.array([share[int(u)] for u in srcs])
    demands = np.array([share[int(v)] for v in snks])
    return flow_arrays(supplies, demands, t, h, np.minimum(supplies[t], demands[h]), c.net[active], solver)


def _solve_lp(net: Network, active: np.ndarray, share: dict[int, float]) -> Floats:
    c = net.candidates
    tails, heads = c.source[active], c.sink[active]
    nodes = np.unique(np.concatenate([tails, heads, [j for r, (j, _) in net.cascade_sink.items() if r in set(tails.tolist())]]))
    local = {int(u): k for k, u in enumerate(nodes)}
    t = np.array([local[int(u)] for u in tails])
    h = np.array([local[int(v)] for v in heads])
    extra = [(local[r], local[j]) for r, (j, _) in net.cascade_sink.items() if r in local and j in local]
    et = np.r_[t, [e[0] for e in extra]].astype(np.int64)
    eh = np.r_[h, [e[1] for e in extra]].astype(np.int64)
    graph = coo_matrix((np.ones(len(et)), (et, eh)), shape=(len(nodes), len(nodes)))
    _, comp = connected_components(graph, directed=False)
    out = np.zeros(len(active))
    n = len(net.listings)
    for k in np.unique(comp[t]):
        arcs = np.flatnonzero(comp[t] == k)
        members = np.flatnonzero(comp == k)
        m_local = {int(u): q for q, u in enumerate(members)}
        supply = []
        for u in members:
            node = int(nodes[u])
            if node >= n:
                supply.append(0.0)
            elif net.listings[node].role.value == "source":
                supply.append(share[node])
            else:
                supply.append(-share[node])
        cascades = [(m_local[local[r]], m_local[local[j]], gain) for r, (j, gain) in net.cascade_sink.items()
                    if r in local and j in local and local[r] in m_local and local[j] in m_local]
        x = lp_allocate(supply, [m_local[int(u)] for u in t[arcs]], [m_local[int(v)] for v in h[arcs]],
                        c.frac[active][arcs].tolist(), c.net[active][arcs].tolist(), cascades)
        out[arcs] = x
    return out
