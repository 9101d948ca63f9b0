"""Tests for geodata.distance: geodesic helpers and the unit-sphere screen."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.distance import (
    EARTH_RADIUS_KM,
    SCREEN_PAD,
    chord_for_km,
    destination,
    geodesic_km,
    geodesic_km_many,
    km_for_chord,
    screening_chord,
    unit_xyz,
)

lats = st.floats(min_value=-89.0, max_value=89.0, allow_nan=False)
lons = st.floats(min_value=-180.0, max_value=180.0, allow_nan=False)
points = st.tuples(lats, lons)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(points, points), min_size=1, max_size=20))
def test_geodesic_km_many_agrees_with_geopy_within_one_metre(pairs):
    a = np.array([p for p, _ in pairs])
    b = np.array([q for _, q in pairs])
    got = geodesic_km_many(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    want = np.array([geodesic(p, q).km for p, q in pairs])
    assert got.shape == (len(pairs),)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)


@settings(max_examples=40, deadline=None)
@given(points, points)
def test_geodesic_km_is_geopy_and_symmetric(p, q):
    d = geodesic_km(*p, *q)
    assert d == pytest.approx(geodesic(p, q).km, abs=1e-9)
    assert d == pytest.approx(geodesic_km(*q, *p), abs=1e-6)
    assert float(geodesic_km_many(*p, *q)) == pytest.approx(d, abs=1e-6)


def test_geodesic_known_value_jinan_qingdao():
    # Independent figure: one degree of latitude at 36.5 N is about 110.96 km.
    assert geodesic_km(36.0, 117.0, 37.0, 117.0) == pytest.approx(110.96, abs=0.05)


def test_geodesic_km_many_broadcasts_scalars_and_shapes():
    d = geodesic_km_many(36.65, 117.0, [36.65, 36.07, 37.5], [117.0, 120.38, 121.4])
    assert d.shape == (3,)
    assert d[0] == 0.0
    grid = geodesic_km_many([[36.0], [37.0]], 117.0, 36.0, [117.0, 118.0, 119.0])
    assert grid.shape == (2, 3)
    assert grid[0, 1] == pytest.approx(geodesic_km(36.0, 117.0, 36.0, 118.0), abs=1e-9)
    assert geodesic_km_many([], [], [], []).shape == (0,)
    assert geodesic_km_many(1.0, 2.0, 3.0, 4.0).shape == ()


def test_unit_xyz_on_unit_sphere():
    xyz = unit_xyz(np.linspace(-90, 90, 7), np.linspace(-180, 180, 7))
    assert xyz.shape == (7, 3)
    np.testing.assert_allclose(np.linalg.norm(xyz, axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(unit_xyz(0.0, 90.0)[0], [0.0, 1.0, 0.0], atol=1e-15)


@given(st.floats(min_value=0.0, max_value=20000.0))
def test_chord_round_trip(km):
    assert float(km_for_chord(chord_for_km(km))) == pytest.approx(km, rel=1e-9, abs=1e-6)


def test_chord_matches_xyz_distance_on_the_sphere():
    a, b = unit_xyz([10.0, 10.0], [20.0, 21.0])
    sphere_km = EARTH_RADIUS_KM * np.radians(1.0) * np.cos(np.radians(10.0))
    # Great circle is a little shorter than the parallel arc.
    assert float(km_for_chord(np.linalg.norm(a - b))) < sphere_km
    assert float(km_for_chord(np.linalg.norm(a - b))) == pytest.approx(sphere_km, rel=1e-4)


@settings(max_examples=200, deadline=None)
@given(points, st.floats(min_value=0.0, max_value=360.0), st.floats(min_value=0.001, max_value=2000.0))
def test_sphere_error_stays_inside_documented_bound(p, bearing, km):
    """Spherical distance / geodesic stays within 0.6 %, inside the 1 % pad."""
    q = destination(*p, bearing, km)
    g = geodesic_km(*p, *q)
    xyz = unit_xyz([p[0], q[0]], [p[1], q[1]])
    s = float(km_for_chord(np.linalg.norm(xyz[0] - xyz[1])))
    assert abs(s / g - 1.0) < 0.006
    assert np.linalg.norm(xyz[0] - xyz[1]) <= screening_chord(g)


def test_pad_is_needed_near_the_equator():
    """A north-south arc at the equator is ~0.56 % longer on the sphere."""
    g = geodesic_km(0.0, 10.0, 0.9, 10.0)
    xyz = unit_xyz([0.0, 0.9], [10.0, 10.0])
    chord = np.linalg.norm(xyz[0] - xyz[1])
    assert chord > chord_for_km(g)  # an unpadded screen would lose this pair
    assert chord <= screening_chord(g)
    assert SCREEN_PAD >= 0.01


def test_destination_round_trip():
    lat, lon = destination(36.65, 117.0, 45.0, 25.0)
    assert geodesic_km(36.65, 117.0, lat, lon) == pytest.approx(25.0, abs=1e-6)
    assert lat > 36.65 and lon > 117.0


def test_geodata_does_not_import_flask_or_sqlalchemy():
    code = (
        "import sys, geodata, geodata.spatial, geodata.boundaries, geodata.plants;"
        "bad = [m for m in ('flask', 'sqlalchemy') if m in sys.modules];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
