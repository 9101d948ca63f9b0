"""Search for recyclers (sinks) or suppliers (sources) around a site.

A query names a material, the site to measure from (lat, lon in WGS84
degrees), a radius in km, a minimum quantity in the material's canonical
annual unit (``MWh/yr`` or ``t/yr``) and, optionally, a quality:

* looking for **recyclers** (sinks), the quality is what *you offer*
  (grade, purity %, temperature C); a sink is kept when the material's own
  quality rule says that offer meets the sink's requirement at that
  distance (heat cools along the pipe), i.e. the quality is the minimum the
  results may ask for;
* looking for **suppliers** (sources), it is the *minimum you need*; a source
  is kept when its quality meets it.

The compatibility test is the matcher's (``QualityRule.fit``), so search and
matching never disagree. Results are what the viewer may see (visibility
rules); distances are measured to the location the viewer sees, so a rounded
(anonymous) listing cannot be located more precisely through its distance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exchange.domain.errors import ValidationError
from exchange.domain.factors import Defaults
from exchange.domain.materials import CATALOGUE, Quality
from exchange.domain.numbers import to_number
from geodata.distance import geodesic_km

from .listings import ListingFilter, visible_listings

MAX_RADIUS_KM = 1000.0
DEFAULT_RADIUS_KM = 100.0


@dataclass(frozen=True)
class SearchQuery:
    material: str
    lat: float
    lon: float
    radius_km: float = DEFAULT_RADIUS_KM
    looking_for: str = "sink"
    quality: Quality | None = None
    min_quantity: float = 0.0


@dataclass(frozen=True)
class Hit:
    listing: dict[str, Any]
    distance_km: float
    compatible: bool
    note: str


def parse_query(args: Mapping[str, Any]) -> SearchQuery:
    """Validate search arguments; ``ValidationError`` names each bad field.

    >>> q = parse_query({"material": "fly_ash", "lat": "36.6", "lon": "117", "radius_km": "50", "quality": "ii"})
    >>> q.quality, q.radius_km, q.looking_for
    ('II', 50.0, 'sink')
    >>> parse_query({"material": "gold"})
    Traceback (most recent call last):
    ...
    exchange.domain.errors.ValidationError: search needs: material, lat, lon
    """
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def get(name: str) -> Any:
        v = args.get(name)
        return None if v is None or (isinstance(v, str) and not v.strip()) else v

    def number(name: str, lo: float, hi: float, required: bool = False) -> float | None:
        v = get(name)
        if v is None:
            if required:
                errors.setdefault(name, []).append("is required")
            return None
        try:
            x = to_number(v)
        except (ValueError, TypeError):
            errors.setdefault(name, []).append("must be a number")
            return None
        if not lo <= x <= hi:
            errors.setdefault(name, []).append(f"must be between {lo:g} and {hi:g}")
            return None
        return x

    material = str(get("material") or "").strip()
    if material not in CATALOGUE:
        errors.setdefault("material", []).append(f"must be one of {', '.join(CATALOGUE)}")
    else:
        out["material"] = material
    looking = str(get("looking_for") or "sink").strip()
    if looking not in ("sink", "source"):
        errors.setdefault("looking_for", []).append("must be 'sink' or 'source'")
    out["looking_for"] = looking
    out["lat"] = number("lat", -90, 90, required=True)
    out["lon"] = number("lon", -180, 180, required=True)
    radius = number("radius_km", 0.1, MAX_RADIUS_KM)
    out["radius_km"] = DEFAULT_RADIUS_KM if radius is None else radius
    out["min_quantity"] = number("min_quantity", 0, 1e12) or 0.0
    raw_quality = get("quality")
    if raw_quality is not None and material in CATALOGUE:
        try:
            out["quality"] = CATALOGUE[material].quality.parse(raw_quality)
        except ValueError as exc:
            errors.setdefault("quality", []).append(str(exc))
    if errors:
        raise ValidationError("search needs: " + ", ".join(errors), errors)
    return SearchQuery(**out)


def _compatible(q: SearchQuery, listing: Mapping[str, Any], distance_km: float) -> tuple[bool, str]:
    """Whether the listing's quality suits the query's, by the material's rule, and why."""
    rule = CATALOGUE[q.material].quality
    if q.quality is None:
        return True, ""
    quality = (listing.get("quality") or {}).get(rule.attribute)
    if quality is None:
        return True, ""
    try:
        theirs = rule.parse(quality)
    except ValueError:
        return False, "quality unreadable"
    source, sink = (q.quality, theirs) if q.looking_for == "sink" else (theirs, q.quality)
    fit = rule.fit(source, sink, distance_km, Defaults())
    return fit.feasible, fit.margin if fit.feasible else fit.reason


def find(q: SearchQuery, viewer: Any) -> list[Hit]:
    """Listings matching the query, nearest first (compatible ones only)."""
    hits = []
    flt = ListingFilter(material=(q.material,), role=q.looking_for, near=(q.lat, q.lon), radius_km=q.radius_km)
    for v in visible_listings(viewer, flt):
        quantity = v.get("quantity")
        if quantity is None:  # an anonymous listing: judge by the top of its band
            quantity = (v.get("quantity_band") or {}).get("max")
        if q.min_quantity and quantity is not None and quantity < q.min_quantity:
            continue
        d = geodesic_km(q.lat, q.lon, v["lat"], v["lon"])
        if d > q.radius_km:
            continue
        ok, note = _compatible(q, v, d)
        if ok:
            hits.append(Hit(v, d, ok, note))
    return sorted(hits, key=lambda h: h.distance_km)


def my_listings(viewer: Any) -> list[dict[str, Any]]:
    """Every listing of the viewer's organisation, withdrawn ones included (for "my listings")."""
    return visible_listings(viewer, ListingFilter(mine=True, include_withdrawn=True))
