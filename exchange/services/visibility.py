"""Confidentiality: what each viewer may see of a listing or a link.

Every response that shows a listing or a link (the API, the map data, the
exports) is built by :func:`listing_view` or :func:`link_view`, from explicit
allow-lists; a field that is not listed here is never shown.

Access to a listing (``access`` in the returned dict):

``owner``      the viewer's organisation owns it: every field.
``full``       an admin, the manager of the listing's park, or the counterpart
               of a link on which both sides showed interest: every field.
``public``     a ``public`` listing seen by anyone else (also visitors who are
               not logged in): the exact public fields.
``anonymous``  an ``anonymous`` listing seen by anyone else: no organisation,
               no reference, site or description, location snapped to the
               centre of a 0.05° cell (about 5.5 km by 4.5 km in Shandong),
               quantity as a band (1-2-5 steps), an opaque ``key`` instead of
               the id.
(None)         a ``private`` listing seen by anyone else, or a withdrawn one:
               nothing.

A link is shown when the viewer may see both listings; a party to the link, the
manager of a park it touches and an admin also see links whose other listing
is hidden from them, with that listing ``withheld``. Its money and distance
figures are rounded (distance to 5 km, money and CO2 to two significant
figures) unless both listings are exact to the viewer; its explanation (which
names both organisations) only then too.

Reads of private listings by anyone but their owner are written to the audit
log (one entry per request).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from exchange.persistence import db
from exchange.persistence.models import AGREED, Link, Listing, iso_utc

from .audit import note_private_read

__all__ = ["EXACT", "VISIBILITIES", "Viewer", "forget_viewers", "link_view", "listing_access", "listing_view",
           "quantity_band", "snap", "viewer_of"]

VISIBILITIES = ("public", "anonymous", "private")
#: accesses under which a listing's exact figures are shown
EXACT = ("owner", "full", "public")
#: grid of the anonymous location, degrees
GRID_DEG = 0.05


@dataclass
class Viewer:
    """Who is looking, reduced to what the rules need."""

    user_id: int | None = None
    role: str | None = None            # None: not logged in
    organisation_id: int | None = None
    park: str | None = None
    _revealed: set[int] | None = field(default=None, repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def manages(self, park: str | None) -> bool:
        return self.role == "park_manager" and park is not None and self.park == park

    def revealed(self) -> set[int]:
        """Listings of counterparts on links where both sides showed interest."""
        if self._revealed is None:
            self._revealed = set()
            if self.organisation_id is not None:
                src, snk = aliased(Listing), aliased(Listing)
                rows = db.session.execute(
                    select(Link.source_id, Link.sink_id, src.organisation_id, snk.organisation_id)
                    .join(src, Link.source_id == src.id).join(snk, Link.sink_id == snk.id)
                    .where(Link.source_interest_at.is_not(None), Link.sink_interest_at.is_not(None),
                           or_(src.organisation_id == self.organisation_id,
                               snk.organisation_id == self.organisation_id))).all()
                for source_id, sink_id, source_org, sink_org in rows:
                    if source_org == self.organisation_id:
                        self._revealed.add(sink_id)
                    if sink_org == self.organisation_id:
                        self._revealed.add(source_id)
        return self._revealed


def viewer_of(user: Any) -> Viewer:
    """A :class:`Viewer` for a User, an anonymous user, None, or a Viewer (cached per request)."""
    if isinstance(user, Viewer):
        return user
    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer()
    cache: dict[int, Viewer] | None = g.setdefault("_viewers", {}) if has_request_context() else None
    if cache is not None and user.id in cache:
        return cache[user.id]
    v = Viewer(user_id=user.id, role=user.role, organisation_id=user.organisation_id, park=user.park)
    if cache is not None:
        cache[user.id] = v
    return v


def forget_viewers() -> None:
    """Drop cached viewers (after a workflow step changed who sees what)."""
    if has_request_context():
        g.pop("_viewers", None)


# --------------------------------------------------------------------------- coarse figures


def snap(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the 0.05° cell holding (lat, lon).

    >>> snap(36.6123, 117.0456)
    (36.625, 117.025)
    """
    def centre(x: float) -> float:
        return round((math.floor(x / GRID_DEG) + 0.5) * GRID_DEG, 4)

    return centre(lat), centre(lon)


