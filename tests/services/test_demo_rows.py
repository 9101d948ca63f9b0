"""Tests for exchange.services.demo.build_demo_rows (pure: no DB, no Flask app)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pytest
from shapely.geometry import Point

from exchange.services.demo import build_demo_rows
from geodata.boundaries import cities, city_of, in_shandong, province_shape
from geodata.distance import geodesic_km

MATERIALS = {"waste_heat", "fly_ash", "fgd_gypsum", "hydrogen"}
UNITS = {"MWh/yr", "t/yr", "GJ/yr", "MW", "t/h", "kt/yr", "kg/d", "Nm3/yr"}
REQUIRED = ("ref", "organisation", "role", "material", "lat", "lon", "quantity", "unit")


@pytest.fixture(scope="module")
def rows():
    return build_demo_rows()


def by(rows, **match):
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


def test_deterministic(rows):
    again = build_demo_rows()
    assert again == rows
    assert again is not rows


def test_size(rows):
    assert 250 <= len(rows) <= 450


def test_every_row_has_required_fields_and_quality(rows):
    for r in rows:
        for key in REQUIRED:
            assert key in r and r[key] not in (None, ""), (key, r)
        assert r["role"] in {"source", "sink"}
        assert r["material"] in MATERIALS
        assert r["unit"] in UNITS
        assert -90 <= r["lat"] <= 90 and -180 <= r["lon"] <= 180
        assert math.isfinite(r["quantity"]) and r["quantity"] > 0
        m = r["material"]
        if m == "waste_heat":
            assert 40 <= r["temperature_c"] <= 130
            assert r["unit"] == "MWh/yr"
        elif m == "fly_ash":
            assert r["grade"] in {"I", "II", "III"}
            assert r["unit"] == "t/yr"
        else:
            assert 0 < r["purity_pct"] <= 100
            assert r["unit"] == "t/yr"
        assert r.get("description")


def test_ref_unique_per_organisation(rows):
    keys = Counter((r["organisation"], r["ref"]) for r in rows)
    assert [k for k, n in keys.items() if n > 1] == []


def test_counts_per_material_and_role(rows):
    counts = Counter((r["material"], r["role"]) for r in rows)
    for m in MATERIALS:
        for role in ("source", "sink"):
            assert counts[(m, role)] > 0, (m, role)


def test_all_sources_inside_shandong(rows):
    """Inside the outline, or within ~5 km of it (best-guess rule of the data)."""
    prov = province_shape()
    for r in by(rows, role="source"):
        if not in_shandong(r["lat"], r["lon"]):
            assert prov.distance(Point(r["lon"], r["lat"])) < 0.05, r


def test_city_sinks_lie_in_their_city(rows):
    for c in cities():
        dh = by(rows, ref=f"dh-{c.adcode}")
        assert len(dh) == 1 and dh[0]["role"] == "sink"
        assert dh[0]["available_months"] == "11,12,1,2,3"
        for ref in (
            f"cement-{c.adcode}-fly_ash",
            f"cement-{c.adcode}-fgd_gypsum",
            f"plasterboard-{c.adcode}-fgd_gypsum",
            f"concrete-{c.adcode}-fly_ash",
        ):
            (row,) = by(rows, ref=ref)
            assert city_of(row["lat"], row["lon"]).adcode == c.adcode
        assert 75 <= dh[0]["temperature_c"] <= 110
    # no two city sinks at the same point
    sinks = by(rows, role="sink")
    spots = Counter((r["lat"], r["lon"], r["material"]) for r in sinks)
    assert max(spots.values()) == 1


def test_liaocheng_heat_into_jinan(rows):
    big = [
        r
        for r in by(rows, role="source", material="waste_heat")
        if city_of(r["lat"], r["lon"]) is not None
        and city_of(r["lat"], r["lon"]).adcode == "371500"
        and r["quantity"] >= 5e6
        and r.get("max_distance_km") == 130
    ]
    assert len(big) == 1
    src = big[0]
    assert "Xinyuan" in src["site"]
    # Independent recomputation: 9 x 660 MW, 4,500 h, 0.5 MWh heat per MWh.
    assert src["quantity"] == pytest.approx(9 * 660 * 4500 * 0.5)
    (sink,) = by(rows, ref="jinan-liaocheng-heat-reception")
    assert city_of(sink["lat"], sink["lon"]).adcode == "370100"
    assert sink["quantity"] >= 5e6
    d = geodesic_km(src["lat"], src["lon"], sink["lat"], sink["lon"])
    assert 50 < d < 130
    assert src["temperature_c"] - sink["temperature_c"] >= 10


def test_coal_quantities_follow_the_documented_rule(rows):
    (ash,) = by(rows, ref="shandong-xinfa-xinyuan-power-station-fly_ash")
    raw_coal = 9 * 660 * 4500 * 0.300 * 1.4  # MWh x tce/MWh x t/tce
    assert ash["quantity"] == pytest.approx(raw_coal * 0.22 * 0.85, abs=1)
    (gyp,) = by(rows, ref="shandong-xinfa-xinyuan-power-station-fgd_gypsum")
    assert gyp["quantity"] == pytest.approx(raw_coal * 0.01 * 0.95 * 172.17 / 32.06, abs=1)
    assert 88 <= gyp["purity_pct"] <= 96


def test_hydrogen_scenario(rows):
    (qilu,) = by(rows, ref="qilu-chlor-alkali-hydrogen")
    assert city_of(qilu["lat"], qilu["lon"]).adcode == "370300"
    assert qilu["purity_pct"] == 99.9
    assert any(r["purity_pct"] == 58.0 for r in by(rows, role="source", material="hydrogen"))
    fuel_cell_cities = {
        city_of(r["lat"], r["lon"]).name_en
        for r in by(rows, role="sink", material="hydrogen")
        if r["purity_pct"] == 99.97
    }
    assert fuel_cell_cities == {"Jinan", "Zibo", "Qingdao", "Weifang"}
    assert len(by(rows, role="sink", material="hydrogen", purity_pct=99.9)) == 1


def test_supply_and_demand_are_of_the_same_order(rows):
    total = defaultdict(float)
    for r in rows:
        total[(r["material"], r["role"])] += r["quantity"]
    for m in MATERIALS:
        ratio = total[(m, "sink")] / total[(m, "source")]
        assert 0.3 < ratio < 3.0, (m, ratio)


def test_quality_mix_gives_real_choices(rows):
    grades = Counter(r["grade"] for r in by(rows, role="source", material="fly_ash"))
    assert set(grades) == {"I", "II", "III"}
    sink_grades = Counter(r["grade"] for r in by(rows, role="sink", material="fly_ash"))
    assert set(sink_grades) == {"I", "II", "III"}
    purities = [r["purity_pct"] for r in by(rows, role="source", material="fgd_gypsum")]
    assert min(purities) < 90 <= max(purities) and max(purities) >= 95
