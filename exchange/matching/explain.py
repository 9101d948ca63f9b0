"""Plain-language explanations: why each link, why each listing is left unmatched.

Texts are English sentences with the figures in them; the structured figures
also travel in each link's ``details`` so a UI can render them in another
language.
"""

from __future__ import annotations

from typing import NamedTuple

from exchange.domain.factors import Defaults
from exchange.domain.listing import Listing, Role
from exchange.domain.materials import CATALOGUE

from .economics import unit_economics
from .network import NOT_PAYING, QUALITY, REACH, SEASON, TOO_DEAR, Failure, Network


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def months_text(mask: int) -> str:
    return ",".join(str(m + 1) for m in range(12) if mask >> m & 1)


class Arc(NamedTuple):
    """One candidate's figures as plain Python numbers (see :class:`~exchange.matching.network.Candidates`)."""

    source: int
    sink: int
    option: int
    frac: float
    value: float
    disposal: float
    transport: float
    upgrade: float
    net: float
    co2: float
    months: int
    distance_km: float
    design_quantity: float


def link_text(arc: Arc, requires: tuple[str, ...], source: Listing, sink: Listing, quantity: float, margin: str,
              chain: str, defaults: Defaults, co2_method: str) -> str:
    """One paragraph: distance, quality margin, upgrade, cost, benefit and CO2 of a link."""
    mat = CATALOGUE[sink.material]
    unit = sink.unit.split("/")[0]
    requires = tuple(r for r in requires if r != "cascade")
    frac = arc.frac
    d = arc.distance_km
    parts = [
        f"{chain or source.ref} ({source.organisation}) -> {sink.ref} ({sink.organisation}): {mat.label_en}, "
        f"{_num(quantity)} {sink.unit}" + (f" taken, {_num(quantity * frac)} delivered." if frac != 1 else "."),
        f"Quality: {margin}." if margin else "",
        (f"Upgrade: {', '.join(requires)}, {_num(arc.upgrade)} RMB/{unit} delivered, "
         f"{frac:.0%} of what is taken is delivered.") if requires else "",
        f"Distance {d:.1f} km geodesic, {d * defaults['detour_factor']:.1f} km route at detour "
        f"{defaults['detour_factor']:g}; {mat.transport.label_en} {_num(arc.transport)} RMB/{unit}.",
        f"Value to the sink {_num(arc.value)} RMB/{unit}"
        + (f" + disposal avoided {_num(arc.disposal)}" if arc.disposal else "")
        + f"; net {_num(arc.net)} RMB/{unit} taken, {_num(arc.net * quantity)} RMB/yr.",
        f"CO2 avoided {_num(arc.co2 * quantity)} t/yr ({co2_method}).",
    ]
    if arc.months != (1 << 12) - 1:
        parts.append(f"Months in common: {months_text(arc.months)}.")
    return " ".join(p for p in parts if p)


def failure_text(net: Network, me: int, f: Failure, defaults: Defaults) -> str:
    """The words for the nearest failed pair of listing ``me``."""
    L = net.listings
    s, k = (L[me], L[f.partner]) if L[me].role is Role.SOURCE else (L[f.partner], L[me])
    mat = CATALOGUE[s.material]
    d = f.distance_km
    if f.code == REACH:
        limits = []
        if k.max_distance_km is not None and d > k.max_distance_km:
            limits.append(f"the {k.max_distance_km:g} km the sink accepts")
        if s.max_distance_km is not None and d > s.max_distance_km:
            limits.append(f"the {s.max_distance_km:g} km the source accepts")
        if not limits:
            reach = float(mat.transport.reach_km(s.quantity, defaults))
            limits.append(f"the {reach:g} km reach of {mat.transport.label_en} for a source of this size")
        return f"{d:.1f} km is beyond " + " and ".join(limits)
    if f.code == SEASON:
        return (f"no month in common (source months {','.join(map(str, sorted(s.available_months)))}, "
                f"sink months {','.join(map(str, sorted(k.available_months)))})")
    fit = mat.quality.fit(s.quality, k.quality, d, defaults)
    if f.code == QUALITY or not fit.feasible:
        return fit.reason
    e = unit_economics(mat, k.quality, k.price_rmb_per_unit, s.price_rmb_per_unit, d,
                       min(s.quantity, k.quantity / fit.delivered_fraction), fit, defaults)
    if f.code == TOO_DEAR:
        return (f"the sink would pay more than it is worth: ask {s.price_rmb_per_unit or 0:g} + transport "
                f"{e.transport:.1f} + upgrade {e.upgrade:.1f} > value {e.value:.1f} RMB per unit")
    assert f.code == NOT_PAYING
    return (f"does not pay: transport {e.transport:.1f} + upgrade {e.upgrade:.1f} RMB per unit outweigh value "
            f"{e.value:.1f} + disposal avoided {e.disposal:.1f}")


