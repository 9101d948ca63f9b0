"""Gap analysis for park managers: which enterprise to attract.

Surplus left unmatched is grouped by park (or city zone), material and quality
class; each group says what kind of sink would absorb it (material, the
quality it may require, the size, where) and the net benefit and CO2 such a sink
would bring if it settled ``typical_km`` away (10 km by default), priced with
the same economics as any link. Unmet demand is grouped the same way, as the
supply worth attracting. The list is ranked by benefit.

>>> from exchange.domain import parse_listing
>>> from exchange.matching import match
>>> src = parse_listing(dict(ref="G1", organisation="P", role="source", material="fgd_gypsum",
...     lat=37.38, lon=117.97, quantity=300_000, unit="t/yr", purity_pct=94))
>>> g = gaps(match([src]).unmatched)[0]
>>> g.attract, g.material, g.requirement, round(g.quantity)
('sink', 'fgd_gypsum', 'purity_pct at most 90', 300000)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exchange.domain.factors import Defaults
from exchange.domain.listing import Role
from exchange.domain.materials import CATALOGUE, Fit

from .economics import unit_economics
from .result import UnmatchedListing

#: quality classes a group is cut into, and the requirement a newcomer may state
_HEAT_BANDS = (120.0, 90.0, 70.0, 50.0)
_PURITY_CLASSES = {"fgd_gypsum": (95.0, 90.0, 85.0), "hydrogen": (99.97, 99.9, 99.0)}


@dataclass(frozen=True)
class Gap:
    attract: str            # "sink" for surplus, "source" for unmet demand
    material: str
    park: str | None
    requirement: str        # the quality the newcomer may ask for / must offer
    quantity: float
    unit: str
    lat: float              # quantity-weighted centre of the group (WGS84)
    lon: float
    kinds: tuple[str, ...]  # typical enterprises (catalogue sink kinds, or "producer")
    benefit_rmb_per_yr: float
    co2_t_per_yr: float
    refs: tuple[str, ...]
    #: the requirement as data, for a page in another language: ``at_most`` (the newcomer may ask for
    #: at most ``level``), ``at_least`` (must offer at least), ``heat_pump`` (about ``level`` C, lifted)
    bound: str = ""
    level: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"attract": self.attract, "material": self.material, "park": self.park,
                "requirement": self.requirement, "bound": self.bound, "level": self.level,
                "attribute": CATALOGUE[self.material].quality.attribute,
                "quantity": round(self.quantity, 3), "unit": self.unit,
                "lat": round(self.lat, 5), "lon": round(self.lon, 5), "kinds": list(self.kinds),
                "benefit_rmb_per_yr": round(self.benefit_rmb_per_yr, 2), "co2_t_per_yr": round(self.co2_t_per_yr, 3),
                "listings": list(self.refs)}


def _class(material: str, quality: Any, role: Role) -> tuple[str, Any, str, Any]:
    """(requirement text, sink-side quality value, bound, level) for a quality value."""
    if material == "fly_ash":
        g = str(quality)
        return (f"grade {g} or lower", g, "at_most", g) if role is Role.SOURCE else (f"grade {g} or better", g, "at_least", g)
    if material == "waste_heat":
        t = float(quality)
        if role is Role.SOURCE:
            band = next((b for b in _HEAT_BANDS if t - 15 >= b), None)
            if band:
                return f"supply temperature at most {band:g} C", band, "at_most", band
            return f"about {t - 10:.0f} C via heat pump", t + 25, "heat_pump", round(t - 10)
        return f"at least {t:g} C", t, "at_least", t
    classes = _PURITY_CLASSES[material]
    p = float(quality)
    if role is Role.SOURCE:
        cls = next((c for c in classes if p >= c), min(classes))
        return f"purity_pct at most {cls:g}", cls, "at_most", cls
    return f"purity_pct at least {p:g}", p, "at_least", p


def gaps(unmatched: Sequence[UnmatchedListing], defaults: Defaults | None = None, *,
         typical_km: float = 10.0) -> list[Gap]:
    """Ranked gaps from a match's unmatched listings (see the module docstring)."""
    d = defaults or Defaults()
    groups: dict[tuple[str, str, str | None, str], list[tuple[UnmatchedListing, Any]]] = defaultdict(list)
    bounds: dict[str, tuple[str, Any]] = {}
    for u in unmatched:
        l = u.listing
        text, value, bound, level = _class(l.material, l.quality, l.role)
        bounds[text] = (bound, level)
        attract = "sink" if l.role is Role.SOURCE else "source"
        groups[(attract, l.material, l.park, text)].append((u, value))
    out: list[Gap] = []
    for (attract, key, park, text), members in groups.items():
        mat = CATALOGUE[key]
        qty = sum(u.remaining for u, _ in members)
        lat = sum(u.listing.lat * u.remaining for u, _ in members) / qty
        lon = sum(u.listing.lon * u.remaining for u, _ in members) / qty
        sink_quality = members[0][1]
        if attract == "sink":
            fit = mat.quality.fit(members[0][0].listing.quality, sink_quality, typical_km, d)
        else:
            fit = Fit(True)
        if not fit.feasible:
            fit = Fit(True)
        e = unit_economics(mat, sink_quality, None, None, typical_km, qty, fit, d)
        kinds = mat.sink_kinds if attract == "sink" else ("producer",)
        out.append(Gap(attract, key, park, text, qty, members[0][0].listing.unit, lat, lon, kinds,
                       max(e.net, 0.0) * qty, max(e.co2, 0.0) * qty, tuple(u.listing.ref for u, _ in members),
                       *bounds[text]))
    return sorted(out, key=lambda g: -g.benefit_rmb_per_yr)
