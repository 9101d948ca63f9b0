"""Exports of listings and links as GeoJSON and CSV, built from the viewer's views.

Every row comes from :func:`exchange.services.visibility.listing_view` or
``link_view``, and the columns are a fixed allow-list, so an export never
shows more than the API would. Coordinates: GeoJSON ``[lon, lat]`` (RFC 7946),
CSV ``lat``/``lon`` columns, WGS84 degrees. Quantities in the material's
canonical annual unit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: listing columns in CSV exports (an anonymous listing has blanks and a band instead)
LISTING_COLUMNS = ("key", "id", "access", "visibility", "ref", "organisation", "role", "material", "lat", "lon",
                   "approximate", "quantity", "quantity_min", "quantity_max", "unit", "grade", "purity_pct",
                   "temperature_c", "available_months", "park", "site", "description")
#: link columns in CSV exports
LINK_COLUMNS = ("id", "status", "material", "quantity", "quantity_min", "quantity_max", "delivered", "unit",
                "distance_km", "route_km", "transport", "requires", "cost_rmb_per_yr", "net_benefit_rmb_per_yr",
                "co2_avoided_t_per_yr", "exact", "source_key", "source_organisation", "source_lat", "source_lon",
                "source_park", "sink_key", "sink_organisation", "sink_lat", "sink_lon", "sink_park")
#: listing properties in GeoJSON exports
LISTING_PROPERTIES = tuple(c for c in LISTING_COLUMNS if c not in ("lat", "lon", "quantity_min", "quantity_max")) \
    + ("quantity_band",)


def _flat_listing(v: Mapping[str, Any]) -> dict[str, Any]:
    band = v.get("quantity_band") or {}
    row = {k: v.get(k) for k in LISTING_COLUMNS}
    row["quantity_min"], row["quantity_max"] = band.get("min"), band.get("max")
    if isinstance(row.get("available_months"), list):
        row["available_months"] = ",".join(str(m) for m in row["available_months"])
    return row


def _flat_link(v: Mapping[str, Any]) -> dict[str, Any]:
    band = v.get("quantity_band") or {}
    row = {k: v.get(k) for k in LINK_COLUMNS}
    row["quantity_min"], row["quantity_max"] = band.get("min"), band.get("max")
    row["requires"] = ",".join(v.get("requires") or [])
    for side in ("source", "sink"):
        s = v[side]
        row[f"{side}_key"] = s.get("key")
        row[f"{side}_organisation"] = s.get("organisation")
        row[f"{side}_lat"], row[f"{side}_lon"], row[f"{side}_park"] = s.get("lat"), s.get("lon"), s.get("park")
    return row


def _cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run: text starting with = + - @ (or a tab or CR) is
    prefixed with an apostrophe (OWASP's advice against CSV injection); numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k)) for k in columns})
    return buf.getvalue()


def listings_csv(views: Iterable[Mapping[str, Any]]) -> str:
    """UTF-8 text; a spreadsheet opens it as is (the API adds a BOM for Excel)."""
    return _csv(LISTING_COLUMNS, (_flat_listing(v) for v in views))


def links_csv(views: Iterable[Mapping[str, Any]]) -> str:
    return _csv(LINK_COLUMNS, (_flat_link(v) for v in views))


def listings_geojson(views: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [v["lon"], v["lat"]]},
         "properties": {k: v.get(k) for k in LISTING_PROPERTIES}} for v in views]}


def links_geojson(views: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Links as LineStrings between the *shown* locations of their listings (withheld ones: no geometry)."""
    features = []
    for v in views:
        s, k = v["source"], v["sink"]
        geometry = None
        if s.get("lat") is not None and k.get("lat") is not None:
            geometry = {"type": "LineString", "coordinates": [[s["lon"], s["lat"]], [k["lon"], k["lat"]]]}
        props = {c: val for c, val in _flat_link(v).items() if c not in ("source_lat", "source_lon", "sink_lat",
                                                                          "sink_lon")}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}
