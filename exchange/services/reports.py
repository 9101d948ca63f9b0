"""Park reports: KPIs, the Sankey of material flows, CSV and GeoJSON exports.

Scope
-----
A park's report covers every current link (see
:func:`exchange.services.mapdata.current_links`) with at least one end in the
park, and the park's active listings. ``park=None`` means the whole province.
Everything is built from what the viewer may see
(:mod:`exchange.services.visibility`), so a report or an export never shows
more than the map does.

KPIs (all per year)
-------------------
Two columns: **agreed** counts links ``approved`` or ``active``; **in
pipeline** adds those still ``proposed``, ``interest`` or ``accepted``.

* waste heat recovered, MWh/yr: heat taken from the sources (``quantity``);
* fly ash and FGD gypsum diverted, t/yr: tonnes taken from the sources, which
  no longer go to landfill (``quantity``);
* hydrogen supplied, t/yr: what reaches the users after any purification
  loss (``delivered``);
* CO2 avoided, t/yr, and net benefit, RMB/yr: sums of the links' figures;
* utilisation of listed surplus, per material: the quantity the park's
  sources give through these links over what they list. Units differ between
  materials, so there is no single all-material rate.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exchange.domain.materials import CATALOGUE

from . import exports
from .mapdata import MapFilter, marker_id, visible_links, visible_listings

AGREED = ("approved", "active")
PIPELINE = ("proposed", "interest", "accepted")
#: links a park manager can still approve or reject
REVIEWABLE = PIPELINE

#: KPI key -> (material, which figure of the link)
KPI_MATERIALS: dict[str, tuple[str, str]] = {
    "heat_recovered_mwh": ("waste_heat", "quantity"),
    "ash_diverted_t": ("fly_ash", "quantity"),
    "gypsum_diverted_t": ("fgd_gypsum", "quantity"),
    "hydrogen_supplied_t": ("hydrogen", "delivered"),
}


@dataclass
class Figures:
    """Sums over a set of links."""

    links: int = 0
    heat_recovered_mwh: float = 0.0
    ash_diverted_t: float = 0.0
    gypsum_diverted_t: float = 0.0
    hydrogen_supplied_t: float = 0.0
    co2_avoided_t: float = 0.0
    net_benefit_rmb: float = 0.0

    def add(self, link: Mapping[str, Any]) -> None:
        self.links += 1
        for key, (material, figure) in KPI_MATERIALS.items():
            if link["material"] == material:
                setattr(self, key, getattr(self, key) + _num(link.get(figure)))
        self.co2_avoided_t += _num(link.get("co2_avoided_t_per_yr"))
        self.net_benefit_rmb += _num(link.get("net_benefit_rmb_per_yr"))


@dataclass
class Utilisation:
    """Listed surplus of one material in the park and what links take of it."""

    material: str
    unit: str
    listed: float = 0.0
    agreed: float = 0.0
    potential: float = 0.0

    @property
    def agreed_rate(self) -> float | None:
        return self.agreed / self.listed if self.listed else None

    @property
    def potential_rate(self) -> float | None:
        return self.potential / self.listed if self.listed else None


@dataclass
class ParkReport:
    park: str | None
    agreed: Figures
    potential: Figures
    utilisation: list[Utilisation]
    by_status: dict[str, int]
    sources: int
    sinks: int
    links: list[dict[str, Any]] = field(repr=False)

    def kpis(self) -> dict[str, Any]:
        """The KPIs as plain data (for JSON and tests)."""
        return {
            "park": self.park, "agreed": vars(self.agreed), "potential": vars(self.potential),
            "utilisation": {u.material: {"unit": u.unit, "listed": u.listed, "agreed": u.agreed,
                                         "potential": u.potential, "agreed_rate": u.agreed_rate,
                                         "potential_rate": u.potential_rate} for u in self.utilisation},
            "by_status": self.by_status, "sources": self.sources, "sinks": self.sinks,
        }


def _num(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


def _in_park(listing: Mapping[str, Any], park: str | None) -> bool:
    return park is None or listing.get("park") == park


def park_report(park: str | None, viewer: Any) -> ParkReport:
    """KPIs and the links behind them for one park (``None``: the province)."""
    links = visible_links(viewer, MapFilter(park=park))
    listings = visible_listings(viewer, MapFilter(park=park))
    agreed, potential = Figures(), Figures()
    util = {k: Utilisation(k, m.canonical_unit) for k, m in CATALOGUE.items()}
    for v in listings:
        if v["role"] == "source" and v["material"] in util:
            util[v["material"]].listed += _num(v.get("quantity"))
    for lk in links:
        status = lk["status"]
        if status not in AGREED and status not in PIPELINE:
            continue
        potential.add(lk)
        from_park = _in_park(lk["source"], park) and lk["material"] in util
        if from_park:
            util[lk["material"]].potential += _num(lk.get("quantity"))
        if status in AGREED:
            agreed.add(lk)
            if from_park:
                util[lk["material"]].agreed += _num(lk.get("quantity"))
    roles = Counter(v["role"] for v in listings)
    return ParkReport(park=park, agreed=agreed, potential=potential,
                      utilisation=[u for u in util.values() if u.listed or u.potential],
                      by_status=dict(Counter(lk["status"] for lk in links)), sources=roles["source"],
                      sinks=roles["sink"], links=links)


def links_per_park(viewer: Any) -> dict[str, dict[str, float]]:
    """For each park: links touching it, how many are agreed, and their CO2 avoided (t/yr)."""
    out: dict[str, dict[str, float]] = {}
    for lk in visible_links(viewer):
        for key in {lk["source"].get("park"), lk["sink"].get("park")} - {None}:
            row = out.setdefault(key, {"links": 0, "agreed": 0, "co2": 0.0})
            row["links"] += 1
            row["agreed"] += lk["status"] in AGREED
            row["co2"] += _num(lk.get("co2_avoided_t_per_yr"))
    return out


def review_queue(report: ParkReport) -> list[dict[str, Any]]:
    """Links a park manager can still decide on: accepted ones first, then by net benefit."""
    order = {"accepted": 0, "interest": 1, "proposed": 2}
    queue = [lk for lk in report.links if lk["status"] in REVIEWABLE]
    return sorted(queue, key=lambda lk: (order[lk["status"]], -_num(lk.get("net_benefit_rmb_per_yr"))))


def display_name(listing: Mapping[str, Any], anonymous: str = "Anonymous", withheld: str = "Withheld") -> str:
    """Who a listing belongs to as a person reads it: its organisation, or a neutral name."""
    org = listing.get("organisation")
    if listing.get("access") == "withheld":
        return withheld
    if not org:
        return f"{anonymous} {str(listing.get('key') or '')[-4:]}".strip()
    return str(org)


def sankey(links: Iterable[Mapping[str, Any]], anonymous: str = "Anonymous",
           withheld: str = "Withheld") -> dict[str, Any]:
    """Source -> sink flows per material, for an ECharts Sankey.

    One diagram per material (their units differ). Node names are unique keys
    (``s:<key>`` / ``k:<key>``: sources and sinks never collide, so the graph
    is acyclic); ``label`` is what is shown. Only links with an exact quantity
    count; rejected, declined and ended links are left out.

    >>> lk = {"id": 1, "material": "fly_ash", "quantity": 5.0, "unit": "t/yr", "status": "proposed",
    ...       "source": {"id": 7, "key": "listing-7", "organisation": "A"},
    ...       "sink": {"id": None, "key": "anon-0123456789abcdef", "organisation": None}}
    >>> d = sankey([lk])["fly_ash"]
    >>> [n["label"] for n in d["nodes"]], d["links"][0]["value"]
    (['A', 'Anonymous cdef'], 5.0)
    """
    out: dict[str, dict[str, Any]] = {}
    for lk in links:
        if lk["status"] not in AGREED and lk["status"] not in PIPELINE or lk.get("quantity") is None:
            continue
        m = out.setdefault(lk["material"], {"unit": lk.get("unit"), "nodes": {}, "links": [], "total": 0.0})
        s, k = lk["source"], lk["sink"]
        s_key = f"s:{marker_id(s) if marker_id(s) is not None else 'w' + str(lk['id'])}"
        k_key = f"k:{marker_id(k) if marker_id(k) is not None else 'w' + str(lk['id'])}"
        m["nodes"].setdefault(s_key, {"name": s_key, "label": display_name(s, anonymous, withheld), "role": "source"})
        m["nodes"].setdefault(k_key, {"name": k_key, "label": display_name(k, anonymous, withheld), "role": "sink"})
        q = _num(lk.get("quantity"))
        m["links"].append({"source": s_key, "target": k_key, "value": q, "status": lk["status"], "id": lk["id"]})
        m["total"] += q
    for m in out.values():
        m["nodes"] = list(m["nodes"].values())
    return dict(sorted(out.items(), key=lambda kv: -len(kv[1]["links"])))


def links_csv(links: Sequence[Mapping[str, Any]]) -> bytes:
    """The links as CSV in the API's export columns, UTF-8 with a byte-order mark (spreadsheets read Chinese)."""
    return ("\ufeff" + exports.links_csv(links)).encode("utf-8")


def links_geojson(links: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The links as GeoJSON LineStrings between the shown locations (the API's export format)."""
    return exports.links_geojson(links)


def material_totals(links: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Per material: links, quantity, net benefit and CO2 (for the printable report)."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"links": 0, "quantity": 0.0, "net": 0.0, "co2": 0.0})
    for lk in links:
        if lk["status"] not in AGREED and lk["status"] not in PIPELINE:
            continue
        t = out[lk["material"]]
        t["links"] += 1
        t["quantity"] += _num(lk.get("quantity"))
        t["net"] += _num(lk.get("net_benefit_rmb_per_yr"))
        t["co2"] += _num(lk.get("co2_avoided_t_per_yr"))
    return dict(out)
