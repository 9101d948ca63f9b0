"""Shandong province outline and its 16 prefecture-level cities.

Coordinate order: the public functions take and return **(lat, lon)** in
degrees.  The GeoJSON files and the shapely geometries use (x=lon, y=lat);
conversion happens only inside this module.

The outlines come from Apache ECharts test data (Apache-2.0, see
``geodata/data/SOURCES.md``).  They are generalised to roughly 100 m and their
datum is undocumented (WGS84 or GCJ-02, a 0.3-0.6 km shift below the
generalisation), so treat answers within about 2 km of a border as uncertain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

__all__ = [
    "City",
    "as_geojson",
    "cities",
    "city_by_adcode",
    "city_of",
    "geojson_text",
    "in_shandong",
    "province_shape",
]

DATA_DIR: Final[Path] = Path(__file__).resolve().parent / "data"
_FILES: Final[dict[str, str]] = {
    "province": "shandong_boundary.geojson",
    "cities": "shandong_cities.geojson",
}

Kind = Literal["province", "cities"]


@dataclass(frozen=True)
class City:
    """A prefecture-level city of Shandong.

    Attributes
    ----------
    adcode : str
        Six-digit administrative code, e.g. ``"370100"`` for Jinan.
    name_zh, name_en : str
        Chinese and English names.
    shape : shapely geometry
        (Multi)polygon in (x=lon, y=lat) degrees.
    label_point : tuple of float
        A point for labels and demo placement, as **(lat, lon)**.
    """

    adcode: str
    name_zh: str
    name_en: str
    shape: BaseGeometry = field(repr=False, compare=False)
    label_point: tuple[float, float]


@cache
def geojson_text(kind: Kind) -> str:
    """Raw GeoJSON text of ``"province"`` or ``"cities"`` (read once)."""
    try:
        name = _FILES[kind]
    except KeyError:
        raise ValueError(f"kind must be 'province' or 'cities', not {kind!r}") from None
    return (DATA_DIR / name).read_text(encoding="utf-8")


def as_geojson(kind: Kind) -> dict[str, Any]:
    """The GeoJSON FeatureCollection for the map layer, as a fresh dict.

    Parameters
    ----------
    kind : {"province", "cities"}

    Examples
    --------
    >>> as_geojson("cities")["type"]
    'FeatureCollection'
    >>> len(as_geojson("cities")["features"])
    16
    """
    result: dict[str, Any] = json.loads(geojson_text(kind))
    return result


@cache
def province_shape() -> BaseGeometry:
    """Shandong outline as a prepared shapely MultiPolygon (x=lon, y=lat).

    Examples
    --------
    >>> province_shape().geom_type
    'MultiPolygon'
    """
    geom = shape(json.loads(geojson_text("province"))["features"][0]["geometry"])
    shapely.prepare(geom)
    return geom


@cache
def cities() -> tuple[City, ...]:
    """The 16 prefecture-level cities, ordered by adcode.

    Examples
    --------
    >>> [c.name_en for c in cities()][:3]
    ['Jinan', 'Qingdao', 'Zibo']
    >>> cities()[0].label_point
    (36.675807, 117.000923)
    """
    out = []
    for feat in json.loads(geojson_text("cities"))["features"]:
        props = feat["properties"]
        geom = shape(feat["geometry"])
        shapely.prepare(geom)
        lon, lat = props["label_point"]
        out.append(
            City(
                adcode=str(props["adcode"]),
                name_zh=str(props["name_zh"]),
                name_en=str(props["name_en"]),
                shape=geom,
                label_point=(float(lat), float(lon)),
            )
        )
    return tuple(sorted(out, key=lambda c: c.adcode))


def city_by_adcode(adcode: str) -> City:
    """The city with this adcode; ``KeyError`` if none.

    >>> city_by_adcode("370200").name_en
    'Qingdao'
    """
    for c in cities():
        if c.adcode == adcode:
            return c
    raise KeyError(adcode)


@cache
def _city_tree() -> STRtree:
    return STRtree([c.shape for c in cities()])


def city_of(lat: float, lon: float) -> City | None:
    """The prefecture city containing (lat, lon), or ``None`` outside them.

    A point on a shared border goes to the city with the smaller adcode.

    Examples
    --------
    >>> city_of(36.65, 117.0).adcode
    '370100'
    >>> city_of(35.5, 123.0) is None
    True
    """
    hits = _city_tree().query(Point(lon, lat), predicate="intersects")
    if len(hits) == 0:
        return None
    return cities()[int(min(hits))]


def in_shandong(lat: float, lon: float) -> bool:
    """Whether (lat, lon) lies inside (or on) the generalised province outline.

    Coastal and border sites can fall just outside the generalised outline;
    the CSVs' ``in_shandong_best_guess`` column allows for that.

    Examples
    --------
    >>> in_shandong(36.65, 117.0)
    True
    >>> in_shandong(35.5, 123.0)   # Yellow Sea
    False
    """
    return bool(shapely.intersects_xy(province_shape(), lon, lat))
