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
advises integers, and OR-Tools adds costs in 64-bit integers):

* a quantity ``q`` becomes ``floor(q / step)`` with ``step`` = the larger of
  total supply and total demand over ``1e12`` (rounded *down*, so no listing is
  ever over-allocated);
* a benefit ``b`` becomes ``round(b * scale)`` with ``scale`` = ``1e6`` over the
  largest benefit, so every integer cost is at most ``1e6``.

Total cost therefore stays below ``1e18`` (int64 holds ``9.2e18``). The price
of integers: each flow is exact to one ``step`` and each benefit to ``1e-6`` of
the largest one, so the objective is within about one part in a million of the
real-valued optimum (the tests check this against an LP). Supply and demand
are balanced explicitly: every source has an arc to a ``balance`` node (what is
left unused) and the ``unmet`` demand of every sink comes from the same node,
both at zero cost.

>>> flows = allocate([10.0, 10.0], [10.0, 10.0],
...                  [Arc(0, 0, 10.0, 5.0), Arc(0, 1, 10.0, 4.0), Arc(1, 0, 10.0, 4.5)])
>>> sorted((a.source, a.sink, round(f, 3)) for a, f in flows)
[(0, 1, 10.0), (1, 0, 10.0)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

SOLVERS = ("ortools", "networkx")
MAX_TOTAL_UNITS = 1e12
MAX_COST = 1e6


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

    >>> quantity_step([5e12, 1e12], [1.0])
    6.0
    >>> quantity_step([12.0], [3.0])
    1.2e-11
    """
    total = max(math.fsum(supplies), math.fsum(demands))
    return total / MAX_TOTAL_UNITS if total > 0 else 1.0


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
    import numpy as np

    flows = flow_arrays(np.asarray(supplies, dtype=float), np.asarray(demands, dtype=float),
                        np.array([a.source for a in arcs]), np.array([a.sink for a in arcs]),
                        np.array([a.capacity for a in arcs], dtype=float), np.array([a.benefit for a in arcs]), solver)
    return [(a, float(f)) for a, f in zip(arcs, flows) if f > 0]


def flow_arrays(supplies, demands, tails, heads, capacity, benefit, solver: str = "ortools"):  # type: ignore[no-untyped-def]
    """Array form of :func:`allocate`: flow per arc (numpy), same scaling rules."""
    import numpy as np

    step = quantity_step(supplies.tolist(), demands.tolist())
    s_int = np.floor(supplies / step).astype(np.int64)
    d_int = np.floor(demands / step).astype(np.int64)
    cap_f = np.minimum(np.floor(np.minimum(capacity / step, 4e18)), np.minimum(s_int[tails], d_int[heads]))
    cap = cap_f.astype(np.int64)
    top = float(np.abs(benefit).max()) if len(benefit) else 1.0
    cost = -np.round(benefit * (MAX_COST / (top or 1.0))).astype(np.int64)
    solve = _solve_ortools if solver == "ortools" else _solve_networkx
    return np.asarray(solve(s_int, d_int, tails, heads, cap, cost), dtype=float) * step


def _solve_ortools(s_int, d_int, tails, heads, cap, cost):  # type: ignore[no-untyped-def]
    import numpy as np
    from ortools.graph.python import min_cost_flow

    n_s, n_d = len(s_int), len(d_int)
    balance = n_s + n_d
    smcf = min_cost_flow.SimpleMinCostFlow()
    t = np.r_[tails, np.arange(n_s), np.full(n_d, balance)].astype(np.int32)
    h = np.r_[n_s + heads, np.full(n_s, balance), n_s + np.arange(n_d)].astype(np.int32)
    smcf.add_arcs_with_capacity_and_unit_cost(t, h, np.r_[cap, s_int, d_int].astype(np.int64),
                                              np.r_[cost, np.zeros(n_s + n_d, dtype=np.int64)])
    supply = np.r_[s_int, -d_int, [int(d_int.sum() - s_int.sum())]].astype(np.int64)
    smcf.set_nodes_supplies(np.arange(balance + 1, dtype=np.int32), supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise SolverError(f"OR-Tools min-cost flow ended with status {status}")
    return smcf.flows(np.arange(len(tails), dtype=np.int32))


def _solve_networkx(s_int, d_int, tails, heads, cap, cost):  # type: ignore[no-untyped-def]
    import networkx as nx

    g = nx.DiGraph()
    for i, s in enumerate(s_int.tolist()):
        g.add_node(("s", i), demand=-s)
        g.add_edge(("s", i), "balance", capacity=s, weight=0)
    for j, d in enumerate(d_int.tolist()):
        g.add_node(("k", j), demand=d)
        g.add_edge("balance", ("k", j), capacity=d, weight=0)
    g.add_node("balance", demand=int(s_int.sum() - d_int.sum()))
    kept: dict[tuple[object, object], int] = {}
    for n, (u_, v_, c, w) in enumerate(zip(tails.tolist(), heads.tolist(), cap.tolist(), cost.tolist())):
        u, v = ("s", u_), ("k", v_)
        if (u, v) in kept and g[u][v]["weight"] <= w:  # parallel arcs: keep the better one
            continue
        g.add_edge(u, v, capacity=c, weight=w)
        kept[(u, v)] = n
    _, flow = nx.network_simplex(g)
    out = [0] * len(tails)
    for (u, v), n in kept.items():
        out[n] = flow[u].get(v, 0)
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
    *,
    first_per_node: int = 6,
    add_per_node: int = 3,
) -> list[float]:
    """Generalised flow by linear programming (HiGHS), with column generation.

    Nodes ``0..len(supply)-1``: a node with positive ``supply`` is a source
    (gives at most that), a node with negative ``supply`` a sink (receives at
    most ``-supply``), a node with supply 0 a cascade node whose giving is
    bounded by ``cascades``: ``(node, sink, gain)`` means the node gives at most
    ``gain`` times what ``sink`` receives. Arc ``a`` takes ``x_a`` from
    ``tails[a]`` and delivers ``frac[a] * x_a`` to ``heads[a]``; the LP
    maximises ``sum(benefit[a] * x_a)``.

    Column generation, which gives the optimum of the whole LP: HiGHS first
    solves the LP restricted to the ``first_per_node`` best-paying arcs of every
    node; the duals of that optimum then price every arc left out, and the
    arcs that would improve it (reduced benefit above HiGHS's own dual
    tolerance, at most ``add_per_node`` per node per round, best first) are
    added and the LP re-solved from the basis it has, until no arc left out
    would improve it. Any set of arcs is feasible (all flows zero), so every
    round is. On the 50k-listing benchmark's hydrogen layer (187,182 arcs, 117,351
    of them through a purifier) this takes about 1.1 s instead of 3.9 s for the
    whole LP at once, with the same objective.

    >>> lp_allocate([10, -9], [0], [1], [0.9], [2.0])
    [10.0]
    """
    import highspy
    import numpy as np
    from scipy.sparse import csc_matrix

    n_arcs = len(tails)
    if n_arcs == 0:
        return []
    t = np.asarray(tails, dtype=np.int64)
    h = np.asarray(heads, dtype=np.int64)
    f = np.asarray(frac, dtype=float)
    sup = np.asarray(supply, dtype=float)
    b = np.asarray(benefit, dtype=float)
    n_nodes = len(sup)
    arcs = np.arange(n_arcs)
    # rows 0..n-1: what a source gives, or what a sink receives; n..: cascade bounds
    give = sup[t] > 0
    rows = [t[give], h]
    cols = [arcs[give], arcs]
    vals = [np.ones(int(give.sum())), f]
    for k, (node, sink, gain) in enumerate(cascades):
        out_ = np.flatnonzero(t == node)
        in_ = np.flatnonzero(h == sink)
        rows += [np.full(len(out_), n_nodes + k), np.full(len(in_), n_nodes + k)]
        cols += [out_, in_]
        vals += [np.ones(len(out_)), -gain * f[in_]]
    rhs = np.r_[np.abs(sup), np.zeros(len(cascades))] / max(float(np.abs(sup).max()), 1.0)
    A = csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(rhs), n_arcs))
    A.sort_indices()
    top = max(float(np.abs(b).max()), 1e-300)
    gain_ = b / top  # benefits scaled to at most 1 in size: the tolerance below is then HiGHS's own

    lp = highspy.Highs()
    lp.setOptionValue("output_flag", False)
    lp.setOptionValue("threads", 1)  # no worker threads: this may run in a forked process
    tol = float(lp.getOptionValue("dual_feasibility_tolerance")[1])
    lp.addRows(len(rhs), np.full(len(rhs), -highspy.kHighsInf), rhs, 0, np.zeros(len(rhs), dtype=np.int32),
               np.empty(0, dtype=np.int32), np.empty(0))
    placed = np.full(n_arcs, -1, dtype=np.int64)  # column of each arc in the restricted LP
    order: list[np.ndarray] = []

    def add(new: np.ndarray) -> None:
        new = np.sort(new)
        sub = A[:, new]
        lp.addCols(len(new), -gain_[new], np.zeros(len(new)), np.full(len(new), highspy.kHighsInf), sub.nnz,
                   sub.indptr[:-1].astype(np.int32), sub.indices.astype(np.int32), sub.data)
        placed[new] = sum(len(o) for o in order) + np.arange(len(new))
        order.append(new)

    add(np.union1d(best_per_key(t, gain_, first_per_node), best_per_key(h, gain_, first_per_node)))
    while True:
        lp.run()
        status = lp.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"HiGHS ended with status {lp.modelStatusToString(status)}")
        y = -np.asarray(lp.getSolution().row_dual)  # >= 0: the worth of a unit more of each row
        reduced = gain_ - A.T @ y
        out = np.flatnonzero((placed < 0) & (reduced > tol))
        if not len(out):
            break
        add(out[np.union1d(best_per_key(t[out], reduced[out], add_per_node),
                           best_per_key(h[out], reduced[out], add_per_node))])
    x = np.asarray(lp.getSolution().col_value)
    scale = max(float(np.abs(sup).max()), 1.0)
    flows = np.zeros(n_arcs)
    flows[np.concatenate(order)] = np.maximum(x, 0.0) * scale
    return flows.tolist()


def best_per_key(keys: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest ``score`` for each distinct key (ties: the earlier position first)."""
    import numpy as np

    if not len(keys):
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((-score, keys))
    ks = keys[order]
    first = np.r_[0, np.flatnonzero(ks[1:] != ks[:-1]) + 1]
    rank = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
    return order[rank < k]
