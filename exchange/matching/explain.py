"""Plain-language explanations: why each link, why each listing is left unmatched.

Texts are English sentences with the figures in them; the structured figures
also travel in each link's ``details`` so a UI can render them in another
language.
"""

from __future__ import annotations

from collections.abc import Sequence

from exchange.domain.factors import Defaults
from exchange.domain.listing import Listing, Role
from exchange.domain.materials import CATALOGUE

from .network import Candidate, Screen


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def link_text(c: Candidate, source: Listing, sink: Listing, quantity: float, defaults: Defaults) -> str:
    """One paragraph: distance, quality margin, cost, benefit and CO2 of a link."""
    mat = CATALOGUE[source.material]
    unit = source.unit.split("/")[0]
    e = c.econ
    route = c.distance_km * defaults["detour_factor"]
    parts = [
        f"{source.ref} ({source.organisation}) -> {sink.ref} ({sink.organisation}): {mat.label_en}, "
        f"{_num(quantity)} {source.unit}.",
        f"Quality: {c.fit.margin}." if c.fit.margin else "",
        (f"Upgrade: {', '.join(c.fit.requires)} ({c.fit.details.get('note', '')}), "
         f"{_num(e.upgrade)} RMB/{unit} delivered, {c.fit.delivered_fraction:.0%} delivered.") if c.fit.requires else "",
        f"Distance {c.distance_km:.1f} km geodesic, {route:.1f} km route at detour {defaults['detour_factor']:g}; "
        f"{mat.transport.label_en} {_num(e.transport)} RMB/{unit}.",
        f"Value to the sink {_num(e.value)} RMB/{unit}" + (f" + disposal avoided {_num(e.disposal)}" if e.disposal else "")
        + f"; net {_num(e.net)} RMB/{unit}, {_num(e.net * quantity)} RMB/yr.",
        f"CO2 avoided {_num(e.co2 * quantity)} t/yr ({mat.co2_method_text(defaults)}).",
    ]
    if len(c.overlap_months) < 12:
        parts.append(f"Months in common: {','.join(str(m) for m in sorted(c.overlap_months))}.")
    return " ".join(p for p in parts if p)


def unmatched_reason(
    i: int,
    listings: Sequence[Listing],
    screen: Screen,
    allocated: dict[int, float],
    partners_of: dict[int, list[tuple[int, float, float]]],
    any_partner: bool,
) -> tuple[str, str]:
    """``(code, text)`` for a listing with quantity left over.

    ``partners_of[n]`` lists ``(partner index, quantity, net per unit)`` of the
    flows at listing ``n``.
    """
    l = listings[i]
    other = "sink" if l.role is Role.SOURCE else "source"
    mat = CATALOGUE[l.material]
    if not any_partner:
        return "no_partner", f"no {other} of {mat.label_en} is listed"
    if not screen.candidates:
        if screen.rejections:
            near = min(screen.rejections, key=lambda r: r.distance_km)
            p = listings[near.partner]
            n = len({r.partner for r in screen.rejections})
            return near.code, (f"{n} {other}(s) of {mat.label_en} in reach, none usable; nearest {p.ref} "
                               f"({p.organisation}) at {near.distance_km:.1f} km: {near.text}")
        if screen.nearest_partner is not None:
            j, km = screen.nearest_partner
            p = listings[j]
            if l.role is Role.SOURCE:
                reach = screen.reach_km
                return "out_of_reach", (f"no {other} of {mat.label_en} within its {reach:g} km reach; nearest {p.ref} "
                                        f"({p.organisation}) is {km:.1f} km away")
            return "out_of_reach", (f"no {other} of {mat.label_en} reaches it; nearest {p.ref} ({p.organisation}) "
                                    f"is {km:.1f} km away, beyond that source's reach")
        return "out_of_reach", f"no {other} of {mat.label_en} in reach"
    # it had paying candidates: either their capacity went to better pairs, or the link itself is limited
    best = max(screen.candidates, key=lambda c: c.econ.net)
    partner = best.sink if l.role is Role.SOURCE else best.source
    p = listings[partner]
    p_left = p.quantity - allocated.get(partner, 0.0)
    if p_left > 1e-6 * max(p.quantity, 1.0):
        return "link_limited", (f"its best partner {p.ref} still has {p_left:,.0f} {p.unit} free, but the link can carry "
                                f"no more (months in common: {','.join(str(m) for m in sorted(best.overlap_months))})")
    rivals = sorted((r for r in partners_of.get(partner, []) if r[0] != i), key=lambda r: -r[2])
    if rivals:
        r = listings[rivals[0][0]]
        return "capacity_taken", (f"capacity taken by a better pair: its best partner {p.ref} ({p.organisation}, "
                                  f"{best.distance_km:.1f} km, net {best.econ.net:,.1f} RMB per unit here) is fully "
                                  f"used by {r.ref} ({r.organisation}) at net {rivals[0][2]:,.1f} RMB per unit")
    own = next((q for n, q, _ in partners_of.get(partner, []) if n == i), 0.0)
    return "partners_full", (f"the {other}s it can use need no more: its best partner {p.ref} ({p.organisation}) is "
                             f"fully served" + (f", {own:,.0f} {l.unit} of it from this listing" if own else ""))
