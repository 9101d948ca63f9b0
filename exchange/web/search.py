"""Search for recyclers (or suppliers) around a site: results on the map and in a table."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from exchange.domain.errors import ValidationError
from exchange.services import search as search_service

from . import access, bp
from .listings import material_options
from .templating import page_config

SEARCH_FIELDS = ("looking_for", "material", "quality", "lat", "lon", "radius_km", "min_quantity", "site")


def my_sites() -> list[dict[str, Any]]:
    """The places my organisation has listed, to search from (distinct locations)."""
    user = access.viewer()
    if user is None:
        return []
    seen: dict[tuple[float, float], dict[str, Any]] = {}
    for v in search_service.my_listings(user):
        key = (round(v["lat"], 5), round(v["lon"], 5))
        seen.setdefault(key, {"name": v.get("site") or v.get("ref"), "lat": v["lat"], "lon": v["lon"]})
    return list(seen.values())


@bp.get("/search")
def search():  # type: ignore[no-untyped-def]
    """The search form; with a query, the matching listings nearest first."""
    values = {f: request.args.get(f, "").strip() for f in SEARCH_FIELDS}
    values["looking_for"] = values["looking_for"] or "sink"
    values["material"] = values["material"] or "fly_ash"
    values["radius_km"] = values["radius_km"] or "100"
    errors: dict[str, list[str]] = {}
    hits = None
    query = None
    if request.args.get("lat") or request.args.get("lon") or request.args.get("run"):
        try:
            query = search_service.parse_query(values)
        except ValidationError as err:
            errors = {k: [str(m) for m in v] for k, v in err.details.items()}  # type: ignore[union-attr]
        else:
            hits = search_service.find(query, access.viewer())
    results = [{**h.listing, "distance_km": h.distance_km, "note": h.note} for h in hits or []]
    origin = {"lat": query.lat, "lon": query.lon, "radius_km": query.radius_km} if query else None
    return render_template("web/search.html", values=values, errors=errors, hits=hits, results=results,
                           sites=my_sites(), materials=material_options(),
                           config=page_config(results=results, origin=origin, picker=True,
                                              materials=material_options()))
