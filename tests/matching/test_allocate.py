"""Min-cost-flow allocation: known optima, the greedy trap, and an independent LP check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from exchange.matching.allocate import Arc, allocate, objective


def lp_optimum(supplies, demands, arcs) -> float:
    """Independent optimum: the transportation LP solved by HiGHS (integral for integer data)."""
    n = len(arcs)
    c = np.array([-a.benefit for a in arcs])
    rows, rhs = [], []
    for i, s in enumerate(supplies):
        rows.append([1.0 if a.source == i else 0.0 for a in arcs])
        rhs.append(s)
    for j, d in enumerate(demands):
        rows.append([1.0 if a.sink == j else 0.0 for a in arcs])
        rhs.append(d)
    res = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=[(0, a.capacity) for a in arcs], method="highs")
    assert res.status == 0
    return -res.fun


def greedy(supplies, demands, arcs) -> float:
    """First pair that fits, best benefit first: what the matcher must never be worse than."""
    s, d, total = list(supplies), list(demands), 0.0
    for a in sorted(arcs, key=lambda a: -a.benefit):
        q = min(s[a.source], d[a.sink], a.capacity)
        if q > 0:
            s[a.source] -= q
            d[a.sink] -= q
            total += q * a.benefit
    return total


@pytest.mark.parametrize("solver", ["ortools", "networkx"])
def test_greedy_trap_takes_the_two_pairs(solver):
    # source 0 is nearest (most valuable) to sink 0, but it is the only one that can serve sink 1;
    # source 1 can serve only sink 0. Greedy takes 0->0 (5) and blocks both others (4 + 4.5 = 8.5).
    arcs = [Arc(0, 0, 10, 5.0), Arc(0, 1, 10, 4.0), Arc(1, 0, 10, 4.5)]
    flows = allocate([10, 10], [10, 10], arcs, solver=solver)
    assert {(a.source, a.sink): q for a, q in flows} == {(0, 1): pytest.approx(10), (1, 0): pytest.approx(10)}
    assert objective(flows) == pytest.approx(85.0)
    assert greedy([10, 10], [10, 10], arcs) == pytest.approx(50.0)


@pytest.mark.parametrize("solver", ["ortools", "networkx"])
def test_split_supply_over_two_sinks(solver):
    # one big source, two small sinks; a third sink is worth less and gets the rest
    arcs = [Arc(0, 0, 100, 3.0), Arc(0, 1, 100, 2.0), Arc(0, 2, 100, 1.0)]
    flows = allocate([100], [30, 50, 40], arcs, solver=solver)
    assert {a.sink: q for a, q in flows} == {0: pytest.approx(30), 1: pytest.approx(50), 2: pytest.approx(20)}


@pytest.mark.parametrize("solver", ["ortools", "networkx"])
def test_arc_capacity_is_respected(solver):
    flows = allocate([100], [100], [Arc(0, 0, 25, 1.0)], solver=solver)
    assert [q for _, q in flows] == [pytest.approx(25)]


def test_fractional_quantities_keep_their_precision():
    flows = allocate([12.345], [7.5, 100.0], [Arc(0, 0, 12.345, 2.0), Arc(0, 1, 12.345, 1.0)])
    got = {a.sink: q for a, q in flows}
    assert got[0] == pytest.approx(7.5, abs=1e-3)
    assert got[1] == pytest.approx(4.845, abs=1e-3)


def test_no_arcs_no_flow():
    assert allocate([5], [5], []) == []


instances = st.integers(1, 5).flatmap(lambda ns: st.integers(1, 5).flatmap(lambda nk: st.tuples(
    st.lists(st.integers(1, 60), min_size=ns, max_size=ns),
    st.lists(st.integers(1, 60), min_size=nk, max_size=nk),
    st.lists(st.tuples(st.integers(0, ns - 1), st.integers(0, nk - 1), st.integers(1, 80),
                       st.integers(1, 500).map(lambda x: x / 10)), min_size=1, max_size=12,
             unique_by=lambda t: (t[0], t[1])),
)))


@settings(max_examples=150, deadline=None)
@given(instances)
def test_both_solvers_reach_the_lp_optimum_and_respect_every_bound(inst):
    supplies, demands, raw = inst
    arcs = [Arc(i, j, float(c), b) for i, j, c, b in raw]
    best = lp_optimum(supplies, demands, arcs)
    for solver in ("ortools", "networkx"):
        flows = allocate(supplies, demands, arcs, solver=solver)
        assert objective(flows) == pytest.approx(best, rel=1e-5, abs=1e-6)
        assert objective(flows) >= greedy(supplies, demands, arcs) * (1 - 1e-5) - 1e-6
        for i, s in enumerate(supplies):
            assert sum(q for a, q in flows if a.source == i) <= s + 1e-9
        for j, d in enumerate(demands):
            assert sum(q for a, q in flows if a.sink == j) <= d + 1e-9
        for a, q in flows:
            assert 0 < q <= a.capacity + 1e-9


def test_parallel_solve_equals_serial_solve(monkeypatch):
    from bench.synthetic import province
    from exchange.domain import Defaults
    import importlib

    solve_mod = importlib.import_module("exchange.matching.solve")
    from exchange.matching.network import build_network

    listings = province(400)
    net = build_network(listings, Defaults(), cap=10)
    serial = solve_mod.solve(net)
    monkeypatch.setattr(solve_mod, "PARALLEL_FROM_LISTINGS", 1)
    jobs_net, parallel, timing = solve_mod.build_and_solve(listings, Defaults(), cap=10, workers=2)
    assert timing.processes == 2
    assert len(set(net.listings[int(j)].material for j in net.candidates.sink)) == 4
    assert np.array_equal(jobs_net.candidates.source, net.candidates.source)
    assert np.array_equal(jobs_net.candidates.sink, net.candidates.sink)
    assert np.allclose(serial, parallel, rtol=0, atol=1e-9)
    assert serial.sum() > 0


# --------------------------------------------------------------------------- flows with gains (column generation)

gain_instances = st.integers(1, 6).flatmap(lambda ns: st.integers(1, 6).flatmap(lambda nk: st.tuples(
    st.lists(st.integers(1, 60), min_size=ns, max_size=ns),
    st.lists(st.integers(1, 60), min_size=nk, max_size=nk),
    st.lists(st.tuples(st.integers(0, ns - 1), st.integers(0, nk - 1), st.sampled_from([1.0, 0.9, 0.8, 0.55]),
                       st.integers(-50, 500).map(lambda x: x / 10)), min_size=1, max_size=25,
             unique_by=lambda t: (t[0], t[1])),
    st.lists(st.tuples(st.integers(0, nk - 1), st.integers(0, nk - 1), st.integers(1, 30).map(lambda x: x / 10),
                       st.integers(1, 500).map(lambda x: x / 10)), max_size=3, unique_by=lambda t: t[0]),
    st.integers(1, 3),
)))


def gain_lp_optimum(supply, tails, heads, frac, benefit, cascades) -> float:
    """The whole LP at once, written out densely and solved by scipy's HiGHS: the independent optimum."""
    n, m = len(supply), len(tails)
    rows, rhs = [], []
    for u, s in enumerate(supply):
        if s > 0:
            rows.append([1.0 if tails[a] == u else 0.0 for a in range(m)])
            rhs.append(s)
        elif s < 0:
            rows.append([frac[a] if heads[a] == u else 0.0 for a in range(m)])
            rhs.append(-s)
    for node, sink, gain in cascades:
        rows.append([(1.0 if tails[a] == node else 0.0) - (gain * frac[a] if heads[a] == sink else 0.0)
                     for a in range(m)])
        rhs.append(0.0)
    res = linprog(-np.array(benefit), A_ub=np.array(rows), b_ub=np.array(rhs), bounds=(0, None), method="highs")
    assert res.status == 0
    return -res.fun


