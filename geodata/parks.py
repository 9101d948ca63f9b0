"""Industrial parks: the unit a park manager reviews and reports on.

Every point in Shandong belongs to exactly one park:

1. a **named park** when it lies inside one of the outlines in
   ``geodata/data/parks.geojson`` (the three demo parks: Jinan starting area,
   Qilu Chemical Industry Park in Linzi, Chiping Xinyuan park in Liaocheng;
   outlines approximate, drawn for the demo, see ``SOURCES.md``);
2. otherwise the **city exchange zone** of its prefecture city (key
   ``city-<adcode>``), so that listings outside named parks still have a
   manager who reviews their links;
3. ``None`` outside Shandong.

Coordinate order: functions take (lat, lon) WGS84 degrees; GeoJSON and shapely
use (x=lon, y=lat) inside this module only.

>>> park_of(36.80, 118.25).key
'qilu-chemical'
>>> park_of(36.07, 120.38).key  # Qingdao city centre
'city-370200'
>>> park_of(35.0, 125.0) is None
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from .boundaries import cities, city_of

__all__ = ["Park", "park_by_key", "park_keys_of", "park_of", "parks", "parks_geojson"]

_FILE = Path(__file__).resolve().parent / "data" / "parks.geojson"


@dataclass(frozen=True)
class Park:
    """A park (or city exchange zone) with its outline in (x=lon, y=lat)."""

    key: str
    name_en: str
    name_zh: str
    kind: str                 # "park" or "city"
    city_adcode: str
    requires_approval: bool   # links touching it need the park manager's approval
    shape: BaseGeometry = field(repr=False, compare=False)


@cache
def _named() -> tuple[Park, ...]:
    data = json.loads(_FILE.read_text(encoding="utf-8"))
    return tuple(Park(f["properties"]["key"], f["properties"]["name_en"], f["properties"]["name_zh"], "park",
                      f["properties"]["city"], bool(f["properties"]["requires_approval"]), shape(f["geometry"]))
                 for f in data["features"])


@cache
def _zones() -> tuple[Park, ...]:
    return tuple(Park(f"city-{c.adcode}", f"{c.name_en} city exchange zone", f"{c.name_zh}城市交换区", "city",
                      c.adcode, True, c.shape) for c in cities())


def parks() -> tuple[Park, ...]:
    """Named parks first, then the 16 city exchange zones."""
    return _named() + _zones()


def park_by_key(key: str) -> Park:
    for p in parks():
        if p.key == key:
            return p
    raise KeyError(f"unknown park {key!r}")


def park_of(lat: float, lon: float) -> Park | None:
    """The park a point (lat, lon) belongs to, by the rule in the module docstring."""
    pt = Point(lon, lat)
    for p in _named():
        if p.shape.covers(pt):
            return p
    c = city_of(lat, lon)
    return park_by_key(f"city-{c.adcode}") if c else None


def parks_geojson(kind: str | None = None) -> dict[str, Any]:
    """Park outlines as a GeoJSON FeatureCollection (``kind``: "park", "city" or both)."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(p.shape),
         "properties": {"key": p.key, "name_en": p.name_en, "name_zh": p.name_zh, "kind": p.kind,
                        "city_adcode": p.city_adcode}}
        for p in parks() if kind is None or p.kind == kind]}


def park_keys_of(lat: "list[float] | object", lon: "list[float] | object") -> list[str | None]:
    """Vectorised :func:`park_of`: the park key of each (lat, lon), or None outside Shandong.

    >>> park_keys_of([36.80, 36.07, 35.0], [118.25, 120.38, 125.0])
    ['qilu-chemical', 'city-370200', None]
    """
    import numpy as np
    import shapely
    from shapely.strtree import STRtree

    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    pts = shapely.points(lo, la)
    out: list[str | None] = [None] * len(la)
    # city zones first, named parks override (a named park lies inside a city)
    for group in (_zones(), _named()):
        tree = STRtree([p.shape for p in group])
        q, g = tree.query(pts, predicate="covered_by")
        for qi, gi in zip(q.tolist(), g.tolist()):
            out[qi] = group[gi].key
    return out