def unmatched_reason(
    i: int,
    net: Network,
    best: dict[int, int],
    allocated: dict[int, float],
    partners_of: dict[int, list[tuple[int, float, float]]],
    any_partner: bool,
    defaults: Defaults,
) -> tuple[str, str]:
    """``(code, text)`` for a listing with quantity left over.

    ``best[i]`` is listing ``i``'s best candidate (by net benefit per unit);
    ``partners_of[n]`` lists ``(partner node, quantity, net per unit)`` of the
    flows at node ``n``.
    """
    L = net.listings
    l = L[i]
    other = "sink" if l.role is Role.SOURCE else "source"
    mat = CATALOGUE[l.material]
    if not any_partner:
        return "no_partner", f"no {other} of {mat.label_en} is listed"
    if i not in best:
        f = net.nearest_failure.get(i)
        if f is not None:
            p = L[f.partner]
            return f.code, (f"no usable {other} of {mat.label_en} in reach; nearest examined {p.ref} "
                            f"({p.organisation}) at {f.distance_km:.1f} km: {failure_text(net, i, f, defaults)}")
        near = net.nearest_partner.get(i)
        if near is not None:
            j, km = near
            p = L[j]
            if l.role is Role.SOURCE:
                return "out_of_reach", (f"no {other} of {mat.label_en} within its {net.reach_km[i]:g} km reach; "
                                        f"nearest {p.ref} ({p.organisation}) is {km:.1f} km away")
            return "out_of_reach", (f"no {other} of {mat.label_en} reaches it; nearest {p.ref} ({p.organisation}) is "
                                    f"{km:.1f} km away, beyond that source's reach")
        return "out_of_reach", f"no {other} of {mat.label_en} in reach"
    c = net.candidates
    x = best[i]
    partner = int(c.sink[x]) if l.role is Role.SOURCE else int(c.source[x])
    p = L[partner] if partner < len(L) else L[net.cascade_sink[partner][0]]
    p_qty = net.node_quantity(partner)
    p_left = p_qty - allocated.get(partner, 0.0)
    if p_left > 1e-6 * max(p_qty, 1.0):
        return "season_limited", (f"its best partner {p.ref} still has {p_left:,.0f} {p.unit} free, but not in the "
                                  f"months they share ({months_text(int(c.months[x]))})")
    rivals = sorted((r for r in partners_of.get(partner, []) if r[0] != i), key=lambda r: -r[2])
    if rivals:
        rn = rivals[0][0]
        r = L[rn] if rn < len(L) else L[net.cascade_sink[rn][0]]
        return "capacity_taken", (f"capacity taken by a better pair: its best partner {p.ref} ({p.organisation}, "
                                  f"{float(c.distance_km[x]):.1f} km, net {float(c.net[x]):,.1f} RMB per unit here) is "
                                  f"fully used by {r.ref} ({r.organisation}) at net {rivals[0][2]:,.1f} RMB per unit")
    own = next((q for node, q, _ in partners_of.get(partner, []) if node == i), 0.0)
    return "partners_full", (f"the {other}s it can use need no more: its best partner {p.ref} ({p.organisation}) is "
                             f"fully served" + (f", {own:,.0f} {l.unit} of it from this listing" if own else ""))