@settings(max_examples=150, deadline=None)
@given(gain_instances)
def test_column_generation_reaches_the_whole_lps_optimum(inst):
    """Started from one arc per node and adding one per round, it still ends at the whole LP's optimum."""
    from exchange.matching.allocate import lp_allocate

    supplies, demands, raw, raw_cascades, per_node = inst
    ns, nk = len(supplies), len(demands)
    supply = [float(s) for s in supplies] + [-float(d) for d in demands]
    tails = [i for i, _, _, _ in raw]
    heads = [ns + j for _, j, _, _ in raw]
    frac = [f for _, _, f, _ in raw]
    benefit = [b for _, _, _, b in raw]
    # cascade nodes: the return heat of sink j, serving sink k (never j itself)
    cascades = []
    for c, (j, k, gain, b) in enumerate(raw_cascades):
        if j == k:
            continue
        node = len(supply)
        supply.append(0.0)
        tails.append(node)
        heads.append(ns + k)
        frac.append(1.0)
        benefit.append(b)
        cascades.append((node, ns + j, gain))
    flows = lp_allocate(supply, tails, heads, frac, benefit, cascades, first_per_node=per_node, add_per_node=1)
    best = gain_lp_optimum(supply, tails, heads, frac, benefit, cascades)
    got = float(np.dot(flows, benefit))
    assert got == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert min(flows) >= 0
    for u, s in enumerate(supply):
        if s > 0:
            assert sum(x for x, t in zip(flows, tails) if t == u) <= s * (1 + 1e-7)
        elif s < 0:
            assert sum(x * f for x, f, h in zip(flows, frac, heads) if h == u) <= -s * (1 + 1e-7)
    for node, sink, gain in cascades:
        given_ = sum(x for x, t in zip(flows, tails) if t == node)
        got_in = sum(x * f for x, f, h in zip(flows, frac, heads) if h == sink)
        assert given_ <= gain * got_in + 1e-6


def test_column_generation_needs_several_rounds_on_a_trap():
    """The best-paying arc of every node is a trap; the optimum needs arcs the first round left out."""
    from exchange.matching.allocate import lp_allocate

    # sources 0, 1 (10 each); sinks 2, 3 (10 each); both sources' best arc goes to sink 2
    supply = [10.0, 10.0, -10.0, -10.0]
    tails, heads = [0, 1, 0, 1], [2, 2, 3, 3]
    frac = [1.0, 0.9, 1.0, 0.8]
    benefit = [5.0, 4.9, 1.0, 4.0]
    flows = lp_allocate(supply, tails, heads, frac, benefit, first_per_node=1, add_per_node=1)
    best = gain_lp_optimum(supply, tails, heads, frac, benefit, [])
    assert float(np.dot(flows, benefit)) == pytest.approx(best)
    assert flows[3] > 0  # source 1 -> sink 3 was not in the first round


@pytest.mark.parametrize("first", ["highspy", "ortools.graph.python.min_cost_flow"])
def test_highspy_and_ortools_load_in_either_order(first):
    """OR-Tools bundles HiGHS as libhighs.so.1; a highspy with its own libhighs.so.1 breaks whichever comes second."""
    import subprocess
    import sys

    second = "ortools.graph.python.min_cost_flow" if first == "highspy" else "highspy"
    code = f"import {first}, {second}; from exchange.matching.allocate import lp_allocate; print(lp_allocate([1, -1], [0], [1], [1.0], [1.0]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[1.0]"
