"""The network matcher (pure: no Flask, no SQLAlchemy).

:func:`match` takes listings in canonical units and returns a
:class:`~exchange.matching.result.MatchResult`: the links of the allocation
that maximises the region's net benefit (min-cost flow, or linear programming
where upgrades and cascades make flows with gains), an explanation for every
link, and a reason for every listing left (partly) unmatched.

>>> from exchange.domain import parse_listing
>>> rows = [
...   dict(ref="P1", organisation="Plant", role="source", material="fly_ash", lat=36.60, lon=117.00,
...        quantity=1000, unit="t/yr", grade="I"),
...   dict(ref="C1", organisation="Cement", role="sink", material="fly_ash", lat=36.70, lon=117.10,
...        quantity=600, unit="t/yr", grade="II"),
... ]
>>> r = match([parse_listing(x) for x in rows])
>>> [(l.source.ref, l.sink.ref, l.quantity) for l in r.links]
[('P1', 'C1', 600.0)]
>>> r.unmatched[0].listing.ref, r.unmatched[0].code
('P1', 'partners_full')
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import partial
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from exchange.domain.factors import Defaults
from exchange.domain.listing import Listing, Role
from exchange.domain.materials import CATALOGUE

from .explain import Arc, link_text, unmatched_reason
from .gaps import gaps
from .network import Floats, Network, _nearest_per_key
from .result import MatchResult, ProposedLink, UnmatchedListing
from .solve import per_material

__all__ = ["MatchResult", "ProposedLink", "UnmatchedListing", "match"]

#: JSON as stored with a link: compact, no cycle check (the details are plain dicts, lists and numbers)
_compact_json = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode

#: gaps kept per park in a run's summary (``gaps_by_park``), best first; ``gaps`` holds the region's best 50
GAPS_PER_PARK = 10


def match(
    listings: Sequence[Listing],
    defaults: Defaults | None = None,
    *,
    solver: str = "ortools",
    cap: int | None = None,
    exclude: frozenset[tuple[int, int]] = frozenset(),
    on_links: Callable[[list[ProposedLink]], None] | None = None,
) -> MatchResult:
    """Propose the links that maximise the region's net benefit.

    Parameters
    ----------
    listings : sequence of Listing
        Sources and sinks, canonical units; any mix of materials.
    defaults : Defaults, optional
        Catalogue factors with any overrides.
    solver : {"ortools", "networkx"}
        Min-cost-flow solver for layers without gains (same optimum; see
        :mod:`exchange.matching.allocate`). Layers with gains use HiGHS.
    cap : int, optional
        Candidates kept per listing (nearest compatible, paying partners first);
        ``None`` keeps all.
    exclude : frozenset of (int, int)
        (source id, sink id) pairs of stored listings never to propose again.
    on_links : callable, optional
        Called in this process with each material's links (best first) as
        soon as that material is done, while the others are still being
        matched, so that a caller can store them meanwhile; the result holds
        them all as well.
    """
    defaults = defaults or Defaults()
    parts, timing = per_material(listings, defaults, partial(_material_result, defaults=defaults), cap=cap,
                                 exclude=exclude, solver=solver,
                                 on_done=None if on_links is None else lambda part: on_links(part.links))
    links = sorted((l for p in parts for l in p.links), key=lambda l: (l.material, -l.net_benefit_rmb_per_yr))
    unmatched = [u for _, u in sorted((x for p in parts for x in p.unmatched), key=lambda x: x[0])]
    summary = {
        "materials": {p.material: p.summary for p in parts if p.summary["listed_supply"] or p.summary["listed_demand"]},
        "parks": {park: mats for park, mats in sorted(_merge_parks(parts).items())},
        "links": len(links),
        "net_benefit_rmb_per_yr": round(math.fsum(p.net_benefit for p in parts), 2),
        "co2_avoided_t_per_yr": round(math.fsum(p.co2_avoided for p in parts), 3),
        "listings": len(listings),
        "listings_unmatched": sum(p.listings_unmatched for p in parts),
        "park_rule": "a link counts in the park of its source and in the park of its sink",
    }
    found = gaps(unmatched, defaults)
    summary["gaps"] = [g.as_dict() for g in found[:50]]
    by_park: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for g in found:  # ranked already: each park's best
        if g.park is not None and len(by_park[g.park]) < GAPS_PER_PARK:
            by_park[g.park].append(g.as_dict())
    summary["gaps_by_park"] = dict(sorted(by_park.items()))
    stats = {"listings": len(listings), "candidates": sum(p.candidates for p in parts), "flows": len(links),
             "cascade_nodes": sum(p.cascade_nodes for p in parts),
             "candidate_seconds": round(timing.candidates, 4), "solve_seconds": round(timing.solve, 4),
             "links_seconds": round(timing.finish, 4), "materials_seconds": round(timing.wall, 4),
             "processes": timing.processes, "solver": solver, "cap": cap}
    return MatchResult(links, unmatched, summary, stats)


@dataclass
class _Part:
    """What one material's job returns."""

    material: str
    links: list[ProposedLink]
    unmatched: list[tuple[int, UnmatchedListing]]   # (listing index, entry)
    summary: dict[str, Any]
    parks: dict[str, dict[str, Any]]                # park -> totals of this material's links
    net_benefit: float
    co2_avoided: float
    listings_unmatched: int
    candidates: int
    cascade_nodes: int


