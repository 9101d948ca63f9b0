"""What the map draws: listings as points, links as lines, the base layers.

Everything comes from the viewer's views (:mod:`exchange.services.visibility`
through :func:`exchange.services.listings.visible_listings` and
:func:`exchange.services.workflow.visible_links`): a listing the viewer may not
see is left out, an anonymous one arrives with its location snapped to a
0.05° cell, its quantity as a band and an opaque ``key`` instead of the id,
and a link is drawn between the *shown* locations of its ends. A link whose
other end is withheld from the viewer (a party or reviewer may see such a
link) has no geometry and is not drawn; it is still counted in tables.

Coordinates: GeoJSON order ``[lon, lat]`` (RFC 7946), WGS84 degrees.
Quantities are in the material's canonical annual unit (``MWh/yr``, ``t/yr``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from shapely.geometry import mapping, shape

from geodata.boundaries import as_geojson
from geodata.parks import parks_geojson

from .listings import ListingFilter, get_listing
from .listings import visible_listings as _visible_listings
from .workflow import get_link
from .workflow import visible_links as _visible_links

#: every status a link can have, in workflow order (``superseded`` links are never shown)
STATUSES = ("proposed", "interest", "accepted", "approved", "active", "ended", "declined", "rejected")

#: listing fields the map's markers carry (long texts stay out; the details pane fetches them)
LISTING_PROPS = ("id", "key", "access", "ref", "organisation", "role", "material", "quantity", "quantity_band", "unit",
                 "quality", "park", "visibility", "approximate", "site")
#: link fields the map's lines carry
LINK_PROPS = ("id", "material", "quantity", "quantity_band", "delivered", "unit", "status", "distance_km", "route_km",
              "transport", "requires", "net_benefit_rmb_per_yr", "co2_avoided_t_per_yr", "exact")


@dataclass(frozen=True)
class MapFilter:
    """What to draw; empty means everything. ``park`` keeps what touches that park."""

    materials: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    park: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> MapFilter:
        """From query arguments: ``material``, ``role``, ``status`` (repeatable or comma lists), ``park``."""

        def many(name: str) -> frozenset[str]:
            getlist = getattr(args, "getlist", None)
            values = getlist(name) if getlist else ([args[name]] if name in args else [])
            return frozenset(v.strip() for raw in values for v in str(raw).split(",") if v.strip())

        park = str(args.get("park") or "").strip() or None
        return cls(many("material"), many("role"), many("status"), park)


def marker_id(view: Mapping[str, Any]) -> Any:
    """The id a marker goes by: the listing id, or the opaque key of an anonymous listing."""
    return view.get("id") if view.get("id") is not None else view.get("key")


def visible_listings(viewer: Any, flt: MapFilter | None = None) -> list[dict[str, Any]]:
    """Active listings as the viewer may see them."""
    flt = flt or MapFilter()
    role = next(iter(flt.roles)) if len(flt.roles) == 1 else None
    views = _visible_listings(viewer, ListingFilter(material=tuple(sorted(flt.materials)), role=role, park=flt.park))
    return [v for v in views if not flt.roles or v.get("role") in flt.roles]


def visible_links(viewer: Any, flt: MapFilter | None = None) -> list[dict[str, Any]]:
    """Standing links as the viewer may see them (``source``/``sink`` are the listing views)."""
    flt = flt or MapFilter()
    return _visible_links(viewer, statuses=tuple(sorted(flt.statuses)), materials=tuple(sorted(flt.materials)),
                          park=flt.park)


def _located(end: Mapping[str, Any]) -> bool:
    return end.get("lat") is not None and end.get("lon") is not None


def listing_props(v: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.get(k) for k in LISTING_PROPS}


def listings_geojson(viewer: Any, flt: MapFilter | None = None) -> dict[str, Any]:
    """Listings as Point features (``id``: listing id or anonymous key)."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": marker_id(v), "geometry": {"type": "Point", "coordinates": [v["lon"], v["lat"]]},
         "properties": listing_props(v)}
        for v in visible_listings(viewer, flt) if _located(v)]}


def link_feature(v: Mapping[str, Any], *, full: bool = False) -> dict[str, Any]:
    """One link as a LineString from the shown source to the shown sink (``None`` geometry if one is withheld)."""
    src, snk = v["source"], v["sink"]
    props = {k: v.get(k) for k in LINK_PROPS}
    props.update(source_id=marker_id(src), sink_id=marker_id(snk),
                 parks=sorted({p for p in (src.get("park"), snk.get("park")) if p}))
    if full:
        props.update({k: val for k, val in v.items() if k not in ("source", "sink")})
        props.update(source=listing_props(src), sink=listing_props(snk))
    geometry = None
    if _located(src) and _located(snk):
        geometry = {"type": "LineString", "coordinates": [[src["lon"], src["lat"]], [snk["lon"], snk["lat"]]]}
    return {"type": "Feature", "id": v["id"], "geometry": geometry, "properties": props}


def links_geojson(viewer: Any, flt: MapFilter | None = None) -> dict[str, Any]:
    """The links the map draws: those with both ends shown."""
    features = [link_feature(v) for v in visible_links(viewer, flt)]
    return {"type": "FeatureCollection", "features": [f for f in features if f["geometry"] is not None]}


def listing_detail(listing_id: int, viewer: Any) -> dict[str, Any]:
    """One listing (by id; anonymous ones have none) with the links it takes part in.

    Raises ``NotFound`` when the viewer may not open it.
    """
    view = get_listing(listing_id, viewer)
    links = []
    for lk in visible_links(viewer, MapFilter(park=view.get("park"))):
        if listing_id in (lk["source"].get("id"), lk["sink"].get("id")):
            other = lk["sink"] if lk["source"].get("id") == listing_id else lk["source"]
            links.append(link_feature(lk)["properties"] | {"counterpart": listing_props(other)})
    return {**view, "links": links}


def link_detail(link_id: int, viewer: Any) -> dict[str, Any]:
    """One link with everything the details pane shows, and the viewer's ``actions``.

    Raises ``NotFound`` when the viewer may not see it.
    """
    return link_feature(get_link(link_id, viewer), full=True)["properties"]


@cache
def _simplified(kind: str, tolerance: float) -> dict[str, Any]:
    fc = as_geojson(kind)  # type: ignore[arg-type]
    for f in fc["features"]:
        f["geometry"] = mapping(shape(f["geometry"]).simplify(tolerance, preserve_topology=True))
        props = f.get("properties") or {}
        f["properties"] = {k: props.get(k) for k in ("adcode", "name_en", "name_zh", "label_point") if k in props}
    return fc


def base_layers() -> dict[str, Any]:
    """Province, city and park outlines: the map's base layer, no tiles needed.

    Outlines are simplified to about 300 m (0.003 degrees): plenty at province
    and city zoom, and a fifth of the size.
    """
    return {"province": _simplified("province", 0.003), "cities": _simplified("cities", 0.003),
            "parks": parks_geojson("park")}