def quantity_band(q: float) -> tuple[float, float]:
    """The 1-2-5 band holding ``q``: ``[low, high)``.

    >>> quantity_band(1234.0), quantity_band(45000.0), quantity_band(5000.0)
    ((1000.0, 2000.0), (20000.0, 50000.0), (5000.0, 10000.0))
    """
    if not q or q <= 0 or not math.isfinite(q):
        return (0.0, 0.0)
    base = 10.0 ** math.floor(math.log10(q))
    if base > q:          # log10 rounded up just below a power of ten
        base /= 10
    elif q >= 10 * base:  # ...or down just above one
        base *= 10
    for lo, hi in ((1, 2), (2, 5), (5, 10)):
        if q < hi * base:
            return (float(lo * base), float(hi * base))
    return (float(10 * base), float(20 * base))


def _sig2(x: float | None) -> float | None:
    """Two significant figures: 123456 -> 120000."""
    if x is None or x == 0 or not math.isfinite(x):
        return x
    return float(round(x, 1 - int(math.floor(math.log10(abs(x))))))


def _km5(x: float) -> float:
    return float(max(5, 5 * round(x / 5)))


def opaque_key(listing_id: int) -> str:
    """A stable reference to an anonymous listing that reveals neither its id nor its order."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return "anon-" + hmac.new(secret, f"listing:{listing_id}".encode(), hashlib.sha256).hexdigest()[:16]


# --------------------------------------------------------------------------- listings


def listing_access(row: Listing, viewer: Any) -> str | None:
    """``owner``, ``full``, ``public``, ``anonymous`` or None (see the module docstring)."""
    v = viewer_of(viewer)
    if v.organisation_id is not None and row.organisation_id == v.organisation_id:
        return "owner"
    if v.is_admin or v.manages(row.park):
        return "full"
    if row.status != "active":
        return None
    if v.organisation_id is not None and row.id in v.revealed():
        return "full"
    if row.visibility == "public":
        return "public"
    if row.visibility == "anonymous":
        return "anonymous"
    return None


def _quality(row: Listing) -> dict[str, Any]:
    return dict(row.quality or {})


def _months(row: Listing) -> list[int]:
    return [int(m) for m in str(row.available_months or "").split(",") if m.strip()]


def listing_view(row: Listing, viewer: Any) -> dict[str, Any] | None:
    """The dict ``viewer`` may see of a stored listing, or None (see the module docstring)."""
    access = listing_access(row, viewer)
    if access is None:
        return None
    if access == "anonymous":
        lat, lon = snap(row.lat, row.lon)
        lo, hi = quantity_band(row.quantity)
        return {
            "access": "anonymous", "id": None, "key": opaque_key(row.id), "visibility": "anonymous",
            "role": row.role, "material": row.material, "lat": lat, "lon": lon,
            "quantity_band": {"min": lo, "max": hi}, "unit": row.unit, "approximate": True,
            "quality": _quality(row), **_quality(row),
            "available_months": _months(row), "park": row.park, "status": row.status,
        }
    out: dict[str, Any] = {
        "access": access, "id": row.id, "key": f"listing-{row.id}", "visibility": row.visibility,
        "ref": row.ref, "organisation": row.organisation.name, "role": row.role, "material": row.material,
        "lat": row.lat, "lon": row.lon, "quantity": row.quantity, "unit": row.unit, "approximate": False,
        "quality": _quality(row), **_quality(row),
        "site": row.site.name if row.site else None, "use": row.use, "hours_per_year": row.hours_per_year,
        "max_distance_km": row.max_distance_km, "price_rmb_per_unit": row.price_rmb_per_unit,
        "available_months": _months(row), "return_temperature_c": row.return_temperature_c,
        "description": row.description, "park": row.park, "status": row.status,
    }
    if access in ("owner", "full"):
        out.update({
            "organisation_id": row.organisation_id, "entered_quantity": row.entered_quantity,
            "entered_unit": row.entered_unit, "committed": row.committed,
            "uncommitted": max(0.0, row.quantity - row.committed),
            "created_at": iso_utc(row.created_at), "updated_at": iso_utc(row.updated_at), "version": row.version,
        })
        if access == "full" and row.visibility == "private":
            note_private_read(row.id, row.park)
    return out


def withheld(row: Listing) -> dict[str, Any]:
    """What a party or reviewer sees of a link's listing that is hidden from them."""
    return {"access": "withheld", "id": None, "key": None, "visibility": "private", "role": row.role,
            "material": row.material}


# --------------------------------------------------------------------------- links


def link_parks(link: Link) -> list[str]:
    """The parks a link touches (source's, then sink's)."""
    out: list[str] = []
    for p in (link.source.park, link.sink.park):
        if p and p not in out:
            out.append(p)
    return out


def approvals_required(link: Link) -> list[str]:
    """Parks touched by the link whose manager must approve it."""
    from geodata.parks import park_by_key

    out = []
    for key in link_parks(link):
        try:
            if park_by_key(key).requires_approval:
                out.append(key)
        except KeyError:
            continue
    return out


