"""The network matcher (pure: no Flask, no SQLAlchemy).

:func:`match` takes listings in canonical units and returns a
:class:`~exchange.matching.result.MatchResult`: the links of the min-cost-flow
allocation that maximises the region's net benefit, an explanation for every
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

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from exchange.domain.factors import Defaults
from exchange.domain.listing import Listing, Role
from exchange.domain.materials import CATALOGUE

from .allocate import Arc, allocate
from .explain import link_text, unmatched_reason
from .network import Candidate, candidate_pairs
from .result import MatchResult, ProposedLink, UnmatchedListing

__all__ = ["MatchResult", "ProposedLink", "UnmatchedListing", "match"]


def match(
    listings: Sequence[Listing],
    defaults: Defaults | None = None,
    *,
    solver: str = "ortools",
    cap: int | None = None,
) -> MatchResult:
    """Propose the links that maximise the region's net benefit.

    Parameters
    ----------
    listings : sequence of Listing
        Sources and sinks, canonical units; any mix of materials.
    defaults : Defaults, optional
        Catalogue factors with any overrides.
    solver : {"ortools", "networkx"}
        Min-cost-flow solver (same optimum; see :mod:`exchange.matching.allocate`).
    cap : int, optional
        Candidates kept per listing (nearest first); ``None`` keeps all.
    """
    defaults = defaults or Defaults()
    t0 = time.perf_counter()
    cands, screens = candidate_pairs(listings, defaults, cap=cap)
    t1 = time.perf_counter()
    flows: list[tuple[Candidate, float]] = []
    by_material: dict[str, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_material[listings[c.source].material].append(c)
    for key, mcands in by_material.items():
        src = sorted({c.source for c in mcands})
        snk = sorted({c.sink for c in mcands})
        s_pos = {i: n for n, i in enumerate(src)}
        k_pos = {j: n for n, j in enumerate(snk)}
        arcs = [Arc(s_pos[c.source], k_pos[c.sink], c.capacity, c.econ.net) for c in mcands]
        by_arc = {id(a): c for a, c in zip(arcs, mcands)}
        solved = allocate([listings[i].quantity for i in src],
                          [listings[j].quantity / 1.0 for j in snk], arcs, solver=solver)
        flows.extend((by_arc[id(a)], f) for a, f in solved)
    t2 = time.perf_counter()

    allocated: dict[int, float] = defaultdict(float)
    partners_of: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    links: list[ProposedLink] = []
    for c, q in flows:
        s, k = listings[c.source], listings[c.sink]
        delivered = q * c.econ.delivered_fraction
        allocated[c.source] += q
        allocated[c.sink] += delivered
        partners_of[c.source].append((c.sink, q, c.econ.net))
        partners_of[c.sink].append((c.source, q, c.econ.net))
        links.append(_link(c, s, k, q, delivered, defaults))
    links.sort(key=lambda l: (l.material, -l.net_benefit_rmb_per_yr))

    present = {(l.material, l.role) for l in listings}
    unmatched: list[UnmatchedListing] = []
    for i, l in enumerate(listings):
        got = allocated.get(i, 0.0)
        left = l.quantity - got
        if left <= max(1e-6 * l.quantity, 1e-3):
            continue
        other = Role.SINK if l.role is Role.SOURCE else Role.SOURCE
        code, text = unmatched_reason(i, listings, screens[i], allocated, partners_of, (l.material, other) in present)
        if got > 0:
            text = f"matched {got:,.0f} of {l.quantity:,.0f} {l.unit}; the rest: {text}"
        unmatched.append(UnmatchedListing(l, code, text, got, left))

    summary = _summary(listings, links, allocated)
    stats = {"listings": len(listings), "candidates": len(cands), "flows": len(links),
             "candidate_seconds": round(t1 - t0, 4), "solve_seconds": round(t2 - t1, 4), "solver": solver,
             "cap": cap}
    return MatchResult(links, unmatched, summary, stats)


def _link(c: Candidate, s: Listing, k: Listing, q: float, delivered: float, defaults: Defaults) -> ProposedLink:
    mat = CATALOGUE[s.material]
    e = c.econ
    details: dict[str, Any] = {
        "margin": c.fit.margin,
        "per_unit": {"value": e.value, "disposal": e.disposal, "transport": e.transport, "upgrade": e.upgrade,
                     "net": e.net, "co2_t": e.co2},
        "delivered_fraction": e.delivered_fraction,
        "months": sorted(c.overlap_months),
        "co2_method": mat.co2_method_text(defaults),
        "fit": {k2: v for k2, v in c.fit.details.items() if isinstance(v, (int, float, str))},
    }
    if hasattr(mat.transport, "capex"):
        capex = mat.transport.capex(c.distance_km, c.capacity, defaults)
        yearly_gain = e.net * q + (e.transport * q)  # benefit before the pipe's own annual cost
        details["pipeline_capex_rmb"] = round(capex, 0)
        details["simple_payback_yr"] = round(capex / yearly_gain, 2) if yearly_gain > 0 else None
    return ProposedLink(
        source=s, sink=k, material=s.material, quantity=q, delivered=delivered, unit=s.unit,
        distance_km=c.distance_km, route_km=c.distance_km * defaults["detour_factor"], transport=mat.transport.key,
        requires=c.fit.requires, transport_cost_rmb_per_yr=e.transport * q,
        upgrade_cost_rmb_per_yr=e.upgrade * delivered, value_rmb_per_yr=e.value * delivered,
        net_benefit_rmb_per_yr=e.net * q, co2_avoided_t_per_yr=e.co2 * q,
        explanation=link_text(c, s, k, q, defaults), details=details,
    )


def _summary(listings: Sequence[Listing], links: Sequence[ProposedLink], allocated: dict[int, float]) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {}
    for key, mat in CATALOGUE.items():
        supply = math.fsum(l.quantity for l in listings if l.material == key and l.role is Role.SOURCE)
        demand = math.fsum(l.quantity for l in listings if l.material == key and l.role is Role.SINK)
        mine = [l for l in links if l.material == key]
        if not supply and not demand:
            continue
        q = math.fsum(l.quantity for l in mine)
        per[key] = {
            "unit": mat.canonical_unit,
            "links": len(mine),
            "listed_supply": round(supply, 3),
            "listed_demand": round(demand, 3),
            "quantity": round(q, 3),
            "delivered": round(math.fsum(l.delivered for l in mine), 3),
            "utilisation_of_supply": round(q / supply, 4) if supply else None,
            "cost_rmb_per_yr": round(math.fsum(l.cost_rmb_per_yr for l in mine), 2),
            "net_benefit_rmb_per_yr": round(math.fsum(l.net_benefit_rmb_per_yr for l in mine), 2),
            "co2_avoided_t_per_yr": round(math.fsum(l.co2_avoided_t_per_yr for l in mine), 3),
        }
    return {
        "materials": per,
        "links": len(links),
        "net_benefit_rmb_per_yr": round(math.fsum(l.net_benefit_rmb_per_yr for l in links), 2),
        "co2_avoided_t_per_yr": round(math.fsum(l.co2_avoided_t_per_yr for l in links), 3),
        "listings": len(listings),
        "listings_unmatched": sum(1 for i, l in enumerate(listings) if allocated.get(i, 0.0) <= 0),
    }
