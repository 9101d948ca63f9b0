"""Heat pumps, purification, seasons and cascades (issue 3's required cases)."""

from __future__ import annotations

import pytest

from exchange.domain import CATALOGUE, Defaults, parse_listing
from exchange.matching import match


def L(ref, role, material, lat, lon, quantity, unit="t/yr", **kw):
    return parse_listing(dict(ref=ref, organisation=f"org-{ref}", role=role, material=material, lat=lat, lon=lon,
                              quantity=quantity, unit=unit, **kw))


def test_45c_source_serves_70c_sink_3km_away_through_a_heat_pump():
    src = L("S", "source", "waste_heat", 36.60, 117.00, 20_000, unit="MWh/yr", temperature_c=45)
    # a greenhouse heated by gas today: 350 RMB/MWh is what it pays
    snk = L("G", "sink", "waste_heat", 36.627, 117.00, 10_000, unit="MWh/yr", temperature_c=70, price_rmb_per_unit=350)
    r = match([src, snk])
    (link,) = r.links
    assert link.distance_km == pytest.approx(3.0, abs=0.05)
    assert link.requires == ("heat_pump",)
    cop = link.details["heat_pump"]["cop"]
    assert 3 < cop < 6
    # the pump's electricity is part of the delivered heat: the sink gets more than the source gives
    assert link.delivered == pytest.approx(10_000, rel=1e-6)
    assert link.quantity == pytest.approx(10_000 * (1 - 1 / cop), rel=1e-3)
    assert "COP" in link.explanation and "lift" in link.explanation
    # electricity cost and CO2 are charged to the link
    d = Defaults()
    assert link.upgrade_cost_rmb_per_yr == pytest.approx(10_000 * (d["electricity_rmb_per_mwh"] / cop
                                                                   + d["heat_pump_capex_rmb_per_kw"] * 1000
                                                                   * d.annuity(d["heat_pump_life_yr"])
                                                                   / d["heating_season_hours"]), rel=1e-3)
    assert link.co2_avoided_t_per_yr == pytest.approx(
        10_000 * (d["coal_heat_co2_t_per_mwh"] - d["grid_co2_t_per_mwh"] / cop), rel=1e-3)


def test_heat_pump_link_that_does_not_pay_is_not_proposed():
    src = L("S", "source", "waste_heat", 36.60, 117.00, 20_000, unit="MWh/yr", temperature_c=45)
    snk = L("G", "sink", "waste_heat", 36.627, 117.00, 10_000, unit="MWh/yr", temperature_c=70)  # coal-heat value
    r = match([src, snk])
    assert r.links == []
    assert {u.code for u in r.unmatched} == {"too_dear"}


def test_999_hydrogen_reaches_a_fuel_cell_station_through_purification_delivering_less():
    src = L("CA", "source", "hydrogen", 36.785, 118.213, 1000, purity_pct=99.9)
    snk = L("HS", "sink", "hydrogen", 36.81, 118.05, 300, purity_pct=99.97)
    (link,) = match([src, snk]).links
    assert link.requires == ("purification",)
    assert link.delivered < link.quantity
    assert link.delivered == pytest.approx(300, rel=1e-6)
    assert link.quantity == pytest.approx(300 / Defaults()["psa_recovery"], rel=1e-6)


def test_coke_oven_gas_needs_separation_and_too_lean_gas_is_refused():
    cog = L("COG", "source", "hydrogen", 36.2, 117.7, 1000, purity_pct=58)
    lean = L("LEAN", "source", "hydrogen", 36.2, 117.71, 1000, purity_pct=40)
    snk = L("HS", "sink", "hydrogen", 36.25, 117.7, 300, purity_pct=99.97)
    r = match([cog, lean, snk])
    assert [(l.source.ref, l.requires) for l in r.links] == [("COG", ("separation",))]
    lean_u = next(u for u in r.unmatched if u.listing.ref == "LEAN")
    assert lean_u.code == "quality" and "separation" in lean_u.reason


def test_grade_iii_ash_never_reaches_a_grade_ii_sink_even_when_it_is_alone():
    r = match([L("A", "source", "fly_ash", 36.6, 117.0, 1000, grade="III"),
               L("C", "sink", "fly_ash", 36.6, 117.01, 1000, grade="II")])
    assert r.links == []


def test_summer_only_source_never_serves_a_heating_network_and_shares_months_with_a_greenhouse():
    summer = L("SUM", "source", "waste_heat", 36.60, 117.00, 50_000, unit="MWh/yr", temperature_c=120,
               available_months="5-9")
    allyear = L("ALL", "source", "waste_heat", 36.70, 117.00, 120_000, unit="MWh/yr", temperature_c=120)
    dh = L("DH", "sink", "waste_heat", 36.61, 117.00, 100_000, unit="MWh/yr", temperature_c=90,
           available_months="11-3")
    r = match([summer, allyear, dh])
    assert {(l.source.ref, l.sink.ref) for l in r.links} == {("ALL", "DH")}
    (link,) = r.links
    # all-year source: only its 5 heating-season months' share (5/12 of 120,000) can flow
    assert link.quantity == pytest.approx(120_000 * 5 / 12, rel=1e-6)
    assert "Months in common: 1,2,3,11,12" in link.explanation
    summer_u = next(u for u in r.unmatched if u.listing.ref == "SUM")
    assert summer_u.code == "season"