def sides_of(link: Link, viewer: Any) -> list[str]:
    """Which sides of the link the viewer's organisation holds: ``["source"]``, ``["sink"]``, both or none."""
    v = viewer_of(viewer)
    if v.organisation_id is None:
        return []
    return [side for side, row in (("source", link.source), ("sink", link.sink))
            if row.organisation_id == v.organisation_id]


def link_role(link: Link, viewer: Any) -> str | None:
    """``party``, ``reviewer`` (manager of a touched park), ``admin`` or None."""
    v = viewer_of(viewer)
    if sides_of(link, v):
        return "party"
    if v.role == "park_manager" and v.park in link_parks(link):
        return "reviewer"
    if v.is_admin:
        return "admin"
    return None


def _time(t: Any) -> str | None:
    return iso_utc(t)


def link_actions(link: Link, viewer: Any) -> list[str]:
    """The workflow steps this viewer could take now (the service decides for real)."""
    v = viewer_of(viewer)
    sides = sides_of(link, v)
    out: list[str] = []
    if sides and link.status in ("proposed", "interest"):
        if any(getattr(link, f"{s}_interest_at") is None for s in sides):
            out.append("interest")
        if any(getattr(link, f"{s}_accepted_at") is None for s in sides):
            out.append("accept")
        out.append("decline")
    elif sides and link.status == "accepted":
        out.append("decline")
    required = approvals_required(link)
    if link.status in ("proposed", "interest", "accepted"):
        mine = required if v.is_admin else [p for p in required if v.manages(p)]
        if any(p not in (link.approvals or {}) for p in mine):
            out.append("approve")
        if mine:
            out.append("reject")
    if sides and (link.status == "approved" or (link.status == "accepted" and not required)):
        out.append("start")
    if link.status in AGREED and (sides or v.is_admin or any(v.manages(p) for p in link_parks(link))):
        out.append("end")
    return out


def link_view(link: Link, viewer: Any) -> dict[str, Any] | None:
    """The dict ``viewer`` may see of a stored link, or None (see the module docstring)."""
    v = viewer_of(viewer)
    role = link_role(link, v)
    src, snk = listing_view(link.source, v), listing_view(link.sink, v)
    if src is None or snk is None:
        if role is None:
            return None
        src = src or withheld(link.source)
        snk = snk or withheld(link.sink)
    if role is None and link.status == "superseded":
        return None
    exact = src["access"] in EXACT and snk["access"] in EXACT
    out: dict[str, Any] = {
        "id": link.id, "match_run_id": link.match_run_id, "status": link.status, "material": link.material,
        "unit": link.unit, "transport": link.transport, "requires": list(link.requires or []),
        "source": src, "sink": snk, "exact": exact,
    }
    if exact or role is not None:
        out["quantity"], out["delivered"] = link.quantity, link.delivered
    else:
        lo, hi = quantity_band(link.quantity)
        out["quantity_band"] = {"min": lo, "max": hi}
    money = ("transport_cost_rmb_per_yr", "upgrade_cost_rmb_per_yr", "value_rmb_per_yr", "net_benefit_rmb_per_yr",
             "co2_avoided_t_per_yr")
    if exact:
        out.update({"distance_km": link.distance_km, "route_km": link.route_km,
                    "cost_rmb_per_yr": link.cost_rmb_per_yr, "explanation": link.explanation,
                    "details": dict(link.details or {})})
        out.update({k: getattr(link, k) for k in money})
    else:
        out.update({"distance_km": _km5(link.distance_km), "route_km": _km5(link.route_km),
                    "cost_rmb_per_yr": _sig2(link.cost_rmb_per_yr)})
        out.update({k: _sig2(getattr(link, k)) for k in money})
    out["workflow"] = {
        "interest": {"source": link.source_interest_at is not None, "sink": link.sink_interest_at is not None},
        "accepted": {"source": link.source_accepted_at is not None, "sink": link.sink_accepted_at is not None},
        "approvals_required": approvals_required(link),
        "approved_by_parks": sorted((link.approvals or {}).keys()),
    }
    if role is not None:
        out["workflow"].update({
            "reason": link.reason, "decided_at": _time(link.decided_at), "started_at": _time(link.started_at),
            "ended_at": _time(link.ended_at),
            "approvals": {k: {"at": a.get("at"), "comment": a.get("comment")} for k, a in (link.approvals or {}).items()},
        })
    out["my_sides"] = sides_of(link, v)
    out["actions"] = link_actions(link, v)
    return out
