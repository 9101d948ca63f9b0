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

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .allocate import Arc, allocate, lp_allocate, month_atoms
from .network import POPCOUNT, Floats, Network


def solve(net: Network, solver: str = "ortools") -> Floats:
    """Annual flow on every candidate (canonical units taken from the source)."""
    c = net.candidates
    flows = np.zeros(len(c))
    if not len(c):
        return flows
    n = len(net.listings)
    material = np.array([net.listings[int(j)].material for j in c.sink])
    for key in np.unique(material):
        idx = np.flatnonzero(material == key)
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
    return flows


def _solve_mcf(net: Network, active: np.ndarray, share: dict[int, float], solver: str) -> Floats:
    c = net.candidates
    srcs = np.unique(c.source[active])
    snks = np.unique(c.sink[active])
    s_pos = {int(u): k for k, u in enumerate(srcs)}
    k_pos = {int(v): k for k, v in enumerate(snks)}
    supplies = [share[int(u)] for u in srcs]
    demands = [share[int(v)] for v in snks]
    arcs = [Arc(s_pos[int(c.source[a])], k_pos[int(c.sink[a])],
                min(supplies[s_pos[int(c.source[a])]], demands[k_pos[int(c.sink[a])]]), float(c.net[a]))
            for a in active]
    out = np.zeros(len(active))
    pos = {id(arc): k for k, arc in enumerate(arcs)}
    for arc, q in allocate(supplies, demands, arcs, solver=solver):
        out[pos[id(arc)]] = q
    return out


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
