"""The matcher end to end on small listings: rules, optimality, explanations."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.domain import CATALOGUE, Defaults, Role, parse_listing
from exchange.matching import match
from exchange.matching.allocate import Arc
from exchange.matching.network import build_network
from geodata.distance import geodesic_km
from test_allocate import greedy, lp_optimum  # type: ignore[import-not-found]


def L(ref, role, material, lat, lon, quantity, unit="t/yr", org=None, **quality):
    return parse_listing(dict(ref=ref, organisation=org or f"org-{ref}", role=role, material=material, lat=lat, lon=lon,
                              quantity=quantity, unit=unit, **quality))


def test_grade_iii_ash_never_reaches_a_grade_ii_sink():
    r = match([L("A", "source", "fly_ash", 36.6, 117.0, 1000, grade="III"),
               L("C", "sink", "fly_ash", 36.61, 117.01, 1000, grade="II")])
    assert r.links == []
    by_ref = {u.listing.ref: u for u in r.unmatched}
    assert by_ref["A"].code == "quality"
    assert "grade III is below the grade II" in by_ref["A"].reason


def test_grade_i_serves_a_grade_ii_sink_and_says_the_margin():
    r = match([L("A", "source", "fly_ash", 36.6, 117.0, 1000, grade="I"),
               L("C", "sink", "fly_ash", 36.7, 117.1, 400, grade="II")])
    (link,) = r.links
    assert link.quantity == pytest.approx(400)
    assert "1 grade to spare" in link.explanation
    assert link.distance_km == pytest.approx(geodesic_km(36.6, 117.0, 36.7, 117.1), abs=1e-6)
    assert link.requires == ()
    # the rest of the source is explained
    (left,) = r.unmatched
    assert left.listing.ref == "A" and left.remaining == pytest.approx(600)


def test_greedy_trap_on_real_listings():
    # P1 is closest to C1, but only P1 can reach C2 (hydrogen purity), and P2 only C1.
    ls = [L("P1", "source", "hydrogen", 36.80, 118.30, 100, purity_pct=99.99),
          L("P2", "source", "hydrogen", 36.90, 118.30, 100, purity_pct=99.97),
          L("C1", "sink", "hydrogen", 36.801, 118.301, 100, purity_pct=99.97),
          L("C2", "sink", "hydrogen", 36.70, 118.30, 100, purity_pct=99.99)]
    r = match(ls)
    pairs = {(l.source.ref, l.sink.ref): l.quantity for l in r.links}
    assert pairs == {("P1", "C2"): pytest.approx(100), ("P2", "C1"): pytest.approx(100)}


def test_out_of_reach_is_explained_with_the_nearest_partner():
    r = match([L("A", "source", "fgd_gypsum", 36.6, 117.0, 1000, purity_pct=95),
               L("C", "sink", "fgd_gypsum", 39.6, 117.0, 1000, purity_pct=90)])  # about 333 km north
    assert r.links == []
    a = next(u for u in r.unmatched if u.listing.ref == "A")
    assert a.code == "out_of_reach" and "150 km reach" in a.reason and "C (org-C)" in a.reason


def test_max_distance_km_is_the_tighter_limit():
    src = parse_listing(dict(ref="A", organisation="o", role="source", material="fly_ash", lat=36.6, lon=117.0,
                             quantity=1000, unit="t/yr", grade="I", max_distance_km=5))
    sink = L("C", "sink", "fly_ash", 36.7, 117.0, 1000, grade="II")  # about 11 km
    r = match([src, sink])
    assert r.links == [] and {u.code for u in r.unmatched} == {"out_of_reach"}


def test_heat_needs_temperature_after_losses_and_approach():
    hot = L("H", "source", "waste_heat", 36.6, 117.0, 100_000, unit="MWh/yr", temperature_c=130)
    tepid = L("W", "source", "waste_heat", 36.6, 117.02, 100_000, unit="MWh/yr", temperature_c=85)
    net = L("N", "sink", "waste_heat", 36.65, 117.0, 150_000, unit="MWh/yr", temperature_c=80)
    r = match([hot, tepid, net])
    assert {l.source.ref for l in r.links} == {"H"}
    w = next(u for u in r.unmatched if u.listing.ref == "W")
    # a heat pump could lift it, but at the default coal-heat value it costs more than it is worth
    assert w.code == "too_dear" and "upgrade" in w.reason


def test_summer_only_source_never_serves_a_winter_sink():
    s = parse_listing(dict(ref="S", organisation="o", role="source", material="waste_heat", lat=36.6, lon=117.0,
                           quantity=50_000, unit="MWh/yr", temperature_c=120, available_months="5-9"))
    k = parse_listing(dict(ref="K", organisation="p", role="sink", material="waste_heat", lat=36.62, lon=117.0,
                           quantity=50_000, unit="MWh/yr", temperature_c=90, available_months="11-3"))
    r = match([s, k])
    assert r.links == []
    assert {u.code for u in r.unmatched} == {"season"}


def test_link_that_does_not_pay_is_not_proposed():
    # hydrogen by trailer 190 km costs about 3756 + 32.89*190*1.3 = 11,880 RMB/t: pays at 25,000 RMB/t...
    # ...but not when the sink says it pays only 5,000 RMB/t today.
    k = parse_listing(dict(ref="K", organisation="p", role="sink", material="hydrogen", lat=38.3, lon=118.3,
                           quantity=100, unit="t/yr", purity_pct=99.9, price_rmb_per_unit=5000))
    s = L("S", "source", "hydrogen", 36.6, 118.3, 100, purity_pct=99.99)
    r = match([s, k])
    assert r.links == []
    assert {u.code for u in r.unmatched} == {"too_dear"}


def test_capacity_taken_by_a_better_pair_is_explained():
    ls = [L("P", "source", "fly_ash", 36.6, 117.0, 100, grade="I"),
          L("NEAR", "sink", "fly_ash", 36.61, 117.0, 100, grade="II"),
          L("FAR", "sink", "fly_ash", 37.2, 117.0, 100, grade="II")]
    r = match(ls)
    assert [(l.sink.ref, l.quantity) for l in r.links] == [("NEAR", pytest.approx(100))]
    far = next(u for u in r.unmatched if u.listing.ref == "FAR")
    assert far.code == "capacity_taken" and "NEAR" in far.reason


def test_unit_conversion_reaches_the_matcher():
    s = L("S", "source", "hydrogen", 36.8, 118.3, 1_000_000, unit="Nm3/yr", purity_pct=99.99)
    assert s.quantity == pytest.approx(89.88)
    k = L("K", "sink", "hydrogen", 36.81, 118.3, 50, purity_pct=99.97)
    (link,) = match([s, k]).links
    assert link.quantity == pytest.approx(50)


def test_solvers_agree_and_summary_adds_up():
    ls = [L(f"S{i}", "source", "fly_ash", 36.5 + 0.05 * i, 117.0, 300 + 50 * i, grade="I II III".split()[i % 3])
          for i in range(6)]
    ls += [L(f"K{j}", "sink", "fly_ash", 36.55 + 0.05 * j, 117.1, 400, grade="II III".split()[j % 2]) for j in range(5)]
    a, b = match(ls, solver="ortools"), match(ls, solver="networkx")
    assert a.summary["net_benefit_rmb_per_yr"] == pytest.approx(b.summary["net_benefit_rmb_per_yr"], rel=1e-9)
    m = a.summary["materials"]["fly_ash"]
    assert m["quantity"] == pytest.approx(sum(l.quantity for l in a.links), rel=1e-9)
    assert m["co2_avoided_t_per_yr"] == pytest.approx(sum(l.co2_avoided_t_per_yr for l in a.links), rel=1e-6)


def test_json_shape_has_every_public_field():
    r = match([L("A", "source", "fly_ash", 36.6, 117.0, 1000, grade="I"),
               L("C", "sink", "fly_ash", 36.7, 117.1, 400, grade="II")])
    d = r.as_dict()
    assert set(d) == {"links", "unmatched", "summary"}
    need = {"source_ref", "sink_ref", "material", "quantity", "unit", "distance_km", "transport", "requires",
            "cost_rmb_per_yr", "net_benefit_rmb_per_yr", "co2_avoided_t_per_yr", "explanation"}
    assert need <= set(d["links"][0])
    assert {"ref", "role", "reason"} <= set(d["unmatched"][0])


# ---- properties over random regions -------------------------------------------------------------

GRADES = ("I", "II", "III")
MONTHS = (None, "11-3", "5-9", "10-4", "1-12")


@st.composite
def regions(draw, materials=("fly_ash", "fgd_gypsum", "waste_heat", "hydrogen"), seasons=True):
    n = draw(st.integers(2, 14))
    out = []
    for i in range(n):
        material = draw(st.sampled_from(materials))
        role = draw(st.sampled_from(["source", "sink"]))
        lat = draw(st.floats(36.0, 37.0))
        lon = draw(st.floats(116.5, 118.0))
        q = draw(st.integers(1, 5000))
        quality = {"fly_ash": {"grade": draw(st.sampled_from(GRADES))},
                   "fgd_gypsum": {"purity_pct": draw(st.integers(80, 99))},
                   "hydrogen": {"purity_pct": draw(st.sampled_from([58.0, 99.0, 99.9, 99.97, 99.99]))},
                   "waste_heat": {"temperature_c": draw(st.integers(35, 150))}}[material]
        unit = "MWh/yr" if material == "waste_heat" else "t/yr"
        extra = {}
        if draw(st.booleans()):
            extra["max_distance_km"] = draw(st.integers(5, 200))
        if seasons:
            extra["available_months"] = draw(st.sampled_from(MONTHS))
        if material == "waste_heat" and role == "sink" and draw(st.booleans()):
            extra["return_temperature_c"] = max(31, quality["temperature_c"] - draw(st.integers(10, 40)))
            if extra["return_temperature_c"] >= quality["temperature_c"]:
                del extra["return_temperature_c"]
        if material == "waste_heat" and role == "sink" and draw(st.booleans()):
            extra["price_rmb_per_unit"] = draw(st.sampled_from([200, 350, 450]))
        out.append(parse_listing(dict(ref=f"L{i}", organisation=f"o{i}", role=role, material=material, lat=lat, lon=lon,
                                      quantity=q * (100 if material == "waste_heat" else 1), unit=unit, **quality,
                                      **extra)))
    return out


def glop_optimum(net) -> float:
    """Independent optimum: one variable per arc and calendar month, solved by OR-Tools GLOP."""
    from ortools.linear_solver import pywraplp

    from exchange.matching.network import month_mask

    c = net.candidates
    solver = pywraplp.Solver.CreateSolver("GLOP")
    n = len(net.listings)
    x = {}
    for a in range(len(c)):
        for m in range(12):
            if int(c.months[a]) >> m & 1:
                x[a, m] = solver.NumVar(0, solver.infinity(), f"x{a}_{m}")

    def monthly(node):
        mask = net.node_months(node)
        return net.node_quantity(node) / bin(mask).count("1") if node < n else None

    for m in range(12):
        nodes = {int(u) for u in c.source} | {int(v) for v in c.sink}
        for node in nodes:
            if node < n and not (month_mask(net.listings[node].available_months) >> m & 1):
                continue
            out_ = [x[a, m] for a in range(len(c)) if int(c.source[a]) == node and (a, m) in x]
            in_ = [float(c.frac[a]) * x[a, m] for a in range(len(c)) if int(c.sink[a]) == node and (a, m) in x]
            if node >= n:
                j, gain = net.cascade_sink[node]
                feed = [float(c.frac[a]) * x[a, m] for a in range(len(c)) if int(c.sink[a]) == j and (a, m) in x]
                solver.Add(sum(out_) <= gain * sum(feed))
            elif net.listings[node].role is Role.SOURCE:
                solver.Add(sum(out_) <= monthly(node))
            else:
                solver.Add(sum(in_) <= monthly(node))
    solver.Maximize(sum(float(c.net[a]) * var for (a, m), var in x.items()))
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    return solver.Objective().Value()


def check_rules(r, listings, d):
    given_by: dict[str, float] = {}
    got_by: dict[str, float] = {}
    for link in r.links:
        s, k = link.source, link.sink
        cascade = "cascade" in link.requires
        got_by[k.ref] = got_by.get(k.ref, 0) + link.delivered
        if not cascade:
            given_by[s.ref] = given_by.get(s.ref, 0) + link.quantity
            assert s.role is Role.SOURCE
        assert s.material == k.material == link.material and k.role is Role.SINK
        mat = CATALOGUE[link.material]
        fit = mat.quality.fit(s.return_temperature_c if cascade else s.quality, k.quality, link.distance_km, d)
        assert fit.feasible
        assert set(link.requires) - {"cascade"} == set(fit.requires)
        if not cascade:
            for lim in (mat.transport.reach_km(s.quantity, d), s.max_distance_km):
                if lim is not None:
                    assert link.distance_km <= lim + 1e-9
            assert s.available_months & k.available_months
        if k.max_distance_km is not None:
            assert link.distance_km <= k.max_distance_km + 1e-9
        assert link.net_benefit_rmb_per_yr > 0
    by_ref = {l.ref: l for l in listings}
    for ref, q in given_by.items():
        assert q <= by_ref[ref].quantity * (1 + 1e-6) + 1e-3
    for ref, q in got_by.items():
        assert q <= by_ref[ref].quantity * (1 + 1e-6) + 1e-3
    return given_by, got_by


@settings(max_examples=60, deadline=None)
@given(regions())
def test_no_rule_is_broken_and_the_result_equals_an_independent_optimum(listings):
    d = Defaults()
    r = match(listings, d)
    given_by, got_by = check_rules(r, listings, d)
    net = build_network(listings, d)
    total = r.summary["net_benefit_rmb_per_yr"]
    best = glop_optimum(net) if len(net.candidates) else 0.0
    assert total == pytest.approx(best, rel=1e-6, abs=1.0)
    left = {u.listing.ref for u in r.unmatched}
    for l in listings:
        used = given_by.get(l.ref, 0) if l.role is Role.SOURCE else got_by.get(l.ref, 0)
        if l.quantity - used > max(1e-6 * l.quantity, 1e-3):
            assert l.ref in left
    assert all(u.reason for u in r.unmatched)
    assert math.isfinite(total)


@settings(max_examples=60, deadline=None)
@given(regions(materials=("fly_ash", "fgd_gypsum"), seasons=False))
def test_never_worse_than_greedy_and_solvers_agree(listings):
    d = Defaults()
    r = match(listings, d)
    check_rules(r, listings, d)
    net = build_network(listings, d)
    c = net.candidates
    src = sorted({int(u) for u in c.source})
    snk = sorted({int(v) for v in c.sink})
    arcs = [Arc(src.index(int(u)), snk.index(int(v)), min(listings[int(u)].quantity, listings[int(v)].quantity),
                float(b)) for u, v, b in zip(c.source, c.sink, c.net)]
    supplies = [listings[i].quantity for i in src]
    demands = [listings[j].quantity for j in snk]
    total = r.summary["net_benefit_rmb_per_yr"]
    if arcs:
        assert total == pytest.approx(lp_optimum(supplies, demands, arcs), rel=1e-5, abs=1.0)
        assert total >= greedy(supplies, demands, arcs) * (1 - 1e-5) - 1.0
        assert match(listings, d, solver="networkx").summary["net_benefit_rmb_per_yr"] == pytest.approx(total, rel=1e-9, abs=0.05)
    else:
        assert total == 0


def test_partner_index_finds_the_same_partners_as_the_network():
    from bench.synthetic import province
    from exchange.matching.network import PartnerIndex

    d = Defaults()
    listings = province(600)
    stored, new = listings[:-40], listings[-40:]
    index = PartnerIndex(stored, d)
    for l in new:
        got = {p["listing"].ref for p in index.partners(l, k=10_000)}
        everything = [*stored, l]
        net = build_network(everything, d)
        me = len(everything) - 1
        c = net.candidates
        want = {everything[int(j)].ref for i, j in zip(c.source, c.sink) if int(i) == me} | \
               {everything[int(i)].ref for i, j in zip(c.source, c.sink) if int(j) == me and int(i) < len(everything)}
        assert got == want


def test_excluded_pairs_are_not_proposed_again():
    from dataclasses import replace

    a = replace(L("A", "source", "fly_ash", 36.6, 117.0, 100, grade="I"), id=1)
    near = replace(L("NEAR", "sink", "fly_ash", 36.61, 117.0, 100, grade="II"), id=2)
    far = replace(L("FAR", "sink", "fly_ash", 36.9, 117.0, 100, grade="II"), id=3)
    assert [l.sink.ref for l in match([a, near, far]).links] == ["NEAR"]
    assert [l.sink.ref for l in match([a, near, far], exclude=frozenset({(1, 2)})).links] == ["FAR"]
