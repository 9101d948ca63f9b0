"""Tests for geodata.boundaries and geodata.plants."""

from __future__ import annotations

import pytest

from geodata.boundaries import (
    as_geojson,
    cities,
    city_by_adcode,
    city_of,
    in_shandong,
    province_shape,
)
from geodata.plants import coal_units, power_plants, steel_plants


def test_jinan_point_is_in_jinan():
    city = city_of(36.65, 117.0)
    assert city is not None
    assert city.adcode == "370100"
    assert city.name_en == "Jinan"
    assert in_shandong(36.65, 117.0)


@pytest.mark.parametrize(
    ("lat", "lon", "adcode"),
    [
        (36.07, 120.38, "370200"),  # Qingdao, Shinan
        (36.81, 118.05, "370300"),  # Zibo
        (37.46, 121.44, "370600"),  # Yantai
        (36.21, 117.65, "370100"),  # Laiwu, merged into Jinan in 2019
        (36.45, 115.98, "371500"),  # Liaocheng
    ],
)
def test_known_city_points(lat, lon, adcode):
    city = city_of(lat, lon)
    assert city is not None and city.adcode == adcode


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (35.5, 123.0),  # Yellow Sea
        (39.90, 116.40),  # Beijing
        (34.26, 117.18),  # Xuzhou, Jiangsu
        (38.05, 114.51),  # Shijiazhuang, Hebei
    ],
)
def test_points_outside_shandong(lat, lon):
    assert not in_shandong(lat, lon)
    assert city_of(lat, lon) is None


def test_sixteen_cities_with_label_points_inside():
    cs = cities()
    assert len(cs) == 16
    assert len({c.adcode for c in cs}) == 16
    assert "371200" not in {c.adcode for c in cs}  # Laiwu no longer separate
    for c in cs:
        lat, lon = c.label_point
        assert 34 < lat < 39 and 114 < lon < 123  # (lat, lon) order
        inside = city_of(lat, lon)
        assert inside is not None and inside.adcode == c.adcode
    assert city_by_adcode("371700").name_en == "Heze"
    with pytest.raises(KeyError):
        city_by_adcode("110000")


def test_province_shape_matches_cities():
    prov = province_shape()
    total = sum(c.shape.area for c in cities())
    assert prov.area == pytest.approx(total, rel=0.01)


def test_as_geojson_returns_fresh_dicts():
    a = as_geojson("province")
    a["features"].clear()
    assert len(as_geojson("province")["features"]) == 1
    assert len(as_geojson("cities")["features"]) == 16
    with pytest.raises(ValueError):
        as_geojson("counties")  # type: ignore[arg-type]


def test_flags_in_data_agree_with_the_polygons():
    """The CSV flags were computed against the same outlines: cross-check."""
    for recs in (coal_units(), power_plants(), steel_plants()):
        for r in recs:
            assert in_shandong(r.lat, r.lon) == r.in_shandong_polygon
            if r.in_shandong_polygon:
                city = city_of(r.lat, r.lon)
                assert city is not None and city.adcode == r.prefecture_adcode


def test_plant_loaders_counts_and_types():
    units = coal_units()
    assert len(units) == 852
    sd = [u for u in units if u.subnational_unit == "Shandong"]
    assert len(sd) == 714
    op = [u for u in sd if u.status == "operating"]
    assert len(op) == 396
    assert sum(u.capacity_mw for u in op) == pytest.approx(102709.0)
    assert all(isinstance(u.start_year, (int, type(None))) for u in units)
    assert len(power_plants()) == 263
    steel = [p for p in steel_plants() if p.subnational_unit == "Shandong"]
    assert len(steel) == 25
    assert coal_units() is coal_units()  # cached
    with pytest.raises(AttributeError):
        units[0].lat = 0.0  # type: ignore[misc]
