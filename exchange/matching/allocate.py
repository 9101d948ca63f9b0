"""Allocate quantities over the whole network with a min-cost flow.

The problem: sources ``i`` with supply ``s_i``, sinks ``j`` with demand
``d_j``, arcs ``i -> j`` with capacity ``u_ij`` and net benefit ``b_ij`` per
unit. Choose flows ``0 <= f_ij <= u_ij`` with ``sum_j f_ij <= s_i`` and
``sum_i f_ij <= d_j`` that maximise ``sum b_ij f_ij``. Arcs with ``b_ij <= 0``
never help and are left out by the caller.

One function, :func:`allocate`, hides the solver:

* ``"ortools"`` (default): OR-Tools ``SimpleMinCostFlow`` (C++), fast enough for
  a province;
* ``"networkx"``: ``networkx.network_simplex``, kept as an independent check.

Both solve the same *integer* problem. Scale factors (networkx ``mincost.py``
advises integers): a quantity ``q`` becomes ``round(q / step)`` with ``step``
chosen per problem so that the largest supply or demand is at most about
``1e9`` units and never finer than ``1e-3`` canonical units; a benefit ``b``
becomes ``round(b * 100)`` (fen per canonical unit). The objective is thus
scaled by the positive constant ``100 / step``, which leaves the optimum's
location unchanged. Supply and demand are balanced explicitly: every source
has an arc to an ``unused`` node and the ``unmet`` demand of every sink comes
from the same balance node, both at zero cost.

>>> flows = allocate([10.0, 10.0], [10.0, 10.0],
...                  [Arc(0, 0, 10.0, 5.0), Arc(0, 1, 10.0, 4.0), Arc(1, 0, 10.0, 4.5)])
>>> sorted((a.source, a.sink, round(f, 3)) for a, f in flows)
[(0, 1, 10.0), (1, 0, 10.0)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SOLVERS = ("ortools", "networkx")
MAX_UNITS = 1e9
FINEST_STEP = 1e-3
BENEFIT_SCALE = 100


@dataclass(frozen=True)
class Arc:
    """A candidate link: indices into the supply and demand lists."""

    source: int
    sink: int
    capacity: float
    benefit: float  # per unit of flow


class SolverError(RuntimeError):
    """The solver did not report an optimum (a bug, never bad input)."""


def quantity_step(supplies: Sequence[float], demands: Sequence[float]) -> float:
    """Size of one integer flow unit in canonical units.

    >>> quantity_step([5e9], [1.0])
    5.0
    >>> quantity_step([12.0], [3.0])
    0.001
    """
    biggest = max([0.0, *supplies, *demands])
    return max(biggest / MAX_UNITS, FINEST_STEP)


def allocate(
    supplies: Sequence[float],
    demands: Sequence[float],
    arcs: Sequence[Arc],
    solver: str = "ortools",
) -> list[tuple[Arc, float]]:
    """Flows on the arcs that carry any, as ``(arc, quantity)``.

    Parameters
    ----------
    supplies, demands : sequences of float
        Canonical quantities per source and per sink (>= 0).
    arcs : sequence of Arc
        Candidate links with positive benefit per unit.
    solver : {"ortools", "networkx"}

    Returns
    -------
    list of (Arc, float)
        Only arcs with positive flow, quantities in canonical units.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}")
    if not arcs:
        return []
    step = quantity_step(supplies, demands)
    s_int = [int(round(s / step)) for s in supplies]
    d_int = [int(round(d / step)) for d in demands]
    cap = [min(int(round(a.capacity / step)), s_int[a.source], d_int[a.sink]) for a in arcs]
    cost = [-int(round(a.benefit * BENEFIT_SCALE)) for a in arcs]
    solve = _solve_ortools if solver == "ortools" else _solve_networkx
    flows = solve(s_int, d_int, arcs, cap, cost)
    return [(a, f * step) for a, f in zip(arcs, flows) if f > 0]


