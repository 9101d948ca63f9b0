"""Confidentiality helpers: the ~5 km snap, quantity bands, and who gets which view."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from exchange.auth import AnonymousUser
from exchange.services.listings import create_listing
from exchange.services.visibility import (GRID_DEG, listing_access, listing_view, quantity_band, snap,
                                          viewer_of)


@given(st.floats(34.0, 39.0), st.floats(114.0, 123.0))
def test_snap_moves_a_point_by_at_most_half_a_cell_and_hides_where_in_the_cell(lat, lon):
    slat, slon = snap(lat, lon)
    assert abs(slat - lat) <= GRID_DEG / 2 + 1e-9 and abs(slon - lon) <= GRID_DEG / 2 + 1e-9
    # every point of the same cell snaps to the same centre
    cell = (math.floor(lat / GRID_DEG), math.floor(lon / GRID_DEG))
    inner = ((cell[0] + 0.3) * GRID_DEG, (cell[1] + 0.7) * GRID_DEG)
    assert snap(*inner) == (slat, slon)


@given(st.floats(1e-3, 1e11))
def test_a_band_holds_its_quantity_and_spans_at_most_a_factor_of_2_5(q):
    lo, hi = quantity_band(q)
    assert lo <= q < hi and hi / lo <= 2.5 + 1e-9


def test_visitors_get_public_views_only(app, make_user):
    owner, _ = make_user("o@example.cn", org="Owner Co")
    rows = {v: create_listing(dict(ref=v, role="source", material="fly_ash", lat=36.8, lon=118.25, quantity=10,
                                   unit="t/yr", grade="I", visibility=v), owner)
            for v in ("public", "anonymous", "private")}
    for visitor in (None, AnonymousUser()):
        assert viewer_of(visitor).role is None
        assert [listing_access(rows[v], visitor) for v in rows] == ["public", "anonymous", None]
        assert listing_view(rows["private"], visitor) is None
        assert "organisation" not in listing_view(rows["anonymous"], visitor)
        public = listing_view(rows["public"], visitor)
        assert public["organisation"] == "Owner Co" and "committed" not in public and "version" not in public
    assert listing_view(rows["private"], owner)["access"] == "owner"
