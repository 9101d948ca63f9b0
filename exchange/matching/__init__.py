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

import math
import time
from collections import defaultdict
from dataclasses import replace
from collections.abc import Sequence
from typing import Any

import numpy as np

from exchange.domain.factors import Defaults
from exchange.domain.listing import Listing, Role
from exchange.domain.materials import CATALOGUE

from .explain import link_text, unmatched_reason
from .gaps import gaps
from .network import Network, _nearest_per_key, build_network
from .result import MatchResult, ProposedLink, UnmatchedListing
from .solve import solve

__all__ = ["MatchResult", "ProposedLink", "UnmatchedListing", "match"]


def match(
    listings: Sequence[Listing],
    defaults: Defaults | None = None,
    *,
    solver: str = "ortools",
    cap: int | None = None,
    exclude: frozenset[tuple[int, int]] = frozenset(),
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
    """
    defaults = defaults or Defaults()
    t0 = time.perf_counter()
    net = build_network(listings, defaults, cap=cap, exclude=exclude)
    t1 = time.perf_counter()
    flows = solve(net, solver)
    t2 = time.perf_counter()
    c = net.candidates
    n = len(listings)

    allocated: dict[int, float] = defaultdict(float)
    partners_of: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    links: list[ProposedLink] = []
    used = np.flatnonzero(flows > 0)
    ends = sorted({int(e) for e in np.r_[c.source[used], c.sink[used]]})
    ends = [e if e < n else net.cascade_sink[e][0] for e in ends]
    parks = _parks(listings, ends)
    methods = {k: m.co2_method_text(defaults) for k, m in CATALOGUE.items()}
    for x in used.tolist():
        q = float(flows[x])
        u, v = int(c.source[x]), int(c.sink[x])
        delivered = q * float(c.frac[x])
        allocated[u] += q
        allocated[v] += delivered
        partners_of[u].append((v, q, float(c.net[x])))
        partners_of[v].append((u, q, float(c.net[x])))
        links.append(_link(net, x, q, delivered, defaults, parks, methods))
    links.sort(key=lambda l: (l.material, -l.net_benefit_rmb_per_yr))

    best: dict[int, int] = {}
    for side in (c.source, c.sink):
        for x in _nearest_per_key(side, -c.net).tolist():
            best.setdefault(int(side[x]), x)
    present = {(l.material, l.role) for l in listings}
    unmatched: list[UnmatchedListing] = []
    unmatched_at: list[tuple[int, UnmatchedListing]] = []
    for i, l in enumerate(listings):
        got = allocated.get(i, 0.0)
        left = l.quantity - got
        if left <= max(1e-6 * l.quantity, 1e-3):
            continue
        other = Role.SINK if l.role is Role.SOURCE else Role.SOURCE
        code, text = unmatched_reason(i, net, best, allocated, partners_of, (l.material, other) in present, defaults)
        if got > 0:
            text = f"matched {got:,.0f} of {l.quantity:,.0f} {l.unit}; the rest: {text}"
        unmatched.append(UnmatchedListing(l, code, text, got, left))
        unmatched_at.append((i, unmatched[-1]))
    parks_all = _parks(listings, [i for i, _ in unmatched_at])
    unmatched = [replace(u, listing=replace(u.listing, park=parks_all.get(i))) for i, u in unmatched_at]

    summary = _summary(listings, links, allocated)
    found = gaps(unmatched, defaults)
    summary["gaps"] = [g.as_dict() for g in found[:50]]
    stats = {"listings": n, "candidates": len(c), "flows": len(links), "cascade_nodes": len(net.cascade_sink),
             "candidate_seconds": round(t1 - t0, 4), "solve_seconds": round(t2 - t1, 4), "solver": solver, "cap": cap}
    return MatchResult(links, unmatched, summary, stats)


def _link(net: Network, x: int, q: float, delivered: float, defaults: Defaults, parks: dict[int, str | None],
          methods: dict[str, str]) -> ProposedLink:
    c = net.candidates
    L = net.listings
    u, v = int(c.source[x]), int(c.sink[x])
    sink = L[v]
    mat = CATALOGUE[sink.material]
    requires = net.requires[int(c.option[x])]
    chain = ""
    src_i = net.cascade_sink[u][0] if u >= len(L) else u
    if u >= len(L):
        source = L[src_i]
        requires = ("cascade", *requires)
        ret = source.return_temperature_c
        chain = f"return heat of {source.ref} ({ret:g} C)"
        margin = mat.quality.fit(ret, sink.quality, float(c.distance_km[x]), defaults).margin
    else:
        source = L[u]
        margin = mat.quality.fit(source.quality, sink.quality, float(c.distance_km[x]), defaults).margin
    d = float(c.distance_km[x])
    details: dict[str, Any] = {
        "margin": margin,
        "per_unit": {k: float(getattr(c, k)[x]) for k in ("value", "disposal", "transport", "upgrade", "net", "co2")},
        "delivered_fraction": float(c.frac[x]),
        "months": [m + 1 for m in range(12) if int(c.months[x]) >> m & 1],
        "co2_method": methods[mat.key],
        "source_park": parks.get(src_i),
        "sink_park": parks.get(v),
    }
    if chain:
        details["chain"] = chain
    if "heat_pump" in requires:
        fit = mat.quality.fit(source.return_temperature_c if chain else source.quality, sink.quality, d, defaults)
        details["heat_pump"] = {"lift_k": round(fit.details.get("lift_k", 0.0), 2), "cop": round(fit.details.get("cop", 0.0), 3)}
    if hasattr(mat.transport, "capex"):
        capex = mat.transport.capex(d, float(c.design_quantity[x]), defaults)
        yearly_gain = (float(c.net[x]) + float(c.transport[x])) * q  # before the pipe's own annual cost
        details["pipeline_capex_rmb"] = round(capex, 0)
        details["simple_payback_yr"] = round(capex / yearly_gain, 2) if yearly_gain > 0 else None
    return ProposedLink(
        source=source, sink=sink, material=sink.material, quantity=q, delivered=delivered, unit=sink.unit,
        distance_km=d, route_km=d * defaults["detour_factor"], transport=mat.transport.key, requires=requires,
        transport_cost_rmb_per_yr=float(c.transport[x]) * q, upgrade_cost_rmb_per_yr=float(c.upgrade[x]) * delivered,
        value_rmb_per_yr=float(c.value[x]) * delivered, net_benefit_rmb_per_yr=float(c.net[x]) * q,
        co2_avoided_t_per_yr=float(c.co2[x]) * q,
        explanation=link_text(net, x, source, sink, q, margin, chain, defaults, methods[mat.key]), details=details,
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


def _summary(listings: Sequence[Listing], links: Sequence[ProposedLink], allocated: dict[int, float]) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {}
    for key, mat in CATALOGUE.items():
        supply = math.fsum(l.quantity for l in listings if l.material == key and l.role is Role.SOURCE)
        demand = math.fsum(l.quantity for l in listings if l.material == key and l.role is Role.SINK)
        if not supply and not demand:
            continue
        mine = [l for l in links if l.material == key]
        primary = math.fsum(l.quantity for l in mine if "cascade" not in l.requires)
        per[key] = {"unit": mat.canonical_unit, "listed_supply": round(supply, 3), "listed_demand": round(demand, 3),
                    **_totals(mine), "utilisation_of_supply": round(primary / supply, 4) if supply else None}
    parks: dict[str, dict[str, Any]] = {}
    by_park: dict[str, dict[str, list[ProposedLink]]] = defaultdict(lambda: defaultdict(list))
    for l in links:
        for p in {l.details.get("source_park"), l.details.get("sink_park")} - {None}:
            by_park[str(p)][l.material].append(l)
    for p, mats in sorted(by_park.items()):
        parks[p] = {m: _totals(ls) for m, ls in sorted(mats.items())}
    return {
        "materials": per,
        "parks": parks,
        "links": len(links),
        "net_benefit_rmb_per_yr": round(math.fsum(l.net_benefit_rmb_per_yr for l in links), 2),
        "co2_avoided_t_per_yr": round(math.fsum(l.co2_avoided_t_per_yr for l in links), 3),
        "listings": len(listings),
        "listings_unmatched": sum(1 for i, l in enumerate(listings) if allocated.get(i, 0.0) <= 0),
        "park_rule": "a link counts in the park of its source and in the park of its sink",
    }