def _solve_ortools(s_int: list[int], d_int: list[int], arcs: Sequence[Arc], cap: list[int], cost: list[int]) -> list[int]:
    import numpy as np
    from ortools.graph.python import min_cost_flow

    n_s, n_d = len(s_int), len(d_int)
    balance = n_s + n_d
    smcf = min_cost_flow.SimpleMinCostFlow()
    tails = np.array([a.source for a in arcs] + list(range(n_s)) + [balance] * n_d, dtype=np.int32)
    heads = np.array([n_s + a.sink for a in arcs] + [balance] * n_s + [n_s + j for j in range(n_d)], dtype=np.int32)
    caps = np.array(cap + s_int + d_int, dtype=np.int64)
    costs = np.array(cost + [0] * (n_s + n_d), dtype=np.int64)
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.array(s_int + [-d for d in d_int] + [sum(d_int) - sum(s_int)], dtype=np.int64)
    smcf.set_nodes_supplies(np.arange(balance + 1, dtype=np.int32), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise SolverError(f"OR-Tools min-cost flow ended with status {status}")
    return [int(x) for x in smcf.flows(np.arange(len(arcs), dtype=np.int32))]


def _solve_networkx(s_int: list[int], d_int: list[int], arcs: Sequence[Arc], cap: list[int], cost: list[int]) -> list[int]:
    import networkx as nx

    g = nx.DiGraph()
    for i, s in enumerate(s_int):
        g.add_node(("s", i), demand=-s)
        g.add_edge(("s", i), "balance", capacity=s, weight=0)
    for j, d in enumerate(d_int):
        g.add_node(("k", j), demand=d)
        g.add_edge("balance", ("k", j), capacity=d, weight=0)
    g.add_node("balance", demand=sum(s_int) - sum(d_int))
    for a, c, w in zip(arcs, cap, cost):
        u, v = ("s", a.source), ("k", a.sink)
        if g.has_edge(u, v):  # parallel candidates (e.g. two upgrade options): keep the better one
            if g[u][v]["weight"] <= w:
                continue
        g.add_edge(u, v, capacity=c, weight=w)
    _, flow = nx.network_simplex(g)
    out = []
    for a, w in zip(arcs, cost):
        u, v = ("s", a.source), ("k", a.sink)
        f = flow[u].get(v, 0)
        # a dropped parallel arc carries nothing; give the flow to the kept one only once
        if f and g[u][v]["weight"] == w:
            out.append(f)
            flow[u][v] = 0
        else:
            out.append(0)
    return out


def objective(flows: Sequence[tuple[Arc, float]]) -> float:
    """Total benefit of an allocation (canonical units times benefit per unit)."""
    return math.fsum(a.benefit * f for a, f in flows)


# ---------------------------------------------------------------------------------------------
# The whole network: month layers, connected components, gains


def month_atoms(masks: Sequence[int]) -> list[int]:
    """Group the 12 months into atoms: months that the same listings are available in.

    Quantities are spread evenly over a listing's months, so each atom is an
    independent allocation problem with ``len(atom)/len(months)`` of each
    listing's annual quantity.

    >>> [bin(a) for a in month_atoms([0b111111111111, 0b000000000111])]
    ['0b111', '0b111111111000']
    """
    groups: dict[tuple[int, ...], int] = {}
    for m in range(12):
        sig = tuple((mask >> m) & 1 for mask in masks)
        if any(sig):
            groups[sig] = groups.get(sig, 0) | (1 << m)
    return sorted(groups.values())


def lp_allocate(
    supply: Sequence[float],
    tails: Sequence[int],
    heads: Sequence[int],
    frac: Sequence[float],
    benefit: Sequence[float],
    cascades: Sequence[tuple[int, int, float]] = (),
) -> list[float]:
    """Generalised flow by linear programming (HiGHS through scipy).

    Nodes ``0..len(supply)-1``: a node with positive ``supply`` is a source
    (gives at most that), a node with negative ``supply`` a sink (receives at
    most ``-supply``), a node with supply 0 a cascade node whose giving is
    bounded by ``cascades``: ``(node, sink, gain)`` means the node gives at most
    ``gain`` times what ``sink`` receives. Arc ``a`` takes ``x_a`` from
    ``tails[a]`` and delivers ``frac[a] * x_a`` to ``heads[a]``; the LP
    maximises ``sum(benefit[a] * x_a)``.

    >>> lp_allocate([10, -9], [0], [1], [0.9], [2.0])
    [10.0]
    """
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    n_arcs = len(tails)
    if n_arcs == 0:
        return []
    t = np.asarray(tails)
    h = np.asarray(heads)
    f = np.asarray(frac, dtype=float)
    sup = np.asarray(supply, dtype=float)
    rows, cols, vals, rhs = [], [], [], []
    row_of: dict[tuple[str, int], int] = {}

    def row(kind: str, node: int, bound: float) -> int:
        key = (kind, node)
        if key not in row_of:
            row_of[key] = len(rhs)
            rhs.append(bound)
        return row_of[key]

    arcs = np.arange(n_arcs)
    for a, u in zip(arcs, t):
        if sup[u] > 0:
            rows.append(row("out", int(u), float(sup[u]))); cols.append(int(a)); vals.append(1.0)
    for a, v, fa in zip(arcs, h, f):
        rows.append(row("in", int(v), float(-sup[v]))); cols.append(int(a)); vals.append(float(fa))
    into: dict[int, list[int]] = {}
    for a, v in zip(arcs, h):
        into.setdefault(int(v), []).append(int(a))
    for node, sink, gain in cascades:
        r = row("cascade", node, 0.0)
        for a in np.flatnonzero(t == node):
            rows.append(r); cols.append(int(a)); vals.append(1.0)
        for a in into.get(sink, []):
            rows.append(r); cols.append(a); vals.append(-gain * float(f[a]))
    scale = max(float(np.abs(sup).max()), 1.0)
    A = csr_matrix((vals, (rows, cols)), shape=(len(rhs), n_arcs))
    res = linprog(-np.asarray(benefit, dtype=float), A_ub=A, b_ub=np.asarray(rhs) / scale, bounds=(0, None),
                  method="highs")
    if res.status != 0:
        raise SolverError(f"HiGHS ended with status {res.status}: {res.message}")
    return [max(0.0, float(x) * scale) for x in res.x]
