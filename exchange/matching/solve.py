"""Solve the candidate network: per material, per month layer, per connected component.

* A layer whose arcs all deliver what they take (no heat pump, no purifier, no
  cascade) is a plain min-cost flow: :func:`~exchange.matching.allocate.allocate`
  (OR-Tools by default, networkx as an independent check).
* A layer with gains (delivered fraction other than 1, or cascade nodes whose
  supply depends on another node's inflow) is a generalised flow, which a
  min-cost-flow solver cannot express: it is solved exactly as a linear
  programme with HiGHS (:func:`~exchange.matching.allocate.lp_allocate`), one
  connected component at a time.

Each listing's annual quantity is spread evenly over its ``available_months``;
the months are grouped into atoms (:func:`~exchange.matching.allocate.month_atoms`)
and every atom is solved on its own, so a link only carries what both sides
have in the same months.
"""

from __future__ import annotations

import multiprocessing as mp
import os

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .allocate import flow_arrays, lp_allocate, month_atoms
from .network import POPCOUNT, Floats, Network


#: below this many candidates the materials are solved one after another in this process
PARALLEL_FROM = 100_000

_NET: Network | None = None  # the network a forked worker solves (inherited, not pickled)


def solve(net: Network, solver: str = "ortools", *, workers: int | None = None) -> Floats:
    """Annual flow on every candidate (canonical units taken from the source).

    Materials are independent problems; on a large network they are solved in
    forked worker processes, largest first (``workers`` defaults to the CPU
    count; 1 keeps everything in this process).
    """
    global _NET
    c = net.candidates
    flows = np.zeros(len(c))
    if not len(c):
        return flows
    material = np.array([net.listings[int(j)].material for j in c.sink])
    keys = sorted(np.unique(material).tolist(), key=lambda k: -int(np.sum(material == k)))
    jobs = [(np.flatnonzero(material == k), solver) for k in keys]
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(c) >= PARALLEL_FROM and len(jobs) > 1 and "fork" in mp.get_all_start_methods():
        _NET = net
        try:
            with mp.get_context("fork").Pool(min(workers, len(jobs))) as pool:
                results = pool.map(_solve_material_job, jobs, chunksize=1)
        finally:
            _NET = None
    else:
        results = [_solve_material(net, idx, solver) for idx, solver in jobs]
    for (idx, _), out in zip(jobs, results):
        flows[idx] = out
    return flows


def _solve_material_job(job: tuple[np.ndarray, str]) -> Floats:
    assert _NET is not None
    return _solve_material(_NET, *job)


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
