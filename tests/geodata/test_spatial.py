"""Tests for geodata.spatial.SphereIndex against brute-force geodesic scans."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import geodesic
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geodata.distance import geodesic_km
from geodata.spatial import SphereIndex

TOL_KM = 1e-6  # geopy and pyproj both use Karney's algorithm; allow rounding at the edge

sd_lat = st.floats(min_value=34.0, max_value=38.6, allow_nan=False)
sd_lon = st.floats(min_value=114.5, max_value=123.0, allow_nan=False)
sd_point = st.tuples(sd_lat, sd_lon)
sd_points = st.lists(sd_point, min_size=0, max_size=60)
radii = st.floats(min_value=0.0, max_value=450.0, allow_nan=False)


def brute_distances(points, q):
    return np.array([geodesic(q, p).km for p in points])


def index_of(points):
    arr = np.array(points, dtype=float).reshape(-1, 2)
    return SphereIndex(arr[:, 0], arr[:, 1])


def assert_same_set(got, dist, km):
    got = set(got.tolist())
    surely_in = set(np.flatnonzero(dist <= km - TOL_KM).tolist())
    maybe_in = set(np.flatnonzero(dist <= km + TOL_KM).tolist())
    assert surely_in <= got <= maybe_in


@settings(max_examples=60, deadline=None)
@given(sd_points, sd_point, radii)
def test_within_equals_brute_force(points, q, km):
    idx = index_of(points)
    got = idx.within(*q, km)
    assert got.dtype == np.intp
    assert list(got) == sorted(got)
    assert_same_set(got, brute_distances(points, q), km)


@settings(max_examples=30, deadline=None)
@given(sd_points, st.lists(st.tuples(sd_point, radii), min_size=1, max_size=5))
def test_within_many_uses_each_query_radius(points, queries):
    idx = index_of(points)
    qs = np.array([q for q, _ in queries])
    kms = [r for _, r in queries]
    result = idx.within_many(qs[:, 0], qs[:, 1], kms)
    assert len(result) == len(queries)
    for (q, km), got in zip(queries, result):
        assert_same_set(got, brute_distances(points, q), km)
        assert got.tolist() == idx.within(*q, km).tolist()


@settings(max_examples=60, deadline=None)
@given(sd_points, sd_point, st.integers(min_value=0, max_value=12),
       st.one_of(st.none(), radii))
def test_nearest_sorted_and_equal_to_brute_force(points, q, k, max_km):
    idx = index_of(points)
    ids, dist = idx.nearest(*q, k=k, max_km=max_km)
    brute = brute_distances(points, q)
    eligible = brute if max_km is None else brute[brute <= max_km + TOL_KM]
    want = np.sort(eligible)[:k]
    assert len(ids) == len(dist)
    assert np.all(np.diff(dist) >= 0)
    # Same distances as the brute force (up to ties at the max_km edge).
    if max_km is None or not np.any(np.abs(brute - max_km) <= TOL_KM):
        assert len(dist) == len(want)
        np.testing.assert_allclose(dist, want, atol=TOL_KM)
    # Reported distances are the geodesic distances of the reported points.
    np.testing.assert_allclose(dist, brute[ids], atol=TOL_KM)
    assert len(set(ids.tolist())) == len(ids)


def test_screen_padding_keeps_equatorial_meridian_pairs():
    """North-south pairs at the equator are where the sphere overshoots most."""
    lat = np.linspace(0.0, 1.8, 181)
    idx = SphereIndex(lat, np.zeros_like(lat))
    km = 150.0
    brute = np.array([geodesic_km(0.0, 0.0, la, 0.0) for la in lat])
    assert set(idx.within(0.0, 0.0, km).tolist()) == set(np.flatnonzero(brute <= km).tolist())
    ids, dist = idx.nearest(0.0, 0.0, k=200, max_km=km)
    assert len(ids) == int((brute <= km).sum())


def test_empty_index():
    idx = SphereIndex([], [])
    assert len(idx) == 0
    assert idx.within(36.0, 117.0, 100.0).size == 0
    assert [a.size for a in idx.within_many([36.0, 37.0], [117.0, 118.0], 50.0)] == [0, 0]
    ids, dist = idx.nearest(36.0, 117.0, k=3)
    assert ids.size == 0 and dist.size == 0


def test_duplicates_zero_radius_and_k_larger_than_n():
    idx = SphereIndex([36.0, 36.0, 36.5], [117.0, 117.0, 117.0])
    assert idx.within(36.0, 117.0, 0.0).tolist() == [0, 1]
    ids, dist = idx.nearest(36.0, 117.0, k=10)
    assert ids.tolist() == [0, 1, 2]
    assert dist[:2].tolist() == [0.0, 0.0]
    assert dist[2] == pytest.approx(geodesic_km(36.0, 117.0, 36.5, 117.0), abs=1e-9)
    assert idx.within(36.0, 117.0, -1.0).size == 0


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        SphereIndex([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        SphereIndex([91.0], [0.0])
    with pytest.raises(ValueError):
        SphereIndex([np.nan], [0.0])
    with pytest.raises(ValueError):
        SphereIndex([1.0], [1.0]).nearest(1.0, 1.0, k=-1)


@settings(max_examples=20, deadline=None)
@given(st.lists(sd_point, min_size=1, max_size=40), sd_point, st.integers(1, 5))
def test_nearest_first_is_within_its_own_distance(points, q, k):
    idx = index_of(points)
    ids, dist = idx.nearest(*q, k=k)
    assume(len(ids) > 0)
    assert set(ids.tolist()) <= set(idx.within(*q, float(dist[-1]) + TOL_KM).tolist())
