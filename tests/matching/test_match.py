"""The matcher end to end on small listings: rules, optimality, explanations."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.domain import CATALOGUE, Defaults, Role, parse_listing
from exchange.matching import match
from exchange.matching.allocate import Arc
from exchange.matching.network import candidate_pairs
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
    assert w.code == "quality" and "approach" in w.reason


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


@st.composite
def regions(draw):
    n = draw(st.integers(2, 14))
    out = []
    for i in range(n):
        material = draw(st.sampled_from(["fly_ash", "fgd_gypsum", "waste_heat"]))
        role = draw(st.sampled_from(["source", "sink"]))
        lat = draw(st.floats(35.0, 37.5))
        lon = draw(st.floats(115.5, 119.5))
        q = draw(st.integers(1, 5000))
        quality = {"fly_ash": {"grade": draw(st.sampled_from(GRADES))},
                   "fgd_gypsum": {"purity_pct": draw(st.integers(80, 99))},
                   "waste_heat": {"temperature_c": draw(st.integers(40, 150))}}[material]
        unit = "MWh/yr" if material == "waste_heat" else "t/yr"
        extra = {}
        if draw(st.booleans()):
            extra["max_distance_km"] = draw(st.integers(5, 200))
        out.append(parse_listing(dict(ref=f"L{i}", organisation=f"o{i}", role=role, material=material, lat=lat, lon=lon,
                                      quantity=q * (100 if material == "waste_heat" else 1), unit=unit, **quality,
                                      **extra)))
    return out


@settings(max_examples=60, deadline=None)
@given(regions())
def test_no_rule_is_broken_and_the_result_is_optimal(listings):
    d = Defaults()
    r = match(listings, d)
    given_by: dict[str, float] = {}
    got_by: dict[str, float] = {}
    for link in r.links:
        s, k = link.source, link.sink
        given_by[s.ref] = given_by.get(s.ref, 0) + link.quantity
        got_by[k.ref] = got_by.get(k.ref, 0) + link.delivered
        assert s.material == k.material == link.material and s.role is Role.SOURCE and k.role is Role.SINK
        mat = CATALOGUE[link.material]
        assert mat.quality.fit(s.quality, k.quality, link.distance_km, d).feasible
        reach = mat.transport.reach_km(s.quantity, d)
        for lim in (reach, s.max_distance_km, k.max_distance_km):
            if lim is not None:
                assert link.distance_km <= lim + 1e-9
        assert link.net_benefit_rmb_per_yr > 0
    by_ref = {l.ref: l for l in listings}
    for ref, q in given_by.items():
        assert q <= by_ref[ref].quantity * (1 + 1e-9) + 1e-3
    for ref, q in got_by.items():
        assert q <= by_ref[ref].quantity * (1 + 1e-9) + 1e-3
    # optimal: equal to an independent LP over the same candidates, never below greedy
    cands, _ = candidate_pairs(listings, d)
    idx_s = {i: n for n, i in enumerate(sorted({c.source for c in cands}))}
    idx_k = {j: n for n, j in enumerate(sorted({c.sink for c in cands}))}
    arcs = [Arc(idx_s[c.source], idx_k[c.sink], c.capacity, c.econ.net) for c in cands]
    supplies = [listings[i].quantity for i in sorted(idx_s)]
    demands = [listings[j].quantity for j in sorted(idx_k)]
    total = r.summary["net_benefit_rmb_per_yr"]
    if arcs:
        assert total == pytest.approx(lp_optimum(supplies, demands, arcs), rel=1e-6, abs=1.0)
        assert total >= greedy(supplies, demands, arcs) - 1.0
    else:
        assert total == 0
    # every listing with something left has a reason
    left = {u.listing.ref for u in r.unmatched}
    for l in listings:
        used = given_by.get(l.ref, 0) if l.role is Role.SOURCE else got_by.get(l.ref, 0)
        if l.quantity - used > max(1e-6 * l.quantity, 1e-3):
            assert l.ref in left
    assert all(u.reason for u in r.unmatched)
    assert math.isfinite(total)