def test_cascade_chain_appears_where_it_pays():
    # steam reaches only the primary network (3 km limit); the greenhouse 2.2 km further on wants more
    # than the network's return heat can give, so the chain is bounded by the cascade rule
    steam = L("STEAM", "source", "waste_heat", 36.60, 117.00, 100_000, unit="MWh/yr", temperature_c=150,
              max_distance_km=3)
    primary = L("NET", "sink", "waste_heat", 36.62, 117.00, 100_000, unit="MWh/yr", temperature_c=110,
                return_temperature_c=60)
    greenhouse = L("GH", "sink", "waste_heat", 36.64, 117.00, 100_000, unit="MWh/yr", temperature_c=45,
                   price_rmb_per_unit=300)
    r = match([steam, primary, greenhouse])
    pairs = {(l.source.ref, l.sink.ref): l for l in r.links}
    assert set(pairs) == {("STEAM", "NET"), ("NET", "GH")}
    chain = pairs[("NET", "GH")]
    assert chain.requires == ("cascade",)
    assert "return heat of NET (60 C)" in chain.explanation
    # each MWh NET receives frees (60 - 30) / (110 - 60) = 0.6 MWh of return heat
    assert pairs[("STEAM", "NET")].delivered == pytest.approx(100_000, rel=1e-6)
    assert chain.quantity == pytest.approx(0.6 * 100_000, rel=1e-6)


def test_cascade_does_not_appear_where_it_does_not_pay():
    steam = L("STEAM", "source", "waste_heat", 36.60, 117.00, 200_000, unit="MWh/yr", temperature_c=150)
    primary = L("NET", "sink", "waste_heat", 36.62, 117.00, 100_000, unit="MWh/yr", temperature_c=110,
                return_temperature_c=60)
    # 18 km away, small: a pipe for 2,000 MWh/yr costs far more than the heat is worth
    far = L("GH", "sink", "waste_heat", 36.78, 117.00, 2_000, unit="MWh/yr", temperature_c=45)
    r = match([steam, primary, far])
    assert all("cascade" not in l.requires for l in r.links)
    gh = next(u for u in r.unmatched if u.listing.ref == "GH")
    assert gh.code in ("not_paying", "too_dear")


def test_vector_rules_agree_with_the_scalar_rules():
    import numpy as np
    from hypothesis import given, settings
    from hypothesis import strategies as st

    d = Defaults()

    @settings(max_examples=200, deadline=None)
    @given(st.sampled_from(["waste_heat", "hydrogen", "fgd_gypsum", "fly_ash"]), st.data())
    def check(material, data):
        rule = CATALOGUE[material].quality
        if material == "fly_ash":
            s, k = data.draw(st.sampled_from(["I", "II", "III"])), data.draw(st.sampled_from(["I", "II", "III"]))
        elif material == "waste_heat":
            s, k = data.draw(st.floats(20, 200)), data.draw(st.floats(20, 130))
        else:
            s, k = data.draw(st.floats(30, 100)), data.draw(st.floats(30, 100))
        dist = data.draw(st.floats(0, 150))
        opts = rule.options(rule.encode([s]), rule.encode([k]), np.array([dist]), d)
        scalar = rule.fit(s, k, dist, d)
        first = next((o for o in opts if o.feasible[0]), None)
        assert scalar.feasible == (first is not None)
        if first is not None:
            assert scalar.requires == first.requires
            assert scalar.delivered_fraction == pytest.approx(float(first.delivered_fraction[0]))
            assert scalar.upgrade_cost_per_unit == pytest.approx(float(first.upgrade_cost[0]))

    check()


def test_gap_analysis_ranks_what_to_attract():
    from exchange.matching.gaps import gaps

    ash = [L(f"A{i}", "source", "fly_ash", 36.60 + 0.01 * i, 117.0, 50_000, grade="I") for i in range(3)]
    gyp = L("G", "source", "fgd_gypsum", 37.38, 117.97, 20_000, purity_pct=91)
    need = L("H2", "sink", "hydrogen", 36.07, 120.38, 500, purity_pct=99.97)
    r = match([*ash, gyp, need])
    found = gaps(r.unmatched)
    assert [g.material for g in found[:2]] == ["hydrogen", "fly_ash"] or found[0].benefit_rmb_per_yr >= found[1].benefit_rmb_per_yr
    ash_gap = next(g for g in found if g.material == "fly_ash")
    assert ash_gap.attract == "sink" and ash_gap.quantity == pytest.approx(150_000)
    assert ash_gap.requirement == "grade I or lower" and "cement_plant" in ash_gap.kinds
    assert set(ash_gap.refs) == {"A0", "A1", "A2"} and ash_gap.park == "city-370100"
    assert ash_gap.benefit_rmb_per_yr > 0
    gyp_gap = next(g for g in found if g.material == "fgd_gypsum")
    assert gyp_gap.requirement == "purity_pct at most 90"
    h2_gap = next(g for g in found if g.material == "hydrogen")
    assert h2_gap.attract == "source"
    assert [g.benefit_rmb_per_yr for g in found] == sorted((g.benefit_rmb_per_yr for g in found), reverse=True)
    assert r.summary["gaps"][0]["benefit_rmb_per_yr"] == pytest.approx(found[0].benefit_rmb_per_yr, abs=0.01)
