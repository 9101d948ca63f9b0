"""Park summaries: what a viewer may see of each park, counted.

Counts and totals are made from the viewer's listing and link views
(:mod:`exchange.services.visibility`), so a summary reveals nothing its
items would not: a private listing the viewer may not see is not counted,
and agreed quantities are summed from exact link figures only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from geodata.parks import Park, park_by_key, parks

from .listings import ListingFilter, visible_listings
from .workflow import visible_links

__all__ = ["park_summaries", "park_summary"]

AGREED = ("accepted", "approved", "active")


def _empty(p: Park) -> dict[str, Any]:
    return {"key": p.key, "name_en": p.name_en, "name_zh": p.name_zh, "kind": p.kind,
            "requires_approval": p.requires_approval, "listings": {}, "links": {}, "agreed": {}}


def park_summaries(viewer: Any, only: str | None = None) -> list[dict[str, Any]]:
    """One summary per park (named parks first, then city zones), or just ``only``."""
    chosen = [park_by_key(only)] if only else list(parks())
    out = {p.key: _empty(p) for p in chosen}
    for v in visible_listings(viewer, ListingFilter(park=only)):
        s = out.get(v.get("park") or "")
        if s is not None:
            by_role = s["listings"].setdefault(v["material"], defaultdict(int))
            by_role[v["role"]] += 1
    for lk in visible_links(viewer, park=only):
        touched = {lk["source"].get("park"), lk["sink"].get("park")} - {None}
        if not touched:
            touched = set(lk.get("workflow", {}).get("approvals_required", []))
        for key in touched:
            s = out.get(key)
            if s is None:
                continue
            s["links"][lk["status"]] = s["links"].get(lk["status"], 0) + 1
            if lk["status"] in AGREED and lk.get("quantity") is not None:
                a = s["agreed"].setdefault(lk["material"], {"links": 0, "quantity": 0.0, "unit": lk["unit"],
                                                            "co2_avoided_t_per_yr": 0.0})
                a["links"] += 1
                a["quantity"] += lk["quantity"]
                a["co2_avoided_t_per_yr"] += lk.get("co2_avoided_t_per_yr") or 0.0
    for s in out.values():
        s["listings"] = {m: dict(r) for m, r in s["listings"].items()}
    return list(out.values())


def park_summary(key: str, viewer: Any) -> dict[str, Any]:
    from exchange.domain.errors import NotFound

    try:
        park_by_key(key)
    except KeyError:
        raise NotFound(f"no park {key!r}") from None
    return park_summaries(viewer, key)[0]