def _merge_parks(parts: Sequence[_Part]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for p in parts:
        for park, totals in p.parks.items():
            out[park][p.material] = totals
    return {park: dict(sorted(mats.items())) for park, mats in out.items()}


def _material_result(net: Network, flows: Floats, key: str, *, defaults: Defaults) -> _Part:
    """Links, unmatched listings and totals of material ``key`` (all its listings, matched or not)."""
    listings = net.listings
    c = net.candidates
    n = len(listings)
    mine = [i for i, l in enumerate(listings) if l.material == key]
    allocated: dict[int, float] = defaultdict(float)
    partners_of: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    links: list[ProposedLink] = []
    by_park: dict[str, list[ProposedLink]] = defaultdict(list)
    used = np.flatnonzero(flows > 0)
    ends = sorted({int(e) for e in np.r_[c.source[used], c.sink[used]]})
    ends = [e if e < n else net.cascade_sink[e][0] for e in ends]
    parks = _parks(listings, ends)
    methods = {key: CATALOGUE[key].co2_method_text(defaults)}
    factors = CATALOGUE[key].co2_method_factors(defaults)  # the page writes the method in Chinese from these
    arcs = zip(*(getattr(c, name)[used].tolist() for name in Arc._fields))  # plain floats: numpy scalars are slow
    for arc, q in zip(map(Arc._make, arcs), flows[used].tolist()):
        u, v = arc.source, arc.sink
        delivered = q * arc.frac
        allocated[u] += q
        allocated[v] += delivered
        partners_of[u].append((v, q, arc.net))
        partners_of[v].append((u, q, arc.net))
        link = _link(net, arc, q, delivered, defaults, parks, methods, factors)
        links.append(link)
        for park in {parks.get(u if u < n else net.cascade_sink[u][0]), parks.get(v)} - {None}:
            by_park[str(park)].append(link)  # a link counts in the park of its source and in that of its sink
    links.sort(key=lambda l: -l.net_benefit_rmb_per_yr)

    best: dict[int, int] = {}
    for side in (c.source, c.sink):
        for x in _nearest_per_key(side, -c.net).tolist():
            best.setdefault(int(side[x]), x)
    roles = {listings[i].role for i in mine}
    unmatched_at: list[tuple[int, UnmatchedListing]] = []
    for i in mine:
        l = listings[i]
        got = allocated.get(i, 0.0)
        left = l.quantity - got
        if left <= max(1e-6 * l.quantity, 1e-3):
            continue
        other = Role.SINK if l.role is Role.SOURCE else Role.SOURCE
        code, text = unmatched_reason(i, net, best, allocated, partners_of, other in roles, defaults)
        if got > 0:
            text = f"matched {got:,.0f} of {l.quantity:,.0f} {l.unit}; the rest: {text}"
        unmatched_at.append((i, UnmatchedListing(l, code, text, got, left)))
    parks_all = _parks(listings, [i for i, _ in unmatched_at])
    unmatched_at = [(i, replace(u, listing=replace(u.listing, park=parks_all.get(i)))) for i, u in unmatched_at]

    mat = CATALOGUE[key]
    supply = math.fsum(listings[i].quantity for i in mine if listings[i].role is Role.SOURCE)
    demand = math.fsum(listings[i].quantity for i in mine if listings[i].role is Role.SINK)
    primary = math.fsum(l.quantity for l in links if "cascade" not in l.requires)
    summary = {"unit": mat.canonical_unit, "listed_supply": round(supply, 3), "listed_demand": round(demand, 3),
               **_totals(links), "utilisation_of_supply": round(primary / supply, 4) if supply else None}
    return _Part(
        material=key, links=links, unmatched=unmatched_at, summary=summary,
        parks={p: _totals(ls) for p, ls in by_park.items()},
        net_benefit=math.fsum(l.net_benefit_rmb_per_yr for l in links),
        co2_avoided=math.fsum(l.co2_avoided_t_per_yr for l in links),
        listings_unmatched=sum(1 for i in mine if allocated.get(i, 0.0) <= 0),
        candidates=len(c), cascade_nodes=len(net.cascade_sink),
    )


def _link(net: Network, arc: Arc, q: float, delivered: float, defaults: Defaults, parks: dict[int, str | None],
          methods: dict[str, str], factors: dict[str, float]) -> ProposedLink:
    L = net.listings
    u, v = arc.source, arc.sink
    sink = L[v]
    mat = CATALOGUE[sink.material]
    requires = net.requires[arc.option]
    chain = ""
    src_i = net.cascade_sink[u][0] if u >= len(L) else u
    d = arc.distance_km
    source = L[src_i]
    if u >= len(L):
        requires = ("cascade", *requires)
        offered = source.return_temperature_c
        chain = f"return heat of {source.ref} ({offered:g} C)"
    else:
        offered = source.quality
    fit = mat.quality.fit(offered, sink.quality, d, defaults)
    margin = fit.margin
    # the margin as data too, so that a page can say it in another language
    fit_data: dict[str, Any] = {"attribute": mat.quality.attribute, "offered": offered, "needed": sink.quality,
                                **{k: v for k, v in fit.details.items() if k != "note"}}
    if mat.quality.attribute == "temperature_c":
        fit_data["approach_k"] = defaults["heat_exchanger_approach_k"]
    upgrade = [r for r in requires if r in ("purification", "separation")]
    if upgrade:
        fit_data.update(upgrade=upgrade[0], purified_pct=defaults["purified_pct"])
    details: dict[str, Any] = {
        "margin": margin,
        "fit": fit_data,
        "per_unit": {"value": arc.value, "disposal": arc.disposal, "transport": arc.transport, "upgrade": arc.upgrade,
                     "net": arc.net, "co2": arc.co2},
        "delivered_fraction": arc.frac,
        "months": [m + 1 for m in range(12) if arc.months >> m & 1],
        "co2_method": methods[mat.key],
        "co2_factors": factors,
        "source_park": parks.get(src_i),
        "sink_park": parks.get(v),
    }
    if chain:
        details["chain"] = chain
    if "heat_pump" in requires:
        details["heat_pump"] = {"lift_k": round(fit.details.get("lift_k", 0.0), 2), "cop": round(fit.details.get("cop", 0.0), 3)}
    if hasattr(mat.transport, "capex"):
        capex = mat.transport.capex(d, arc.design_quantity, defaults)
        yearly_gain = (arc.net + arc.transport) * q  # before the pipe's own annual cost
        details["pipeline_capex_rmb"] = round(capex, 0)
        details["simple_payback_yr"] = round(capex / yearly_gain, 2) if yearly_gain > 0 else None
    return ProposedLink(
        source=source, sink=sink, material=sink.material, quantity=q, delivered=delivered, unit=sink.unit,
        distance_km=d, route_km=d * defaults["detour_factor"], transport=mat.transport.key, requires=requires,
        transport_cost_rmb_per_yr=arc.transport * q, upgrade_cost_rmb_per_yr=arc.upgrade * delivered,
        value_rmb_per_yr=arc.value * delivered, net_benefit_rmb_per_yr=arc.net * q,
        co2_avoided_t_per_yr=arc.co2 * q,
        explanation=link_text(arc, requires, source, sink, q, margin, chain, defaults, methods[mat.key]),
        details_json=_compact_json(details),
    )


def _parks(listings: Sequence[Listing], idx: Sequence[int]) -> dict[int, str | None]:
    """Park of each listing in ``idx``: its stored park, else the geodata rule (in one batch)."""
    out: dict[int, str | None] = {i: listings[i].park for i in idx if listings[i].park is not None}
    rest = [i for i in idx if i not in out]
    if rest:
        from geodata.parks import park_keys_of

        out.update(zip(rest, park_keys_of([listings[i].lat for i in rest], [listings[i].lon for i in rest])))
    return out


def _totals(links: Sequence[ProposedLink]) -> dict[str, Any]:
    return {
        "links": len(links),
        "quantity": round(math.fsum(l.quantity for l in links), 3),
        "delivered": round(math.fsum(l.delivered for l in links), 3),
        "cost_rmb_per_yr": round(math.fsum(l.cost_rmb_per_yr for l in links), 2),
        "transport_cost_rmb_per_yr": round(math.fsum(l.transport_cost_rmb_per_yr for l in links), 2),
        "upgrade_cost_rmb_per_yr": round(math.fsum(l.upgrade_cost_rmb_per_yr for l in links), 2),
        "net_benefit_rmb_per_yr": round(math.fsum(l.net_benefit_rmb_per_yr for l in links), 2),
        "co2_avoided_t_per_yr": round(math.fsum(l.co2_avoided_t_per_yr for l in links), 3),
    }
